// Loads and validates every playbook in a folder. An invalid playbook is never loaded: the error
// names the file, the line, the step and the field.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { playbookSchema, type PlaybookFile } from './schema';
import { isActionName } from '../activities/catalog';
import { formatPath, lineOf, parseYaml, YamlError, type YamlSource } from '../server/util/yaml-source';
import type { ResolvedPlaybook } from '../workflows/types';

export interface LoadedPlaybook {
  file: string;
  definition: PlaybookFile;
  resolved: ResolvedPlaybook;
}

export class PlaybookError extends Error {
  constructor(readonly problems: readonly YamlError[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'PlaybookError';
  }
}

/** Parses and validates one playbook file's text; throws {@link PlaybookError}. */
export function parsePlaybook(file: string, text: string): LoadedPlaybook {
  let source: YamlSource;
  try {
    source = parseYaml(file, text);
  } catch (err) {
    throw new PlaybookError([err as YamlError]);
  }
  const parsed = playbookSchema.safeParse(source.doc.toJS());
  if (!parsed.success) {
    throw new PlaybookError(parsed.error.issues.map((issue) => problem(source, issue.path, issue.message)));
  }
  const definition = parsed.data;
  const problems: YamlError[] = [];
  const seen = new Set<string>();
  definition.steps.forEach((step, i) => {
    if (seen.has(step.id))
      problems.push(problem(source, ['steps', i, 'id'], `duplicate step id "${step.id}"`));
    seen.add(step.id);
    if (!isActionName(step.action)) {
      problems.push(problem(source, ['steps', i, 'action'], `unknown action "${step.action}"`));
    }
  });
  if (problems.length) throw new PlaybookError(problems);
  return { file, definition, resolved: resolve(definition) };
}

function problem(source: YamlSource, path: readonly PropertyKey[], message: string): YamlError {
  const stepIndex = path[0] === 'steps' && typeof path[1] === 'number' ? path[1] : undefined;
  const stepId =
    stepIndex !== undefined
      ? (source.doc.getIn(['steps', stepIndex, 'id']) as string | undefined)
      : undefined;
  const step = stepId ? `step "${stepId}", ` : '';
  const field = formatPath(path) || '(root)';
  return new YamlError(source.file, lineOf(source, path), `${step}${field}: ${message}`);
}

function resolve(definition: PlaybookFile): ResolvedPlaybook {
  return {
    id: definition.id,
    version: definition.version,
    title: definition.title,
    description: definition.description,
    steps: definition.steps.map((step) => ({ ...step, kind: 'action' as const })),
  };
}

/** Loads every `*.yaml` / `*.yml` in `dir`; all problems of all files are reported together. */
export function loadPlaybooks(dir: string): LoadedPlaybook[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const loaded: LoadedPlaybook[] = [];
  const problems: YamlError[] = [];
  for (const name of files) {
    const file = join(dir, name);
    try {
      loaded.push(parsePlaybook(file, readFileSync(file, 'utf8')));
    } catch (err) {
      if (err instanceof PlaybookError) problems.push(...err.problems);
      else throw err;
    }
  }
  const ids = new Map<string, string>();
  for (const p of loaded) {
    const other = ids.get(p.definition.id);
    if (other)
      problems.push(new YamlError(p.file, 1, `playbook id "${p.definition.id}" is also used by ${other}`));
    ids.set(p.definition.id, p.file);
  }
  if (problems.length) throw new PlaybookError(problems);
  return loaded;
}
