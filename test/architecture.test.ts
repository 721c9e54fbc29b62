// The architecture's promises that a type checker cannot keep: one owner for the Temporal client, and
// each action's name spelled only where the action is defined. (Import cycles and upward imports are
// checked by dependency-cruiser in `npm run lint`, with the layers in .dependency-cruiser.cjs.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ACTIONS } from '../activities/actions';

const ROOT = join(__dirname, '..');
const PRODUCTION = [
  'workflows',
  'activities',
  'triggers',
  'playbooks',
  'common',
  'temporal',
  'storage',
  'mail',
  'server',
  'worker',
  'config',
  'startup',
  'cli',
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const files = (dirs: string[]) =>
  dirs
    .flatMap((d) => sources(join(ROOT, d)))
    .map((path) => ({ file: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

test("only the incident gateway talks to Temporal about workflows (and the bare benchmark baselines, and the tests of the server's dispatch setting and of a send's attempt limit)", () => {
  const talking = files([...PRODUCTION, 'test', 'bench'])
    .filter(({ text }) =>
      /\.workflow\.(start|getHandle|list|signalWithStart|execute|result|count)\b/.test(text),
    )
    .map(({ file }) => file)
    .sort();
  expect(talking).toEqual([
    'bench/fair.ts',
    'bench/latency.ts',
    'bench/sqlite-pragmas.ts',
    'temporal/incident-gateway.ts',
    'test/eager-dispatch.test.ts',
    'test/mail-transport.test.ts',
  ]);
});

test.each(ACTIONS.map((a) => a.name))('the action name %s is spelled only in its definition', (name) => {
  const spelled = files(PRODUCTION)
    .filter(({ text }) => text.includes(`'${name}'`) || text.includes(`"${name}"`))
    .map(({ file }) => file);
  expect(spelled).toHaveLength(1);
  expect(spelled[0]).toMatch(/^activities\/(entra|exchange|secrets|http|notify)\//);
});

// The audit kinds, as the union declares them.
const AUDIT_KINDS = [
  ...readFileSync(join(ROOT, 'workflows/model/audit-events.ts'), 'utf8').matchAll(
    /^ {2}'([a-z-]+\.[a-z-]+)':/gm,
  ),
].map((m) => m[1]!);

test('audit kinds are spelled only where tsc checks them against the union: never inside SQL or other text', () => {
  // Everywhere else a kind is an argument or a case typed by the union (AuditKind), so a misspelt or
  // unknown kind fails the type check; text inside a template string would not.
  expect(AUDIT_KINDS.length).toBeGreaterThan(20);
  const inText = files(PRODUCTION).flatMap(({ file, text }) =>
    [...text.matchAll(/`[^`]*`/g)]
      .filter(([literal]) => AUDIT_KINDS.some((kind) => literal.includes(kind)))
      .map(([literal]) => `${file}: ${literal.slice(0, 60)}`),
  );
  expect(inText).toEqual([]);
});
