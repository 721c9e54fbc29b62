// `reflex init`: from the demo to your own tenant. Asks for the organisation, its time zone and
// language, the on-call people, the DPO, the NCSC contact, where Reflex will be reached and which
// alert sources send to it (or takes them as flags, for scripts), then writes a commented reflex.yaml
// with access tokens and source secrets, and a script that registers the Entra application with
// exactly the Graph permissions the enabled playbooks need. Every answer is checked where it is
// given; nothing is written until all of them are valid and the configuration loads.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ConfigError, loadConfig } from '../../config/load';
import { checkConfig } from '../../config/checks';
import { PlaybookError } from '../../playbooks/load';
import { permissionsNeeded } from '../../playbooks/permissions';
import { ADAPTER_NAMES, type AdapterName } from '../../triggers/adapters/names';
import { LOCALES, type Locale } from '../../workflows/model/locale';
import { loadConfiguredPlaybooks } from '../../startup/playbooks';
import { makeToken } from './tokens';
import type { Output } from './playbooks';

export interface InitAnswers {
  organisation: string;
  timeZone: string;
  locale: Locale;
  onCall: string[];
  dpo: string;
  ncsc?: string;
  publicUrl: string;
  sources: AdapterName[];
  script: 'powershell' | 'az';
}

type Parsed<T> = { value: T } | { problem: string };

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;
const list = (text: string) =>
  text
    .split(/[,\s;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** One question: its words, its flag, its default, and how an answer is checked. */
interface Question<K extends keyof InitAnswers = keyof InitAnswers> {
  key: K;
  flag: string;
  ask: string;
  /** What pressing Enter gives; absent: an answer is needed. */
  default?: string;
  parse(text: string): Parsed<InitAnswers[K]>;
}

const question = <K extends keyof InitAnswers>(q: Question<K>): Question => q as unknown as Question;

export const QUESTIONS: readonly Question[] = [
  question({
    key: 'organisation',
    flag: 'organisation',
    ask: 'Organisation name (as people there say it)',
    parse: (t) => (t.trim() ? { value: t.trim().slice(0, 120) } : { problem: 'a name is needed' }),
  }),
  question({
    key: 'timeZone',
    flag: 'time-zone',
    ask: 'Time zone for times in messages and reports',
    default: 'Europe/Amsterdam',
    parse: (t) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: t.trim() });
        return { value: t.trim() };
      } catch {
        return { problem: `"${t.trim()}" is not a time zone (like Europe/Amsterdam)` };
      }
    },
  }),
  question({
    key: 'locale',
    flag: 'language',
    ask: `Language of notifications and the board (${LOCALES.join(' or ')})`,
    default: 'en',
    parse: (t) =>
      (LOCALES as readonly string[]).includes(t.trim().toLowerCase())
        ? { value: t.trim().toLowerCase() as Locale }
        : { problem: `choose ${LOCALES.join(' or ')}` },
  }),
  question({
    key: 'onCall',
    flag: 'on-call',
    ask: 'On-call e-mail addresses, comma-separated (two or more, so someone always answers)',
    parse: (t) => {
      const all = list(t);
      const bad = all.filter((a) => !EMAIL.test(a));
      if (bad.length) return { problem: `not an e-mail address: ${bad.join(', ')}` };
      return all.length ? { value: all.map((a) => a.toLowerCase()) } : { problem: 'at least one address' };
    },
  }),
  question({
    key: 'dpo',
    flag: 'dpo',
    ask: 'Data-protection officer’s e-mail address (told within the GDPR’s 72 hours)',
    parse: (t) =>
      EMAIL.test(t.trim()) ? { value: t.trim().toLowerCase() } : { problem: 'an e-mail address is needed' },
  }),
  question({
    key: 'ncsc',
    flag: 'ncsc',
    ask: 'NCSC contact or your sector CERT (e-mail; Enter for none)',
    default: '',
    parse: (t) =>
      !t.trim()
        ? { value: undefined }
        : EMAIL.test(t.trim())
          ? { value: t.trim().toLowerCase() }
          : { problem: 'an e-mail address, or nothing' },
  }),
  question({
    key: 'publicUrl',
    flag: 'public-url',
    ask: 'Where people and senders reach Reflex (its URL)',
    default: 'http://localhost:8080',
    parse: (t) => {
      try {
        const url = new URL(t.trim());
        if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: 'an http(s) URL' };
        return { value: url.href.replace(/\/$/, '') };
      } catch {
        return { problem: `"${t.trim()}" is not a URL (like https://reflex.museum.example)` };
      }
    },
  }),
  question({
    key: 'sources',
    flag: 'sources',
    ask: `Which security tools send alerts (${ADAPTER_NAMES.join(', ')}; comma-separated, Enter for none)`,
    default: '',
    parse: (t) => {
      const all = list(t.toLowerCase());
      const bad = all.filter((s) => !(ADAPTER_NAMES as readonly string[]).includes(s));
      if (bad.length)
        return { problem: `not one Reflex reads: ${bad.join(', ')} (it reads ${ADAPTER_NAMES.join(', ')})` };
      return { value: [...new Set(all)] as AdapterName[] };
    },
  }),
  question({
    key: 'script',
    flag: 'script',
    ask: 'Register the Entra application with Microsoft Graph PowerShell or the Azure CLI (powershell or az)',
    default: 'powershell',
    parse: (t) =>
      ['powershell', 'az'].includes(t.trim().toLowerCase())
        ? { value: t.trim().toLowerCase() as 'powershell' | 'az' }
        : { problem: 'choose powershell or az' },
  }),
];

