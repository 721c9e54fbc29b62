// Documents derived from the code stay true: the permission tables (README, docs/PERMISSIONS.md) and
// the playbook JSON Schema are regenerated and compared, and every shipped playbook passes the schema
// an editor would check it with.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { driftedDocuments } from '../cli/commands/docs';
import { playbookJsonSchema } from '../playbooks/json-schema';
import { playbookFiles } from '../playbooks/load';
import { SHIPPED_PLAYBOOKS_DIR } from '../startup/project';

const ROOT = join(__dirname, '..');

test('README.md, docs/PERMISSIONS.md and docs/playbook.schema.json are what the code says (npm run docs)', () => {
  expect(driftedDocuments(ROOT)).toEqual([]);
});

test('a hand edit of a generated table is found', () => {
  const copy = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'docs-'));
  cpSync(join(ROOT, 'README.md'), join(copy, 'README.md'));
  cpSync(join(ROOT, 'docs'), join(copy, 'docs'), { recursive: true });
  const readme = readFileSync(join(copy, 'README.md'), 'utf8');
  writeFileSync(
    join(copy, 'README.md'),
    readme.replace('`User.RevokeSessions.All`', '`Directory.ReadWrite.All`'),
  );
  expect(driftedDocuments(copy)).toEqual(['README.md']);
});

test.each(playbookFiles(SHIPPED_PLAYBOOKS_DIR))('%s passes the editor schema', (file) => {
  const validate = new Ajv2020({
    strict: false,
    allErrors: true,
    validateFormats: false,
    logger: false,
  }).compile(playbookJsonSchema());
  const ok = validate(parse(readFileSync(file, 'utf8')));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

test('the editor schema checks an action’s arguments against that action', () => {
  const validate = new Ajv2020({ strict: false, validateFormats: false, logger: false }).compile(
    playbookJsonSchema(),
  );
  const playbook = (step: Record<string, unknown>) => ({
    id: 'p',
    version: 1,
    title: 'P',
    description: 'P',
    triggers: [{}],
    steps: [{ id: 's', description: 'S', ...step }],
  });
  expect(validate(playbook({ action: 'entra.disableAccount', with: { user: '{{entities.users.0}}' } }))).toBe(
    true,
  );
  expect(validate(playbook({ action: 'entra.disableAccount', with: { usr: 'anna@museum.example' } }))).toBe(
    false,
  );
  expect(validate(playbook({ action: 'entra.noSuchAction', with: {} }))).toBe(false);
});
