// An organisation's own playbooks (issue 15, item 2): folders beside the shipped library
// (`playbooks.dirs`), the shipped ones kept all, none or some (`playbooks.shipped`), an id defined twice
// refused naming both files, and contacts, approver groups and timeouts of a shipped playbook changed
// from the configuration without copying it — end to end on real Temporal and SMTP. The CLI
// (`playbooks list | validate | show | new`) reads the same configuration.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/load';
import { PlaybookError, playbookFiles } from '../playbooks/load';
import { loadConfiguredPlaybooks } from '../startup/playbooks';
import { SHIPPED_PLAYBOOKS_DIR } from '../startup/project';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';
import { refusalOf } from './helpers/hostile';

const CLI = join(__dirname, '../dist/cli/main.js');
const root = () => mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'own-playbooks-'));

const OWN = `id: crm-export
version: 1
title: Stop a mass export from the CRM
description: Used by the tests.
triggers:
  - types: [crm-export]
steps:
  - id: tell-on-call
    description: Tell on-call
    notify: on-call
    to: '{{contacts.onCall}}'
`;

/** A folder holding `files`, and a configuration file written from `yaml` (with DIR replaced by it). */
function setUp(yaml: string, files: Record<string, string> = { 'crm-export.yaml': OWN }) {
  const dir = root();
  const own = join(dir, 'own');
  mkdirSync(own);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(own, name), text);
  const file = join(dir, 'reflex.yaml');
  writeFileSync(file, yaml.replaceAll('DIR', JSON.stringify(own)));
  return { dir, own, file };
}
const load = (file: string) => {
  const { config, source } = loadConfig({ file, env: {} });
  return loadConfiguredPlaybooks(config, source);
};
const ids = (file: string) => load(file).map((p) => p.definition.id);

test('a playbook from a configured folder runs beside the whole shipped library', () => {
  const { file } = setUp('playbooks:\n  dirs: [DIR]\n');
  expect(ids(file)).toEqual(expect.arrayContaining(['crm-export', 'compromised-account', 'notify-on-call']));
  expect(ids(file)).toHaveLength(1 + playbookFiles(SHIPPED_PLAYBOOKS_DIR).length);
});

test('only the shipped playbooks listed are kept; false keeps none', () => {
  const some = setUp('playbooks:\n  shipped: [compromised-account, notify-on-call]\n  dirs: [DIR]\n');
  expect(ids(some.file).sort()).toEqual(['compromised-account', 'crm-export', 'notify-on-call']);
  const none = setUp('playbooks:\n  shipped: false\n  dirs: [DIR]\n');
  expect(ids(none.file)).toEqual(['crm-export']);
});

test('an id defined twice is refused naming both files, and how to replace a shipped one', () => {
  const copy = OWN.replace('id: crm-export', 'id: compromised-account');
  const { own, file } = setUp('playbooks:\n  dirs: [DIR]\n', { 'mine.yaml': copy });
  const err = refusalOf(() => load(file));
  expect(err).toBeInstanceOf(PlaybookError);
  expect(err.message).toContain(
    `${join(own, 'mine.yaml')}:1: playbook id "compromised-account" is also used by ${join(SHIPPED_PLAYBOOKS_DIR, 'compromised-account.yaml')} (to replace a shipped playbook, leave it out of playbooks.shipped)`,
  );
  // Two of one's own: both named too.
  const twice = setUp('playbooks:\n  shipped: false\n  dirs: [DIR]\n', { 'a.yaml': OWN, 'b.yaml': OWN });
  expect(refusalOf(() => load(twice.file)).message).toContain(
    `${join(twice.own, 'b.yaml')}:1: playbook id "crm-export" is also used by ${join(twice.own, 'a.yaml')}`,
  );
});