/** How each sender authenticates by default, and how its secret is made. */
const SOURCE_AUTH: Record<AdapterName, (secret: string) => Record<string, unknown>> = {
  generic: (s) => ({ scheme: 'standard-webhooks', secrets: [s] }),
  wazuh: (s) => ({ scheme: 'standard-webhooks', secrets: [s] }),
  sentinel: (s) => ({ scheme: 'header', header: 'X-Reflex-Token', secrets: [s] }),
  defender: (s) => ({ scheme: 'github', secrets: [s] }),
  splunk: (s) => ({ scheme: 'url-secret', secrets: [s] }),
  elastic: (s) => ({ scheme: 'bearer', secrets: [s] }),
  grafana: (s) => ({
    scheme: 'grafana-hmac',
    secrets: [s],
    header: 'X-Grafana-Alerting-Signature',
    timestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
  }),
};
const secretFor = (format: AdapterName) =>
  SOURCE_AUTH[format]('').scheme === 'standard-webhooks'
    ? `whsec_${randomBytes(24).toString('base64')}`
    : randomBytes(32).toString('base64url');

const q = (value: unknown) => JSON.stringify(value);

/** A person's token name from their address: `anna.de.vries@museum.example` → `anna.de.vries`. */
function tokenName(address: string, taken: Set<string>): string {
  const base =
    address
      .split('@')[0]!
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'person';
  let name = base.slice(0, 60);
  for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 56)}-${n}`;
  taken.add(name);
  return name;
}

export interface Written {
  config: string;
  /** Tokens to hand out, shown once. */
  tokens: Array<{ name: string; role: string; email?: string; token: string }>;
}

/** The commented configuration for these answers, and the tokens it keeps only hashes of. */
export function renderConfig(a: InitAnswers, now = new Date()): Written {
  const taken = new Set<string>();
  const tokens = [
    { ...makeToken(tokenName('admin', taken), 'admin'), role: 'admin' },
    ...a.onCall.map((email) => ({
      ...makeToken(tokenName(email, taken), 'responder', email),
      role: 'responder',
      email,
    })),
  ];
  const lines = [
    `# Reflex's configuration, written by \`reflex init\` on ${now.toISOString().slice(0, 10)}.`,
    "# Every setting is explained in reflex.example.yaml. This file holds the alert sources' secrets:",
    "# keep it readable by Reflex's user only (init made it 0600).",
    '',
    'organisation:',
    `  name: ${q(a.organisation)}`,
    `  timeZone: ${q(a.timeZone)}`,
    '  # The language of notifications and of the board (en or nl).',
    `  locale: ${q(a.locale)}`,
    '',
    'server:',
    '  # Where people and senders reach Reflex: links in e-mails and chat use it.',
    `  publicUrl: ${q(a.publicUrl)}`,
    '',
    'contacts:',
    '  # Told about every incident; they approve what Reflex asks before it acts.',
    `  onCall: ${q(a.onCall)}`,
    '  # The data-protection officer: gets the GDPR Art. 33 draft, with the 72-hour deadline.',
    `  dpo: ${q(a.dpo)}`,
    ...(a.ncsc
      ? ['  # Receives incident reports with the fields of the NCSC form.', `  ncsc: ${q(a.ncsc)}`]
      : []),
    '',
    '# Entra ID: the application the registration script makes. It prints ENTRA_TENANT_ID,',
    "# ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET: put them in Reflex's environment (they fill entra.*),",
    '# not in this file.',
    '',
    'access:',
    '  # Only the hash of each token is kept; init showed each token once. More: reflex tokens new.',
    '  tokens:',
    ...tokens.map(({ entry }) => `    - ${q(entry)}`),
    '',
    ...(a.sources.length
      ? [
          '# Where your security tools send alerts: POST <publicUrl>/hooks/<name> (docs/SOURCES.md).',
          'sources:',
          ...a.sources.flatMap((format) => {
            const auth = SOURCE_AUTH[format](secretFor(format));
            return [`  - name: ${q(format)}`, `    format: ${q(format)}`, `    auth: ${q(auth)}`];
          }),
        ]
      : [
          '# No alert sources yet: add them under sources (docs/SOURCES.md), or read logs (docs/LOG-TRIGGERS.md).',
          'sources: []',
        ]),
    '',
    '# The shipped playbooks, and folders of your own beside them (docs/PLAYBOOKS.md).',
    'playbooks:',
    '  shipped: true',
    '  dirs: []',
    '',
  ];
  return {
    config: lines.join('\n'),
    tokens: tokens.map(({ token, entry }) => ({
      name: entry.name,
      role: entry.role,
      email: entry.email,
      token,
    })),
  };
}

