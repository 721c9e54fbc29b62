// `reflex docs [--check]`, for contributors: writes the documents derived from the code (the permission
// tables in README.md and docs/PERMISSIONS.md, the playbook JSON Schema), or with --check says which
// one has drifted. The test suite runs the check.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIONS } from '../../activities/actions';
import type { AnyActionDefinition } from '../../activities/action';
import { permissionsNeeded } from '../../playbooks/permissions';
import { loadPlaybooks } from '../../playbooks/load';
import { playbookJsonSchema } from '../../playbooks/json-schema';
import { PROJECT_DIR, SHIPPED_PLAYBOOKS_DIR } from '../../startup/project';
import type { Output } from './playbooks';

const code = (s: string) => `\`${s}\``;

/** A Markdown table with padded columns (kept out of Prettier by its ignore markers). */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function permissionCell(a: AnyActionDefinition): string {
  if (!a.permission) return a.permissionNote ?? 'none';
  const needs = a.permission.needs.map(code).join(' + ');
  const cell = a.permission.orElse ? `${needs} (or ${code(a.permission.orElse)})` : needs;
  // Without the licence the step is skipped (and says what that means), not failed.
  return a.licence ? `${cell}; the tenant needs ${a.licence.needs}` : cell;
}

/** README: one row per permission, the actions that need it together. */
export function readmePermissionTable(): string {
  const rows = new Map<string, string[]>();
  for (const a of ACTIONS.filter((x) => x.permission)) {
    const cell = permissionCell(a);
    rows.set(cell, [...(rows.get(cell) ?? []), code(a.name)]);
  }
  return table(
    ['action', 'application permission'],
    [...rows].map(([permission, names]) => [names.join(', '), permission]),
  );
}

/** docs/PERMISSIONS.md: every action, what it does, the Graph calls, the permission; then the shipped set. */
export function permissionsDocTable(): string {
  const rows = ACTIONS.map((a) => [
    code(a.name),
    a.description,
    a.permission?.calls ?? '(not Graph)',
    permissionCell(a),
  ]);
  const shipped = permissionsNeeded(loadPlaybooks(SHIPPED_PLAYBOOKS_DIR)).map(code);
  return `${table(['action', 'what it does', 'Graph call', 'application permission'], rows)}\n\nThe shipped playbooks together need ${shipped.join(', ')}.`;
}

export interface DerivedDocument {
  file: string;
  /** The file's text as it should be. */
  expected(current: string): string;
}

/** Replaces the text between `<!-- BEGIN GENERATED: name -->` and its END marker. */
function block(name: string, content: () => string) {
  return (current: string): string => {
    const begin = `<!-- BEGIN GENERATED: ${name} (reflex docs) -->\n<!-- prettier-ignore-start -->\n`;
    const end = `\n<!-- prettier-ignore-end -->\n<!-- END GENERATED: ${name} -->`;
    const from = current.indexOf(begin);
    const to = current.indexOf(end);
    if (from < 0 || to < from) throw new Error(`no GENERATED: ${name} block (add its BEGIN and END markers)`);
    return `${current.slice(0, from + begin.length)}${content()}${current.slice(to)}`;
  };
}

export const DERIVED_DOCUMENTS: DerivedDocument[] = [
  { file: 'README.md', expected: block('permissions', readmePermissionTable) },
  { file: 'docs/PERMISSIONS.md', expected: block('permissions', permissionsDocTable) },
  {
    file: 'docs/playbook.schema.json',
    // Compared as data: Prettier formats the file (npm run docs).
    expected: (current) =>
      JSON.stringify(JSON.parse(current)) === JSON.stringify(playbookJsonSchema())
        ? current
        : `${JSON.stringify(playbookJsonSchema(), null, 2)}\n`,
  },
];

/** Which derived documents differ from what the code says (relative paths). */
export function driftedDocuments(root = PROJECT_DIR): string[] {
  return DERIVED_DOCUMENTS.filter((d) => {
    const current = readFileSync(join(root, d.file), 'utf8');
    return d.expected(current) !== current;
  }).map((d) => d.file);
}

export function docsCommand(flags: { check?: boolean }, io: Output): number {
  const drifted = driftedDocuments();
  if (flags.check) {
    for (const file of drifted) io.err(`${file} is not what the code says: run npm run docs`);
    return drifted.length ? 1 : 0;
  }
  for (const d of DERIVED_DOCUMENTS.filter((x) => drifted.includes(x.file))) {
    const path = join(PROJECT_DIR, d.file);
    writeFileSync(path, d.expected(readFileSync(path, 'utf8')));
    io.out(`wrote ${d.file}`);
  }
  if (!drifted.length) io.out('every derived document is current');
  return 0;
}
