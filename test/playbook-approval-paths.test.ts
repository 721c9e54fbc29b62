// Every shipped playbook with an approval step, driven through reject and time-out as well (approve is
// driven in the per-playbook tests): the step's outcome, the Graph calls and the e-mails each time.
import { SecretStoreFake } from './fakes/secret-store-fake';
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, postSigned } from './helpers/reflex';
import { started, useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';

const fake = useEntraFake();
const store = started(
  () => new SecretStoreFake().start(),
  (s) => s.stop(),
);
const reflex = useReflex(() => ({
  entra: fake,
  playbooksDir: fastPlaybooks(),
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    ncsc: 'cert@ncsc.example',
    owner: 'it@museum.example',
  },
  extra: {
    secretStores: [{ name: 'default', type: 'webhook', url: store.url, token: 'store-token-0123456789' }],
  },
}));

interface Case {
  playbook: string;
  step: string;
  approvers: string[];
  alert: (tag: string) => Record<string, unknown>;
  /** Graph calls the step makes when it runs. */
  stepCalls: RegExp;
  onTimeout: 'succeeded' | 'skipped';
}

const user = (tag: string) => `${tag}@museum.example`;
const cases: Case[] = [
  {
    playbook: 'mass-export',
    step: 'disable-account',
    approvers: ['oncall@museum.example'],
    alert: (tag) => ({ type: 'mass-export', severity: 'high', entities: { users: [user(tag)] } }),
    stepCalls: /^PATCH \/v1\.0\/users\//,
    onTimeout: 'succeeded',
  },
  {
    playbook: 'oauth-consent-or-inbox-rule',
    step: 'disable-account',
    approvers: ['oncall@museum.example'],
    alert: (tag) => ({ type: 'oauth-consent', severity: 'medium', entities: { users: [user(tag)] } }),
    stepCalls: /^PATCH \/v1\.0\/users\//,
    onTimeout: 'skipped',
  },
  {
    playbook: 'ransomware-suspected',
    step: 'disable-accounts',
    approvers: ['oncall@museum.example', 'dpo@museum.example'],
    alert: (tag) => ({
      type: 'ransomware',
      severity: 'critical',
      entities: { users: [user(tag)], hosts: [`${tag}-pc`] },
    }),
    stepCalls: /^PATCH \/v1\.0\/users\//,
    onTimeout: 'succeeded',
  },
  {
    playbook: 'leaked-secret',
    step: 'remove-old-secret',
    approvers: ['oncall@museum.example'],
    alert: (tag) => ({
      type: 'leaked-secret',
      severity: 'high',
      entities: { apps: [fake.addApplication(tag, 1).id] },
    }),
    stepCalls: /^POST \/v1\.0\/applications\/[^/]+\/removePassword$/,
    onTimeout: 'succeeded',
  },
];

async function run(c: Case, tag: string) {
  const body = c.alert(tag);
  for (const u of (body.entities as { users?: string[] }).users ?? []) fake.addUser({ userPrincipalName: u });
  const response = await postSigned(reflex.url, alertBody(body));
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: c.playbook })]);
  const id = response.body.incidentId as string;
  const waiting = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, c.step).status === 'awaiting-approval',
  );
  expect(step(waiting, c.step).approval!.allowed).toEqual(c.approvers);
  return id;
}

const callsFor = (subject: string) =>
  fake.graphCalls().filter((c) => c.path.includes(encodeURIComponent(subject)) || c.path.includes(subject));

test.each(cases)('$playbook: a rejection stops the step and nothing more is called', async (c) => {
  const tag = `${c.playbook}-reject`;
  const id = await run(c, tag);
  const target =
    c.playbook === 'leaked-secret'
      ? [...fake.applications.values()].find((a) => a.displayName === tag)!.id
      : user(tag);
  const before = callsFor(target).filter((call) => c.stepCalls.test(`${call.method} ${call.path}`)).length;
  await decide(reflex.gateway, id, c.step, c.approvers[0]!, 'reject');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(contained, c.step)).toMatchObject({ status: 'rejected' });
  expect(callsFor(target).filter((call) => c.stepCalls.test(`${call.method} ${call.path}`)).length).toBe(
    before,
  );
  const mails = reflex.mailbox!.list().filter((m) => m.headers['x-reflex-incident'] === id);
  expect(
    mails
      .filter((m) => m.headers['x-reflex-template'] === 'approval-request')
      .map((m) => m.to[0])
      .sort(),
  ).toEqual([...c.approvers].sort());
});

test("every playbook: nobody answers, and the playbook's timeout outcome applies", async () => {
  // All at once: their approval timeouts (seconds in these copies) run side by side.
  await Promise.all(
    cases.map(async (c) => {
      const tag = `${c.playbook}-timeout`;
      const id = await run(c, tag);
      const contained = await waitForState(
        reflex.gateway,
        id,
        (s) => s.status === 'contained',
        `${c.playbook} contained`,
        90_000,
      );
      expect(step(contained, c.step)).toMatchObject({
        status: c.onTimeout,
        approval: { outcome: 'timed-out' },
      });
      const target =
        c.playbook === 'leaked-secret'
          ? [...fake.applications.values()].find((a) => a.displayName === tag)!
          : undefined;
      const calls = callsFor(target?.id ?? user(tag)).filter((call) =>
        c.stepCalls.test(`${call.method} ${call.path}`),
      );
      expect(calls.length > 0).toBe(c.onTimeout === 'succeeded');
      if (target) expect(target.passwordCredentials).toHaveLength(1); // only the new secret is left
      const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
      expect(kinds).toEqual(
        expect.arrayContaining(['approval.requested', 'approval.timed-out', 'approval.closed']),
      );
    }),
  );
}, 120_000);