/** A PowerShell literal string (no `$` expansion): single quotes, a quote doubled. */
const psString = (text: string) => `'${text.replace(/'/g, "''")}'`;
/** A shell literal string (no expansion): single quotes, a quote closed, escaped and reopened. */
const shString = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/** The script that registers the Entra application with exactly these Graph application permissions. */
export function registrationScript(
  kind: 'powershell' | 'az',
  permissions: readonly string[],
  a: InitAnswers,
): string {
  const redirect = `${a.publicUrl}/login/oidc/callback`;
  if (kind === 'powershell') {
    return [
      '# Registers Reflex in your Entra ID tenant with exactly the Microsoft Graph application permissions',
      `# its enabled playbooks need, written by \`reflex init\`. Run it in PowerShell 7 as an administrator`,
      '# who may grant admin consent (Install-Module Microsoft.Graph first).',
      '$ErrorActionPreference = "Stop"',
      `$permissions = @(${permissions.map((p) => `'${p}'`).join(', ')})`,
      "Connect-MgGraph -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All' -NoWelcome",
      '$graph = Get-MgServicePrincipal -Filter "appId eq \'00000003-0000-0000-c000-000000000000\'"',
      "$roles = $graph.AppRoles | Where-Object { $permissions -contains $_.Value -and $_.AllowedMemberTypes -contains 'Application' }",
      `$app = New-MgApplication -DisplayName ${psString(`Reflex (${a.organisation})`)} -SignInAudience AzureADMyOrg \``,
      `  -Web @{ RedirectUris = @(${psString(redirect)}) } -GroupMembershipClaims SecurityGroup \``,
      "  -RequiredResourceAccess @(@{ ResourceAppId = $graph.AppId; ResourceAccess = @($roles | ForEach-Object { @{ Id = $_.Id; Type = 'Role' } }) })",
      '$sp = New-MgServicePrincipal -AppId $app.AppId',
      '# Admin consent: assign each permission to the application.',
      'foreach ($role in $roles) {',
      '  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graph.Id -AppRoleId $role.Id | Out-Null',
      '}',
      "$secret = Add-MgApplicationPassword -ApplicationId $app.Id -PasswordCredential @{ DisplayName = 'reflex'; EndDateTime = (Get-Date).AddMonths(12) }",
      '"Granted: $($roles.Value -join \', \')"',
      '"Put these in Reflex\'s environment:"',
      '"ENTRA_TENANT_ID=$((Get-MgContext).TenantId)"',
      '"ENTRA_CLIENT_ID=$($app.AppId)"',
      '"ENTRA_CLIENT_SECRET=$($secret.SecretText)"',
      '',
    ].join('\n');
  }
  return [
    '#!/usr/bin/env bash',
    '# Registers Reflex in your Entra ID tenant with exactly the Microsoft Graph application permissions',
    '# its enabled playbooks need, written by `reflex init`. Run it after `az login` as an administrator',
    '# who may grant admin consent.',
    'set -euo pipefail',
    `permissions=(${permissions.join(' ')})`,
    'graph=00000003-0000-0000-c000-000000000000',
    `app_id=$(az ad app create --display-name ${shString(`Reflex (${a.organisation})`)} --sign-in-audience AzureADMyOrg \\`,
    `  --web-redirect-uris ${shString(redirect)} --query appId -o tsv)`,
    'for permission in "${permissions[@]}"; do',
    '  role=$(az ad sp show --id "$graph" --query "appRoles[?value==\'$permission\' && contains(allowedMemberTypes, \'Application\')].id | [0]" -o tsv)',
    '  az ad app permission add --id "$app_id" --api "$graph" --api-permissions "$role=Role" --only-show-errors',
    'done',
    'az ad app update --id "$app_id" --set groupMembershipClaims=SecurityGroup',
    'az ad sp create --id "$app_id" --only-show-errors >/dev/null',
    'az ad app permission admin-consent --id "$app_id"',
    'secret=$(az ad app credential reset --id "$app_id" --display-name reflex --years 1 --query password -o tsv)',
    'echo "Granted: ${permissions[*]}"',
    'echo "Put these in Reflex\'s environment:"',
    'echo "ENTRA_TENANT_ID=$(az account show --query tenantId -o tsv)"',
    'echo "ENTRA_CLIENT_ID=$app_id"',
    'echo "ENTRA_CLIENT_SECRET=$secret"',
    '',
  ].join('\n');
}

