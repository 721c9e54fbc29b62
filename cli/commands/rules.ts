// `reflex rules test <logfile> [--rules file-or-dir] [--json] [--kind K]`: replays a log file through
// the rules and prints what would fire and why. Nothing is sent; state starts empty.
import { readFileSync } from 'node:fs';
import { RuleEngine, recordTime, type Firing } from '../../triggers/logs/engine';
import { loadRules, RuleError } from '../../triggers/logs/rules';
import type { Output } from './playbooks';
import { progress } from '../../common/progress';

/** What a record is, when the command is not told: Entra sign-in, Entra audit, M365 audit, or plain log. */
export function guessKind(fields: Record<string, unknown>): string {
  if ('userPrincipalName' in fields && 'status' in fields) return 'entra-signin';
  if ('activityDisplayName' in fields) return 'entra-audit';
  if ('Operation' in fields && ('Workload' in fields || 'RecordType' in fields)) return 'm365-audit';
  return 'log';
}

export function rulesCommand(
  positionals: string[],
  flags: { rules?: string; json?: boolean; kind?: string },
  defaultRulePaths: string[],
  io: Output,
): number {
  const [sub, logfile] = positionals;
  if (sub !== 'test' || !logfile) {
    io.err('usage: reflex rules test <logfile> [--rules <file-or-dir>] [--json] [--kind KIND]');
    return 2;
  }
  let rules;
  try {
    rules = loadRules(flags.rules ? [flags.rules] : defaultRulePaths);
  } catch (err) {
    if (err instanceof RuleError) {
      io.err(`reflex rules test: ${err.message}`);
      return 2;
    }
    throw err;
  }
  let text: string;
  try {
    text = readFileSync(logfile, 'utf8');
  } catch (err) {
    io.err(`reflex rules test: ${logfile}: cannot read (${(err as NodeJS.ErrnoException).code})`);
    return 2;
  }
  const engine = new RuleEngine(rules);
  const firings: Firing[] = [];
  let records = 0;
  let bad = 0;
  const lines = text.split('\n');
  const shown = progress(`reading ${logfile}`, lines.length, 'lines');
  lines.forEach((line, index) => {
    shown.tick(index);
    if (!line.trim()) return;
    let fields: unknown;
    try {
      fields = JSON.parse(line);
    } catch {
      fields = undefined;
    }
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) {
      bad += 1;
      if (!flags.json) io.err(`${logfile}:${index + 1}: not a JSON object; skipped`);
      return;
    }
    const f = fields as Record<string, unknown>;
    records += 1;
    try {
      firings.push(
        ...engine.process({
          source: 'rules-test',
          kind: flags.kind ?? guessKind(f),
          at: recordTime(f),
          fields: f,
        }),
      );
    } catch (err) {
      // What log triggers do with such a record: skip it, say so, go on.
      bad += 1;
      if (!flags.json)
        io.err(`${logfile}:${index + 1}: could not be evaluated (${(err as Error).message}); skipped`);
    }
  });
  shown.end();
  for (const firing of firings) {
    if (flags.json) {
      io.out(
        JSON.stringify({
          rule: firing.ruleId,
          time: firing.at,
          group: firing.group,
          count: firing.count,
          why: firing.why,
          alert: firing.alert,
        }),
      );
    } else {
      io.out(`${firing.at}  ${firing.ruleId}${firing.group ? `  [${firing.group}]` : ''}`);
      io.out(`  why:   ${firing.why}`);
      io.out(`  alert: ${firing.alert.type} (${firing.alert.severity}) "${firing.alert.title}"`);
    }
  }
  if (!flags.json) {
    io.out(
      `${records} records, ${rules.length} rules, ${firings.length} firings${bad ? `, ${bad} lines skipped` : ''}.`,
    );
  }
  return 0;
}
