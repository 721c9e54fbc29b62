// Checks across fields and files that one schema cannot make: what a mode needs, what a log source
// needs, and that every approver group a playbook names exists. Each problem names the file, the line
// and the key, and all of them are reported before anything starts.
import { lineOf, type YamlSource } from '../common/yaml-source';
import type { LoadedPlaybook } from '../playbooks/load';
import { ConfigError } from './load';
import type { ReflexConfig } from './schema';
import { resolveContacts } from './contacts';

/** How Reflex runs: everything in one process, or the worker or the HTTP server alone. */
export const MODES = ['start', 'worker', 'server'] as const;
export type Mode = (typeof MODES)[number];

export interface CheckContext {
  mode: Mode;
  playbooks: readonly LoadedPlaybook[];
  /** The configuration file, when there is one, to name lines. */
  source?: YamlSource;
}

/** Throws a {@link ConfigError} listing every problem, or returns when there is none. */
export function checkConfig(config: ReflexConfig, { mode, playbooks, source }: CheckContext): void {
  const problems: string[] = [];
  const at = (path: readonly PropertyKey[]) => {
    if (!source) return '';
    const line = lineOf(source, path);
    return `${source.file}${line ? `:${line}` : ''}: `;
  };

  const graph = config.logs.graph;
  if ((graph?.signIns || graph?.directoryAudits) && !config.entra.tenantId) {
    problems.push(
      `${at(['logs', 'graph'])}logs.graph needs Entra ID: set entra.tenantId, clientId and clientSecret (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)`,
    );
  }
  if (config.logs.m365Audit && !config.entra.tenantId) {
    problems.push(
      `${at(['logs', 'm365Audit'])}logs.m365Audit needs Entra ID: set entra.tenantId, clientId and clientSecret (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)`,
    );
  }
  if (mode !== 'start' && !config.temporal.address) {
    problems.push(
      `${at(['temporal', 'address'])}temporal.address (or TEMPORAL_ADDRESS) is required for 'reflex ${mode}'`,
    );
  }
  if (mode === 'worker' && !config.mail.smtpUrl) {
    problems.push(`${at(['mail', 'smtpUrl'])}mail.smtpUrl (or SMTP_URL) is required for 'reflex worker'`);
  }

  const channels = new Set(config.chat.channels.map((c) => c.name));
  const groups = resolveContacts(config.contacts).groups;
  for (const [group, names] of Object.entries(config.contacts.channels)) {
    if (!groups[group]) {
      problems.push(
        `${at(['contacts', 'channels', group])}contacts.channels.${group}: no contact group "${group}" (known: ${Object.keys(groups).join(', ')})`,
      );
    }
    names.forEach((name, i) => {
      if (channels.has(name)) return;
      problems.push(
        `${at(['contacts', 'channels', group, i])}contacts.channels.${group}[${i}]: no chat channel "${name}" in chat.channels${channels.size ? ` (known: ${[...channels].join(', ')})` : ''}`,
      );
    });
  }
  if (config.access.oidc && !oidcIssuer(config)) {
    problems.push(
      `${at(['access', 'oidc'])}access.oidc needs an issuer: set access.oidc.issuer, or entra.tenantId for Microsoft's (https://login.microsoftonline.com/<tenant>/v2.0)`,
    );
  }
  problems.push(...approverGroupProblems(config, playbooks));
  if (problems.length) throw new ConfigError(problems);
}

/** The OpenID provider people sign in with: the configured issuer, or the Entra tenant's. */
export function oidcIssuer(config: ReflexConfig): string | undefined {
  const oidc = config.access.oidc;
  if (!oidc) return undefined;
  if (oidc.issuer) return oidc.issuer;
  return config.entra.tenantId
    ? `https://login.microsoftonline.com/${config.entra.tenantId}/v2.0`
    : undefined;
}

/** Every approver group a playbook (or an override of it) names that the contacts do not define. */
export function approverGroupProblems(config: ReflexConfig, playbooks: readonly LoadedPlaybook[]): string[] {
  const problems: string[] = [];
  const everyone = resolveContacts(config.contacts).groups;
  for (const playbook of playbooks) {
    // A playbook's own contacts (playbooks.overrides.<id>.contacts) may add groups.
    const groups = playbook.contacts?.groups ?? everyone;
    for (const { step, group, line, file } of playbook.approverGroups) {
      if (groups[group]) continue;
      problems.push(
        `${file ?? playbook.file}${line ? `:${line}` : ''}: step "${step}": approver group "${group}" is not in contacts.groups (known: ${Object.keys(groups).join(', ')})`,
      );
    }
  }
  return problems;
}