export interface InitFlags {
  config?: string;
  force?: boolean;
  yes?: boolean;
  [flag: string]: unknown;
}

/** Asks what the flags did not say (when it may), checking each answer where it is given. */
async function gather(flags: InitFlags, io: Output, interactive: boolean): Promise<InitAnswers | undefined> {
  const answers: Partial<Record<keyof InitAnswers, unknown>> = {};
  const problems: string[] = [];
  const rl = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  try {
    for (const item of QUESTIONS) {
      const given = flags[item.flag];
      if (typeof given === 'string') {
        const parsed = item.parse(given);
        if ('problem' in parsed) problems.push(`--${item.flag}: ${parsed.problem}`);
        else answers[item.key] = parsed.value;
        continue;
      }
      if (!rl) {
        if (item.default === undefined) problems.push(`--${item.flag} is needed (${item.ask})`);
        else answers[item.key] = (item.parse(item.default) as { value: unknown }).value;
        continue;
      }
      for (;;) {
        const hint = item.default ? ` [${item.default}]` : '';
        const text = (await rl.question(`${item.ask}${hint}: `)) || (item.default ?? '');
        const parsed = item.parse(text);
        if ('value' in parsed) {
          answers[item.key] = parsed.value;
          break;
        }
        io.out(`  ✗ ${parsed.problem}; try again.`);
      }
    }
  } finally {
    rl?.close();
  }
  if (problems.length) {
    for (const p of problems) io.err(`reflex init: ${p}`);
    return undefined;
  }
  return answers as InitAnswers;
}

