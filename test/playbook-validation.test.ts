// Every shipped playbook and template validates; every invalid fixture fails with a message naming
// file:line, the step and the field. Also the CLI around it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlaybooks, PlaybookError, playbookFiles } from '../playbooks/load';
import { playbookJsonSchema } from '../playbooks/json-schema';
import { TemplateStore } from '../activities/notify/templates';
import { SHIPPED_DIR } from './helpers/playbooks';

const INVALID = join(__dirname, 'fixtures/playbooks-invalid');
const CLI = join(__dirname, '../dist/cli/main.js');

/** A configuration file that runs only the playbooks in `dir`. */
function configWith(dir: string): string {
  const file = join(mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'config-')), 'reflex.yaml');
  writeFileSync(file, `playbooks:\n  shipped: false\n  dirs: [${JSON.stringify(dir)}]\n`);
  return file;
}

test.each(playbookFiles(SHIPPED_DIR).map((f) => [f.split('/').pop()!, f]))(
  'shipped %s validates',
  (_name, file) => {
    const [loaded] = loadPlaybooks([file]);
    expect(loaded!.definition.description.length).toBeGreaterThan(100); // plain language for the board
  },
);

test('every notification template exists in English and Dutch, as text and HTML, and parses', () => {
  expect(new TemplateStore(join(SHIPPED_DIR, 'templates')).check()).toEqual([]);
});

const expectations: Array<[string, RegExp]> = [
  [
    'unknown-action.yaml',
    /unknown-action\.yaml:10: step "revoke", steps\[0\]\.action: unknown action "entra\.nukeEverything"/,
  ],
  [
    'wrong-argument-type.yaml',
    /wrong-argument-type\.yaml:12: step "revoke", steps\[0\]\.with\.user: .*expected string/,
  ],
  [
    'missing-template-field.yaml',
    /missing-template-field\.yaml:12: step "revoke", steps\[0\]\.with\.user: template refers to a missing field "alert\.entities\.victims\.0"/,
  ],
  [
    'duplicate-step-id.yaml',
    /duplicate-step-id\.yaml:13: step "revoke", steps\[1\]\.id: duplicate step id "revoke"/,
  ],
  [
    'compensate-not-an-action.yaml',
    /compensate-not-an-action\.yaml:14: step "disable", steps\[0\]\.compensate\.action: compensate must name an action from the catalog; "say-sorry" is not one/,
  ],
  [
    'cycle.yaml',
    /cycle\.yaml:13: step "notify", steps\[0\]\.with\.who: template refers to step "disable", which does not finish before this one \(a cycle\)/,
  ],
  [
    'unreachable-step.yaml',
    /unreachable-step\.yaml:15: step "only-for-ransomware", steps\[1\]\.when: unreachable step: the triggers admit alert types risky-sign-in, never ransomware/,
  ],
  [
    'bad-approval.yaml',
    /bad-approval\.yaml:15: step "disable", steps\[0\]\.approval\.timeout: a duration like 30s, 5m or 2h/,
  ],
  [
    'bad-approval.yaml',
    /bad-approval\.yaml:16: step "disable", steps\[0\]\.approval\.onTimeout: one of proceed, skip, abort, or \{ when, then, otherwise \}/,
  ],
  [
    'unapproved-removal.yaml',
    /unapproved-removal\.yaml:8: step "remove-methods", steps\[0\]\.approval: entra\.removeAuthMethodsSince always needs a person's approval: give the step an approval/,
  ],
  [
    'unapproved-removal.yaml',
    /unapproved-removal\.yaml:23: step "remove-methods-later", steps\[1\]\.approval\.onTimeout: entra\.removeAuthMethodsSince always needs a person's approval: onTimeout may be skip or abort, not proceed/,
  ],
  // An undo may read its own step's output (what was removed), never a later step's.
  [
    'undo-reads-later-step.yaml',
    /undo-reads-later-step\.yaml:17: step "remove-rules", steps\[0\]\.compensate\.with\.removed: template refers to step "later", which does not finish before this one \(a cycle\)/,
  ],
];

test.each(expectations)('%s fails: %s', (file, message) => {
  let error: unknown;
  try {
    loadPlaybooks([join(INVALID, file)]);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(PlaybookError);
  expect((error as PlaybookError).message).toMatch(message);
});

test('every invalid fixture is covered above', () => {
  expect(readdirSync(INVALID).sort()).toEqual([...new Set(expectations.map(([f]) => f))].sort());
});

test('reflex playbooks validate prints every problem as file:line and exits 1', () => {
  const result = spawnSync(
    process.execPath,
    [CLI, 'playbooks', 'validate', join(INVALID, 'cycle.yaml'), join(INVALID, 'unknown-action.yaml')],
    {
      encoding: 'utf8',
    },
  );
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/cycle\.yaml:13: step "notify"/);
  expect(result.stderr).toMatch(/unknown-action\.yaml:10: step "revoke"/);
  expect(result.stderr).toContain('2 problem(s): no playbook was loaded');
});

test('reflex playbooks validate passes the shipped library, and list/show describe it', () => {
  const validate = spawnSync(process.execPath, [CLI, 'playbooks', 'validate'], { encoding: 'utf8' });
  expect(validate.status).toBe(0);
  expect(validate.stdout).toContain(`${playbookFiles(SHIPPED_DIR).length} playbook(s) valid`);
  const show = spawnSync(process.execPath, [CLI, 'playbooks', 'show', 'compromised-account'], {
    encoding: 'utf8',
  });
  expect(show.stdout).toContain(
    'Block the account from signing in [needs 1 approval(s) from on-call within 5m] (undone by entra.enableAccount)',
  );
});

test('docs/playbook.schema.json is the current schema (regenerate with npm run docs)', () => {
  const committed = JSON.parse(
    readFileSync(join(__dirname, '../docs/playbook.schema.json'), 'utf8'),
  ) as unknown;
  expect(committed).toEqual(JSON.parse(JSON.stringify(playbookJsonSchema())));
});

test('reflex start refuses an invalid playbook in its folder, naming it, before starting anything', () => {
  const result = spawnSync(process.execPath, [CLI, 'start'], {
    encoding: 'utf8',
    env: { ...process.env, REFLEX_CONFIG: configWith(INVALID), TEMPORAL_CLI_PATH: '/nonexistent/temporal' },
    timeout: 30_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/unknown-action\.yaml:10: step "revoke"/);
  expect(result.stdout).not.toContain('Reflex is running');
});
