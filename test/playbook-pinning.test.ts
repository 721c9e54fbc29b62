// A playbook is pinned for the life of each incident: editing its file (and restarting Reflex to load
// the edit) changes new incidents only.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntraFake } from './fakes/entra-fake';
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, postSigned, startTestReflex, type TestReflex } from './helpers/reflex';
import { decide, step, waitForState } from './helpers/incidents';

let fake: EntraFake;
let reflex: TestReflex | undefined;

beforeAll(async () => {
  fake = await new EntraFake().start();
});
afterAll(async () => {
  await reflex?.stop();
  await fake?.stop();
});

test('editing a playbook while an incident runs does not change that incident', async () => {
  const dir = fastPlaybooks(['compromised-account']);
  const file = join(dir, 'compromised-account.yaml');
  // The approval must outlast a restart of Reflex on a busy machine: two minutes, not five seconds.
  writeFileSync(file, readFileSync(file, 'utf8').replace('timeout: 5s', 'timeout: 120s'));
  reflex = await startTestReflex({ entraUrl: fake.url, playbooksDir: dir });
  const taskQueue = reflex.taskQueue;
  fake.addUser({ userPrincipalName: 'old@museum.example' });
  fake.addUser({ userPrincipalName: 'new@museum.example' });
  const raise = async (user: string) =>
    (await postSigned(reflex!.url, alertBody({ type: 'risky-sign-in', entities: { users: [user] } }))).body
      .incidentId as string;

  const running = await raise('old@museum.example');
  await waitForState(
    reflex.gateway,
    running,
    (s) => step(s, 'disable-account').status === 'awaiting-approval',
  );

  // The board approves the next version: no more confirm-compromised step.
  const shipped = Number(/^version: (\d+)$/m.exec(readFileSync(file, 'utf8'))![1]);
  const edited = readFileSync(file, 'utf8')
    .replace(`version: ${shipped}`, `version: ${shipped + 1}`)
    .replace(/\n  - id: confirm-compromised[\s\S]*?(?=\n  - id: tell-people)/, '');
  expect(edited).not.toContain('confirm-compromised');
  writeFileSync(file, edited);
  await reflex.stop();
  reflex = await startTestReflex({ entraUrl: fake.url, playbooksDir: dir, taskQueue });

  // The running incident still follows the version it started with...
  await decide(reflex.gateway, running, 'disable-account', 'oncall@museum.example');
  const old = await waitForState(reflex.gateway, running, (s) => s.status === 'contained');
  expect(old.playbook.version).toBe(shipped);
  expect(step(old, 'confirm-compromised').status).toBe('succeeded');
  expect(fake.user('old@museum.example')!.riskState).toBe('confirmedCompromised');

  // ...and a new one follows the new version.
  const fresh = await raise('new@museum.example');
  await waitForState(reflex.gateway, fresh, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  await decide(reflex.gateway, fresh, 'disable-account', 'oncall@museum.example');
  const current = await waitForState(reflex.gateway, fresh, (s) => s.status === 'contained');
  expect(current.playbook.version).toBe(shipped + 1);
  expect(current.steps.map((s) => s.id)).not.toContain('confirm-compromised');
  expect(fake.user('new@museum.example')!.riskState).toBeUndefined();
  const memo = (await reflex.gateway.get(fresh))!.workflow.memo;
  expect(memo).toMatchObject({ playbookId: 'compromised-account', playbookVersion: shipped + 1 });
  // Two starts, a restart and two incidents with approvals: about 40 s alone, more beside other suites.
}, 150_000);
