// Which playbooks this installation runs (`playbooks:` in reflex.yaml): the shipped library (all, none
// or some), the organisation's own folders beside it, and overrides of contacts and approvals. A
// problem anywhere — a folder that does not exist, an id defined twice, an override of a step that is
// not there — stops Reflex naming the file and line, with no playbook half-loaded.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { lineOf, YamlError, type YamlSource } from '../common/yaml-source';
import { ConfigError } from '../config/load';
import { resolveContacts } from '../config/contacts';
import type { ReflexConfig } from '../config/schema';
import { loadPlaybooks, playbookFiles, PlaybookError, type LoadedPlaybook } from '../playbooks/load';
import { overrideSteps } from '../playbooks/overrides';
import { SHIPPED_PLAYBOOKS_DIR } from './project';

/**
 * The configured playbooks. Throws a {@link ConfigError} for problems in the configuration and a
 * {@link PlaybookError} for problems in playbook files (a duplicate id names both files).
 */
export function loadConfiguredPlaybooks(config: ReflexConfig, source?: YamlSource): LoadedPlaybook[] {
  const { shipped, dirs, overrides } = config.playbooks;
  const where = (path: readonly PropertyKey[]) => {
    if (!source) return '';
    const line = lineOf(source, ['playbooks', ...path]);
    return `${source.file}${line ? `:${line}` : ''}: `;
  };
  const problems: string[] = [];

  let shippedFiles: string[] = [];
  if (shipped !== false) {
    const library = loadPlaybooks(SHIPPED_PLAYBOOKS_DIR);
    const known = new Set(library.map((p) => p.definition.id));
    if (Array.isArray(shipped)) {
      shipped.forEach((id, i) => {
        if (!known.has(id)) {
          problems.push(
            `${where(['shipped', i])}playbooks.shipped[${i}]: no shipped playbook "${id}" (shipped: ${[...known].join(', ')})`,
          );
        }
      });
    }
    shippedFiles = library
      .filter((p) => shipped === true || shipped.includes(p.definition.id))
      .map((p) => p.file);
  }
  const ownFiles = dirs.flatMap((dir, i) => {
    const path = resolve(dir);
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      problems.push(`${where(['dirs', i])}playbooks.dirs[${i}]: ${dir}: no such folder`);
      return [];
    }
    return playbookFiles(path);
  });
  if (problems.length) throw new ConfigError(problems);

  let loaded: LoadedPlaybook[];
  try {
    loaded = loadPlaybooks([...shippedFiles, ...ownFiles]);
  } catch (err) {
    if (!(err instanceof PlaybookError)) throw err;
    // An own playbook with a shipped one's id: say how to replace the shipped one.
    const hint = (e: YamlError) =>
      / is also used by /.test(e.detail) && shippedFiles.some((f) => e.message.includes(f))
        ? new YamlError(
            e.file,
            e.line,
            `${e.detail} (to replace a shipped playbook, leave it out of playbooks.shipped)`,
          )
        : e;
    throw new PlaybookError(err.problems.map(hint));
  }

  const byId = new Map(loaded.map((p) => [p.definition.id, p]));
  for (const [id, override] of Object.entries(overrides)) {
    const playbook = byId.get(id);
    if (!playbook) {
      problems.push(
        `${where(['overrides', id])}playbooks.overrides.${id}: no playbook "${id}" is loaded (loaded: ${[...byId.keys()].join(', ')})`,
      );
      continue;
    }
    const result = overrideSteps(playbook, override.steps, {
      file: source?.file,
      line: (path) => (source ? lineOf(source, ['playbooks', 'overrides', id, ...path]) : undefined),
    });
    for (const p of result.problems) {
      problems.push(
        `${where(['overrides', id, ...p.path])}playbooks.overrides.${id}.${p.path.join('.')}: ${p.message}`,
      );
    }
    let changed = result.playbook;
    if (override.contacts) {
      const c = override.contacts;
      changed = {
        ...changed,
        contacts: resolveContacts({
          ...config.contacts,
          ...c,
          groups: { ...config.contacts.groups, ...c.groups },
        }),
        overridden: [...(changed.overridden ?? []), `contacts: ${Object.keys(c).join(', ')}`],
      };
    }
    byId.set(id, changed);
  }
  if (problems.length) throw new ConfigError(problems);
  return loaded.map((p) => byId.get(p.definition.id)!);
}
