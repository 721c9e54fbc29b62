// `reflex playbooks list | validate [files] | show <id> | new <id> | schema`: the playbooks the
// configuration selects (playbooks.shipped, playbooks.dirs, playbooks.overrides).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { loadPlaybooks, parsePlaybook, PlaybookError, type LoadedPlaybook } from '../../playbooks/load';
import { playbookJsonSchema } from '../../playbooks/json-schema';
import { ConfigError } from '../../config/load';
import { approverGroupProblems } from '../../config/checks';
import type { ReflexConfig } from '../../config/schema';
import type { Step } from '../../workflows/model/incident';
import { PROJECT_DIR } from '../../startup/project';
import { withRecords } from '../../startup/governance';
import { SignOffError } from '../../storage/sign-offs';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The configuration and the playbooks it selects (throws its problems). */
export type Configured = () => { config: ReflexConfig; playbooks: readonly LoadedPlaybook[] };

const USAGE =
  'usage: reflex playbooks list | validate [files...] | show <id> | new <id> [--dir DIR] | schema | approve <id> --version N --by NAME --role ROLE | approvals';

export function playbooksCommand(
  configured: Configured,
  args: string[],
  flags: { dir?: string },
  io: Output,
): number {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'list':
        for (const p of configured().playbooks) {
          const d = p.definition;
          const types = d.triggers.flatMap((t) => t.types ?? ['any alert']).join(', ');
          const changed = p.overridden?.length ? ', changed by the configuration' : '';
          io.out(
            `${d.id}@${d.version}\t${d.title}\t(${d.fallback ? 'fallback, ' : ''}${types}${changed})\t${p.file}`,
          );
        }
        return 0;
      case 'validate': {
        if (rest.length) {
          io.out(`${loadPlaybooks(rest.map((f) => resolve(f))).length} playbook(s) valid`);
          return 0;
        }
        const { config, playbooks } = configured();
        const problems = approverGroupProblems(config, playbooks);
        for (const problem of problems) io.err(problem);
        if (problems.length) return 1;
        io.out(`${playbooks.length} playbook(s) valid`);
        return 0;
      }
      case 'show': {
        const found = configured().playbooks.find((p) => p.definition.id === rest[0]);
        if (!found) {
          io.err(`no playbook "${rest[0] ?? ''}" (see 'reflex playbooks list')`);
          return 1;
        }
        io.out(describePlaybook(found));
        return 0;
      }
      case 'new':
        return newPlaybook(rest[0], flags.dir, configured, io);
      case 'schema':
        io.out(JSON.stringify(playbookJsonSchema(), null, 2));
        return 0;
      default:
        io.err(USAGE);
        return 2;
    }
  } catch (err) {
    if (err instanceof PlaybookError) {
      for (const problem of err.problems) io.err(problem.message);
      io.err(`${err.problems.length} problem(s): no playbook was loaded`);
      return 1;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
}

/** A starting playbook: valid as it is, with the editor schema line and every kind of step shown. */
export function starterPlaybook(id: string, schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}
# A playbook of your own (docs/PLAYBOOKS.md). Check it with: reflex playbooks validate
id: ${id}
version: 1
title: ${id.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase())}
description: >
  What this playbook is for, in words a board member understands: which attack it answers and what
  Reflex does about it without asking.
triggers:
  # Which alerts start it: their types (docs/ALERT-SCHEMA.md), optionally from one source.
  - types: [${id}]
steps:
  - id: tell-on-call
    description: Tell the on-call person what happened
    notify: on-call
    to: '{{contacts.onCall}}'
  - id: sign-out
    description: Sign the account out everywhere
    action: entra.revokeSessions
    with: { user: '{{entities.users.0}}' }
    # Ask first; without an answer in 10 minutes, do nothing.
    approval:
      approvers: [on-call]
      timeout: 10m
      onTimeout: skip