test.each([
  [
    'an unknown shipped id',
    'playbooks:\n  shipped: [compromised-acount]\n',
    ':2: playbooks.shipped[0]: no shipped playbook "compromised-acount"',
  ],
  [
    'a folder that is not there',
    'playbooks:\n  dirs: [./nowhere]\n',
    ':2: playbooks.dirs[0]: ./nowhere: no such folder',
  ],
  [
    'an override of a playbook that is not loaded',
    'playbooks:\n  shipped: false\n  overrides:\n    compromised-account:\n      steps: {}\n',
    ':4: playbooks.overrides.compromised-account: no playbook "compromised-account" is loaded',
  ],
  [
    'an override of a step that is not there',
    'playbooks:\n  overrides:\n    compromised-account:\n      steps:\n        block: { timeout: 10m }\n',
    ':5: playbooks.overrides.compromised-account.steps.block: playbook "compromised-account" has no step "block"',
  ],
  [
    'an override of a step that asks no approval',
    'playbooks:\n  overrides:\n    compromised-account:\n      steps:\n        revoke-sessions: { timeout: 10m }\n',
    'step "revoke-sessions" of playbook "compromised-account" asks no approval',
  ],
  [
    'an approver group that does not exist',
    'playbooks:\n  overrides:\n    compromised-account:\n      steps:\n        disable-account: { approvers: [board] }\n',
    ':5: step "disable-account": approver group "board" is not in contacts.groups',
  ],
  [
    'an escalation after the timeout',
    'playbooks:\n  overrides:\n    compromised-account:\n      steps:\n        disable-account: { timeout: 1m }\n',
    'escalation after 2m would come after the approval times out (1m)',
  ],
])('%s is refused naming the line', (_what, yaml, message) => {
  const { file } = setUp(yaml);
  // The approver-group check runs with the rest of the configuration's cross-checks, as at start.
  const result = spawnSync(process.execPath, [CLI, 'playbooks', 'validate', '--config', file], {
    encoding: 'utf8',
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(message);
  if (message.startsWith(':')) expect(result.stderr).toContain(`${file}${message}`);
});

test('`reflex playbooks new` writes a valid starting file with the editor schema line, and never overwrites', () => {
  const { dir, own, file } = setUp('playbooks:\n  shipped: false\n  dirs: [DIR]\n', {});
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'playbooks', ...args, '--config', file], {
      encoding: 'utf8',
      cwd: dir,
    });
  const made = run('new', 'ticketing-admin');
  expect(made.status).toBe(0);
  const text = readFileSync(join(own, 'ticketing-admin.yaml'), 'utf8');
  expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*docs\/playbook\.schema\.json$/);
  expect(run('validate').stdout).toContain('1 playbook(s) valid');
  expect(run('list').stdout).toContain('ticketing-admin@1');
  const again = run('new', 'ticketing-admin');
  expect(again.status).toBe(1);
  expect(again.stderr).toContain('already exists; nothing was written');
  expect(readFileSync(join(own, 'ticketing-admin.yaml'), 'utf8')).toBe(text);
  expect(run('new', 'Bad Id').status).toBe(2);
});

test('`reflex playbooks show` shows what the configuration changed', () => {
  const { file } = setUp(
    'contacts:\n  groups:\n    security-lead: [lead@museum.example]\nplaybooks:\n  overrides:\n    compromised-account:\n      steps:\n        disable-account: { approvers: [security-lead], timeout: 10m }\n',
  );
  const show = spawnSync(
    process.execPath,
    [CLI, 'playbooks', 'show', 'compromised-account', '--config', file],
    {
      encoding: 'utf8',
    },
  );
  expect(show.stdout).toContain('Changed by the configuration (playbooks.overrides):');
  expect(show.stdout).toContain('step "disable-account": approved by security-lead, within 10m');
  expect(show.stdout).toContain('[needs 1 approval(s) from security-lead within 10m]');
});

// End to end: a shipped playbook, overridden, and one's own beside it.
const fake = useEntraFake();
const reflex = useReflex(() => {
  const { own } = setUp('', { 'crm-export.yaml': OWN });
  return {
    entra: fake,
    contacts: { onCall: ['oncall@museum.example'], dpo: 'dpo@museum.example' },
    extra: {
      playbooks: {
        shipped: ['compromised-account'],
        dirs: [own],
        overrides: {
          'compromised-account': {
            contacts: {
              dpo: 'privacy@museum.example',
              groups: { 'security-lead': ['lead@museum.example'] },
            },
            steps: { 'disable-account': { approvers: ['security-lead'], timeout: '7m' } },
          },
        },
      },
    },
  };
});

test('an overridden shipped playbook asks the configured group, waits the configured time, and tells the configured DPO', async () => {
  fake.addUser({ userPrincipalName: 'olga@museum.example' });
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'risky-sign-in', severity: 'medium', entities: { users: ['olga@museum.example'] } }),
  );
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: 'compromised-account' })]);
  const id = response.body.incidentId as string;
  const waiting = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-account').status === 'awaiting-approval',
  );
  const approval = step(waiting, 'disable-account').approval!;
  expect(approval.allowed).toEqual(['lead@museum.example']);
  const started = Date.parse(waiting.startedAt);
  expect(Date.parse(approval.deadline) - started).toBeGreaterThan(6.5 * 60_000);
  expect(Date.parse(approval.deadline) - started).toBeLessThan(7.5 * 60_000);
  const ask = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'approval-request',
  );
  expect(ask.to).toEqual(['lead@museum.example']);
  await decide(reflex.gateway, id, 'disable-account', 'lead@museum.example');
  const dpoMail = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'dpo-art33',
  );
  expect(dpoMail.to).toEqual(['privacy@museum.example']);
});

test('one’s own playbook runs beside it, with the global contacts', async () => {
  const response = await postSigned(reflex.url, alertBody({ type: 'crm-export' }));
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: 'crm-export' })]);
  const mail = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === response.body.incidentId,
  );
  expect(mail.to).toEqual(['oncall@museum.example']);
});

test('the configuration schema refuses unknown keys under playbooks', () => {
  const { file } = setUp('playbooks:\n  folders: [DIR]\n');
  const err = refusalOf(() => loadConfig({ file, env: {} }));
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.message).toContain(`${file}:`);
});
