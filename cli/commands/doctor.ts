// `reflex doctor [--send-test-mail] [--json]`: the readiness check (startup/doctor.ts), printed one
// finding a line with its fix; exits 1 when something needs fixing, 0 when all that could be checked
// holds (what could not be checked is listed, and why).
import { loadConfig } from '../../config/load';
import { loadConfiguredPlaybooks } from '../../startup/playbooks';
import { runDoctor, type Finding } from '../../startup/doctor';
import type { Output } from './playbooks';
import { withRecords } from '../../startup/governance';
import { DatabaseInUseError } from '../../storage/db';

const MARK: Record<Finding['status'], string> = {
  ok: 'ok     ',
  problem: 'PROBLEM',
  'not-checked': 'not checked',
};

export async function doctorCommand(
  flags: { config?: string; json?: boolean; 'send-test-mail'?: boolean },
  io: Output,
): Promise<number> {
  // A configuration that does not load is the first finding, and ends here: nothing else is known.
  const { config, source } = loadConfig({ file: flags.config });
  let playbooks;
  let playbookProblem: string | undefined;
  try {
    playbooks = loadConfiguredPlaybooks(config, source);
  } catch (err) {
    playbookProblem = (err as Error).message;
  }
  const options = { config, playbooks, playbookProblem, sendTestMail: flags['send-test-mail'] };
  // The record (sign-offs, drills) when the database opens; a running Reflex on the embedded one
  // holds it, and its own check runs on /board/readiness.
  const findings = await withRecords(config, playbooks ?? [], (records) =>
    runDoctor({ ...options, records }),
  ).catch((err: unknown) => {
    if (err instanceof DatabaseInUseError || (err as { code?: string }).code === 'ECONNREFUSED') {
      return runDoctor({
        ...options,
        recordsProblem: `${(err as Error).message} (a running server checks this on /board/readiness)`,
      });
    }
    throw err;
  });
  const problems = findings.filter((f) => f.status === 'problem').length;
  if (flags.json) {
    io.out(JSON.stringify({ problems, findings }, null, 2));
  } else {
    for (const f of findings) {
      io.out(`${MARK[f.status].padEnd(11)}  ${f.check}: ${f.message}`);
      if (f.fix) io.out(`${' '.repeat(13)}fix: ${f.fix}`);
    }
    const skipped = findings.filter((f) => f.status === 'not-checked').length;
    io.out(
      problems === 0
        ? `Ready: nothing to fix${skipped ? ` (${skipped} check(s) could not run, listed above)` : ''}.`
        : `${problems} problem(s) to fix before an incident.`,
    );
  }
  return problems === 0 ? 0 : 1;
}
