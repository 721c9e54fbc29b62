// `reflex playbooks list | validate [files] | show <id> | schema`.
import { resolve } from 'node:path';
import { loadPlaybooks, PlaybookError, type LoadedPlaybook } from '../../playbooks/load';
import { playbookJsonSchema } from '../../playbooks/json-schema';
import type { Step } from '../../workflows/model/incident';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function playbooksCommand(dir: string, args: string[], io: Output): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      for (const p of loadPlaybooks(dir)) {
        const d = p.definition;
        const types = d.triggers.flatMap((t) => t.types ?? ['any alert']).join(', ');
        io.out(`${d.id}@${d.version}\t${d.title}\t(${d.fallback ? 'fallback, ' : ''}${types})`);
      }
      return 0;
    case 'validate': {
      const files = rest.length ? rest.map((f) => resolve(f)) : dir;
      try {
        const loaded = loadPlaybooks(files);
        io.out(`${loaded.length} playbook(s) valid`);
        return 0;
      } catch (err) {
        if (!(err instanceof PlaybookError)) throw err;
        for (const problem of err.problems) io.err(problem.message);
        io.err(`${err.problems.length} problem(s): no playbook was loaded`);
        return 1;
      }
    }
    case 'show': {
      const found = loadPlaybooks(dir).find((p) => p.definition.id === rest[0]);
      if (!found) {
        io.err(`no playbook "${rest[0] ?? ''}" (see 'reflex playbooks list')`);
        return 1;
      }
      io.out(describePlaybook(found));
      return 0;
    }
    case 'schema':
      io.out(JSON.stringify(playbookJsonSchema(), null, 2));
      return 0;
    default:
      io.err(`usage: reflex playbooks list | validate [files...] | show <id> | schema`);
      return 2;
  }
}

/** The plain-language view of a playbook, as a board member would read it. */
export function describePlaybook({ definition: d, resolved, file }: LoadedPlaybook): string {
  const lines = [
    `${d.title}  (${d.id}, version ${d.version}, ${file})`,
    '',
    d.description.trim(),
    '',
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
      if (step.when) line += ' (only when its condition holds)';
      lines.push(line);
    });
  };
  walk(resolved.steps, '  ');
  return lines.join('\n');
}
