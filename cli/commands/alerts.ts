// `reflex alerts test <file> --source NAME [--json]`: what a sender's payload becomes — its type and
// why, severity, title, entities — and which playbook it would run and why, like `reflex rules test`
// does for logs. Nothing is sent and nothing is started; the sender's signature is not checked.
import { readFileSync } from 'node:fs';
import { ZodError } from 'zod';
import { ADAPTERS } from '../../triggers/adapters';
import { ADAPTER_NAMES, type AdapterName } from '../../triggers/adapters/names';
import { explainRoute } from '../../triggers/routing';
import { checkJsonShape } from '../../triggers/intake';
import type { ReflexConfig } from '../../config/schema';
import type { LoadedPlaybook } from '../../playbooks/load';
import type { Output } from './playbooks';

export function alertsCommand(
  positionals: string[],
  flags: { source?: string; format?: string; json?: boolean },
  configured: () => { config: ReflexConfig; playbooks: readonly LoadedPlaybook[] },
  io: Output,
): number {
  const [sub, file] = positionals;
  if (sub !== 'test' || !file || (!flags.source && !flags.format)) {
    io.err(`usage: reflex alerts test <file> --source NAME | --format ${ADAPTER_NAMES.join('|')} [--json]`);
    return 2;
  }
  const { config, playbooks } = configured();
  let format: AdapterName;
  let sourceName: string;
  if (flags.source) {
    const source = config.sources.find((s) => s.name === flags.source);
    if (!source) {
      const known = config.sources.map((s) => s.name).join(', ') || 'none configured';
      io.err(`reflex alerts test: no source "${flags.source}" in the configuration (sources: ${known})`);
      return 2;
    }
    format = source.format;
    sourceName = source.name;
  } else {
    if (!(ADAPTER_NAMES as readonly string[]).includes(flags.format!)) {
      io.err(`reflex alerts test: --format ${flags.format}: not one of ${ADAPTER_NAMES.join(', ')}`);
      return 2;
    }
    format = flags.format as AdapterName;
    sourceName = format;
  }
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
    checkJsonShape(body);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.err(
      `reflex alerts test: ${file}: ${code ? `cannot read (${code})` : `not JSON (${(err as Error).message})`}`,
    );
    return 2;
  }
  let alert;
  try {
    alert = ADAPTERS[format](sourceName, body, new Date());
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    for (const issue of err.issues) io.err(`${file}: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    io.err(`not a ${format} payload: Reflex would answer 400`);
    return 1;
  }
  if (!alert) {
    io.out(`${file}: a ${format} notification that needs no incident (resolved): Reflex acknowledges it.`);
    return 0;
  }
  const { chosen, reasons } = explainRoute(alert, playbooks);
  if (flags.json) {
    io.out(
      JSON.stringify({
        alert: { ...alert, raw: undefined },
        playbooks: chosen.map((p) => p.definition.id),
        reasons,
      }),
    );
    return 0;
  }
  const e = alert.entities;
  io.out(`${file} as a ${format} alert from "${sourceName}":`);
  io.out(`  type:      ${alert.type}   (${alert.typeReason ?? 'the sender’s type'})`);
  io.out(`  severity:  ${alert.severity}`);
  io.out(`  title:     ${alert.title}`);
  for (const kind of ['users', 'ips', 'hosts', 'apps', 'files'] as const) {
    if (e[kind].length) io.out(`  ${`${kind}:`.padEnd(10)} ${e[kind].join(', ')}`);
  }
  io.out('');
  if (chosen.length === 0) io.out('Runs no playbook: Reflex records it as unrouted (202, routed: false).');
  for (const p of chosen) {
    const reason = reasons.find((r) => r.playbook === p.definition.id)!;
    io.out(
      `Runs ${p.definition.id}@${p.definition.version}${p.definition.fallback ? ' (the fallback: no other playbook takes it)' : ''}: ${reason.why}.`,
    );
  }
  const others = reasons.filter((r) => !chosen.some((p) => p.definition.id === r.playbook));
  if (others.length) {
    io.out('Not:');
    for (const r of others)
      io.out(`  ${r.playbook}: ${r.takes ? 'takes it, but a specific playbook does' : r.why}`);
  }
  return 0;
}