`;
}

function newPlaybook(
  id: string | undefined,
  dirFlag: string | undefined,
  configured: Configured,
  io: Output,
) {
  if (!id || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) {
    io.err('reflex playbooks new <id>: the id is lowercase letters, digits and dashes, e.g. crm-export');
    return 2;
  }
  const dir = dirFlag ?? configured().config.playbooks.dirs[0];
  if (!dir) {
    io.err(
      'reflex playbooks new: where should it go? Add a folder to playbooks.dirs in reflex.yaml, or pass --dir DIR',
    );
    return 2;
  }
  const file = resolve(dir, `${id}.yaml`);
  if (existsSync(file)) {
    io.err(`reflex playbooks new: ${file} already exists; nothing was written`);
    return 1;
  }
  mkdirSync(dirname(file), { recursive: true });
  const schema = relative(dirname(file), join(PROJECT_DIR, 'docs', 'playbook.schema.json'));
  const text = starterPlaybook(id, schema);
  parsePlaybook(file, text); // the starting point is itself valid
  writeFileSync(file, text, { flag: 'wx' });
  io.out(`wrote ${file}`);
  if (!dirFlag || configured().config.playbooks.dirs.some((d) => resolve(d) === resolve(dir))) {
    io.out(`check it with: reflex playbooks validate ${relative(process.cwd(), file)}`);
  } else {
    io.out(`add ${dir} to playbooks.dirs in reflex.yaml so that Reflex loads it`);
  }
  return 0;
}

/** The plain-language view of a playbook, as a board member would read it. */
export function describePlaybook({ definition: d, resolved, file, overridden }: LoadedPlaybook): string {
  const lines = [
    `${d.title}  (${d.id}, version ${d.version}, ${file})`,
    '',
    d.description.trim(),
    '',
    ...(overridden?.length
      ? ['Changed by the configuration (playbooks.overrides):', ...overridden.map((o) => `  ${o}`), '']
      : []),
    'Steps:',
  ];
  const walk = (steps: readonly Step[], indent: string) => {
    steps.forEach((step, i) => {
      const n = `${indent}${i + 1}.`;
      if (step.kind === 'parallel') {
        lines.push(`${n} ${step.description} (at the same time):`);
        walk(step.parallel, `${indent}   `);
        return;
      }
      let line = `${n} ${step.description}`;
      if (step.kind === 'action') {
        line +=
          step.approval === 'none'
            ? ' [pre-approved]'
            : ` [needs ${step.approval.quorum} approval(s) from ${step.approval.approvers.join(', ')} within ${step.approval.timeout}]`;
        if (step.compensate) line += ` (undone by ${step.compensate.action})`;
      }
      if (step.kind === 'wait') line += ` [waits ${step.wait}]`;
      if (step.kind === 'verify') {
        const then = [
          step.onSignIn.block && 'block',
          step.onSignIn.revoke && 'sign out again',
          step.onSignIn.notify && 'tell on-call',
        ]
          .filter(Boolean)
          .join(', ');
        line += ` [watches sign-ins for ${step.window} after "${step.after}", every ${step.every}; on a sign-in: ${then || 'only record it'}]`;
      }
      if (step.when) line += ' (only when its condition holds)';
      lines.push(line);
    });
  };
  walk(resolved.steps, '  ');
  return lines.join('\n');
}

/**
 * `reflex playbooks approve <id> --version N --by NAME --role ROLE`: records the board's sign-off of a
 * playbook's exact content; `reflex playbooks approvals`: each playbook's standing and every sign-off.
 */
export async function signOffCommand(
  configured: Configured,
  args: string[],
  flags: { version?: string; by?: string; role?: string; json?: boolean },
  io: Output,
): Promise<number> {
  const [sub, id] = args;
  const { config, playbooks } = configured();
  return withRecords(config, playbooks, async ({ governance }) => {
    if (sub === 'approve') {
      const version = Number(flags.version);
      if (!id || !flags.version || !Number.isInteger(version) || !flags.by || !flags.role) {
        io.err(
          'usage: reflex playbooks approve <id> --version N --by NAME --role ROLE (nothing was recorded)',
        );
        return 2;
      }
      try {
        const s = await governance.signOff({
          playbook: id,
          version,
          by: flags.by,
          role: flags.role,
          via: 'cli',
        });
        io.out(
          `signed off ${s.playbook} v${s.version} ("${s.title}") by ${s.by}, ${s.role}, at ${s.at}\ncontent digest ${s.digest}\non the audit record as ${s.eventId}`,
        );
        return 0;
      } catch (err) {
        if (err instanceof SignOffError) {
          io.err(`reflex: ${err.message}`);
          return 1;
        }
        throw err;
      }
    }
    const report = governance.report();
    if (flags.json) {
      io.out(
        JSON.stringify(
          {
            playbooks: report.playbooks.map(({ playbook, standing }) => ({
              id: playbook.definition.id,
              version: playbook.definition.version,
              digest: playbook.digest,
              ...standing,
            })),
            signOffs: await governance.store.list(),
          },
          null,
          2,
        ),
      );
      return report.forged.length ? 1 : 0;
    }
    for (const { playbook, standing } of report.playbooks) {
      const name = `${playbook.definition.id}@${playbook.definition.version}`;
      if (standing.status === 'unsigned') io.out(`${name}\tNOT SIGNED OFF`);
      else {
        const s = standing.signOff;
        const what =
          standing.status === 'changed' ? `CHANGED since v${s.version} was signed off` : 'signed off';
        io.out(`${name}\t${what} by ${s.by} (${s.role}) on ${s.at.slice(0, 10)} via ${s.via}`);
      }
    }
    for (const f of report.forged) {
      io.out(
        `FORGED\t${f.playbook}@${f.version} "signed off by ${f.by}" (${f.eventId}) fails its signature and counts for nothing`,
      );
    }
    return report.forged.length ? 1 : 0;
  });
}