export async function initCommand(flags: InitFlags, io: Output): Promise<number> {
  const file = resolve(flags.config ?? 'reflex.yaml');
  if (existsSync(file) && !flags.force) {
    io.err(`reflex init: ${file} exists; nothing was written (--force replaces it)`);
    return 1;
  }
  const interactive = Boolean(process.stdin.isTTY) && !flags.yes;
  if (interactive) io.out('Setting up Reflex for your organisation. Press Enter to take the [suggestion].\n');
  const answers = await gather(flags, io, interactive);
  if (!answers) return 2;

  const written = renderConfig(answers);
  const scriptFile = join(dirname(file), answers.script === 'powershell' ? 'entra-app.ps1' : 'entra-app.sh');
  if (existsSync(scriptFile) && !flags.force) {
    io.err(`reflex init: ${scriptFile} exists; nothing was written (--force replaces it)`);
    return 1;
  }
  // Loaded and checked as Reflex will, before anything is written where it goes.
  const scratch = mkdtempSync(join(tmpdir(), 'reflex-init-'));
  let permissions: string[];
  let playbookCount: number;
  try {
    const draft = join(scratch, basename(file));
    writeFileSync(draft, written.config, { mode: 0o600 });
    const { config, source } = loadConfig({ file: draft, env: {} });
    const playbooks = loadConfiguredPlaybooks(config, source);
    checkConfig(config, { mode: 'start', playbooks, source });
    permissions = permissionsNeeded(playbooks);
    playbookCount = playbooks.length;
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof PlaybookError)) throw err;
    io.err(
      `reflex init: the configuration it made does not load (a bug; nothing was written):\n${err.message}`,
    );
    return 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  writeFileSync(file, written.config, { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(scriptFile, registrationScript(answers.script, permissions, answers), { mode: 0o700 });

  const here = (path: string) => relative(process.cwd(), path) || basename(path);
  io.out(`\nWrote ${here(file)} (0600) and ${here(scriptFile)}.`);
  io.out(`The configuration loads: ${playbookCount} playbooks, ${answers.sources.length} alert source(s).`);
  io.out('');
  io.out('Access tokens, shown only now (reflex.yaml keeps their hashes):');
  for (const t of written.tokens)
    io.out(`  ${t.name} (${t.role}${t.email ? `, ${t.email}` : ''}): ${t.token}`);
  io.out('\nNext:');
  io.out(
    `  1. Register Reflex in your tenant: ${answers.script === 'powershell' ? `pwsh ./${here(scriptFile)}` : `bash ./${here(scriptFile)}`}` +
      `\n     (Graph application permissions: ${permissions.join(', ') || 'none'}). Put the three ENTRA_* lines it prints in Reflex's environment.`,
  );
  io.out(
    `  2. Check permissions, SMTP and contacts: npm run reflex -- doctor --send-test-mail --config ${here(file)}`,
  );
  io.out(`  3. Start Reflex: npm run reflex -- start --config ${here(file)}`);
  io.out(
    `  4. Drill a playbook against your own tenant (nothing is changed): npm run reflex -- drill compromised-account --config ${here(file)}`,
  );
  if (answers.sources.length) {
    io.out(
      `  5. Point ${answers.sources.join(', ')} at ${answers.publicUrl}/hooks/<name> with the secret in ${here(file)} (docs/SOURCES.md).`,
    );
  }
  return 0;
}
