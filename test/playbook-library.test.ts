// The rest of the shipped library end to end: mass-export, oauth-consent-or-inbox-rule and
// ransomware-suspected (a two-person rule over several accounts), plus drills.
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, auth, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';
import { sampleAlert } from '../triggers/drill-alert';
import { recordHistory } from './helpers/histories';

const contacts = {
  onCall: ['oncall@museum.example'],
  dpo: 'dpo@museum.example',
  ncsc: 'cert@ncsc.example',
  drillRecipients: ['drills@museum.example'],
};

const fake = useEntraFake();
const reflex = useReflex({ entra: fake, playbooksDir: fastPlaybooks(), contacts });

const mailsFor = (id: string) => reflex.mailbox!.list().filter((m) => m.headers['x-reflex-incident'] === id);
const templatesFor = (id: string) =>
  mailsFor(id)
    .map((m) => `${m.headers['x-reflex-template']}→${m.to.join(',')}`)
    .sort();

async function raise(body: Record<string, unknown>, playbook: string) {
  const response = await postSigned(reflex.url, alertBody(body));
  expect(response.status).toBe(202);
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook })]);
  return response.body.incidentId as string;
}

test('mass-export: revoke, approved block, DPO report with the 72-hour deadline, NCSC report', async () => {
  const user = fake.addUser({ userPrincipalName: 'export@museum.example' });
  const id = await raise(
    { type: 'mass-download', severity: 'high', entities: { users: ['export@museum.example'] } },
    'mass-export',
  );
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  expect(user.sessionsRevokedAt).toBeDefined();
  await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(contained.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  expect(user.accountEnabled).toBe(false);
  expect(templatesFor(id)).toEqual([
    'approval-request→oncall@museum.example',
    'dpo-art33→dpo@museum.example',
    'ncsc→cert@ncsc.example',
  ]);
  const ncsc = mailsFor(id).find((m) => m.headers['x-reflex-template'] === 'ncsc')!;
  expect(ncsc.text).toMatch(/Organisation:\s+Museum Example/);
  expect(ncsc.text).toMatch(/Significant:\s+yes/);
  await recordHistory(reflex.gateway, id, 'mass-export.approve');
});

test('oauth-consent-or-inbox-rule: revoke and notify at once; without an answer the account is left alone', async () => {
  const user = fake.addUser({ userPrincipalName: 'rule@museum.example' });
  const id = await raise(
    { type: 'inbox-rule', severity: 'medium', entities: { users: ['rule@museum.example'] } },
    'oauth-consent-or-inbox-rule',
  );
  const contained = await waitForState(
    reflex.gateway,
    id,
    (s) => s.status === 'contained',
    'contained after the 10 s timeout',
  );
  expect(contained.steps.map((s) => [s.id, s.status])).toEqual([
    ['revoke-sessions', 'succeeded'],
    ['remove-inbox-rules', 'succeeded'],
    ['revoke-user-consent', 'skipped'],
    ['list-sign-in-methods', 'succeeded'],
    ['notify-on-call', 'succeeded'],
    ['disable-app', 'skipped'],
    ['revoke-app-grants', 'skipped'],
    ['remove-sign-in-methods', 'skipped'],
    ['disable-account', 'skipped'],
  ]);
  expect(user.sessionsRevokedAt).toBeDefined();
  expect(user.accountEnabled).toBe(true);
  expect(templatesFor(id)).toEqual([
    'approval-request→oncall@museum.example',
    'on-call→oncall@museum.example',
  ]);
  await recordHistory(reflex.gateway, id, 'oauth-consent-or-inbox-rule.timeout-skip');
}, 60_000);

test('ransomware-suspected: two distinct approvers are needed, then every affected account is blocked', async () => {
  const a = fake.addUser({ userPrincipalName: 'finance1@museum.example' });
  const b = fake.addUser({ userPrincipalName: 'finance2@museum.example' });
  const id = await raise(
    {
      type: 'ransomware',
      severity: 'critical',
      entities: { users: ['finance1@museum.example', 'finance2@museum.example'], hosts: ['FIN-PC-3'] },
    },
    'ransomware-suspected',
  );
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-accounts').status === 'awaiting-approval');
  expect(await decide(reflex.gateway, id, 'disable-accounts', 'oncall@museum.example')).toMatchObject({
    outcome: 'pending',
    approvals: 1,
    quorum: 2,
  });
  // The same person twice counts once.
  await expect(decide(reflex.gateway, id, 'disable-accounts', 'OnCall@museum.example')).rejects.toThrow(
    /already decided/,
  );
  expect(a.accountEnabled).toBe(true);
  expect(await decide(reflex.gateway, id, 'disable-accounts', 'dpo@museum.example')).toMatchObject({
    outcome: 'approved',
    approvals: 2,
  });
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(contained, 'disable-accounts').output).toEqual([
    { user: 'finance1@museum.example', accountEnabled: false },
    { user: 'finance2@museum.example', accountEnabled: false },
  ]);
  expect([a.accountEnabled, b.accountEnabled]).toEqual([false, false]);
  expect(templatesFor(id)).toEqual([
    'approval-request→dpo@museum.example',
    'approval-request→oncall@museum.example',
    'dpo-art33→dpo@museum.example',
    'manual-steps→oncall@museum.example',
    'ncsc→cert@ncsc.example',
  ]);
  expect(mailsFor(id).find((m) => m.headers['x-reflex-template'] === 'manual-steps')!.text).toContain(
    '[ ] Do not pay',
  );
  // Aborting undoes both blocks.
  const aborted = await reflex.gateway.abort(id, { by: 'oncall@museum.example' });
  expect(aborted.status).toBe('aborted');
  expect([a.accountEnabled, b.accountEnabled]).toEqual([true, true]);
  await recordHistory(reflex.gateway, id, 'ransomware-suspected.quorum-then-abort');
});

test.each([
  'compromised-account',
  'mass-export',
  'oauth-consent-or-inbox-rule',
  'ransomware-suspected',
  'leaked-secret',
  'notify-on-call',
])(
  'a drill of %s touches nothing, mails only the drill recipients and is marked DRILL',
  async (playbookId) => {
    const playbook = reflex.playbooks.find((p) => p.definition.id === playbookId)!;
    const before = fake.graphCalls().length;
    const id = await reflex.gateway.drill(playbook, sampleAlert(playbook));
    // Approvals in a drill go to the drill recipients, who approve like anyone else.
    const state = await waitForState(
      reflex.gateway,
      id,
      (s) => s.status === 'contained' || s.steps.some((st) => st.status === 'awaiting-approval'),
      'a drill step to need approval or the drill to finish',
    );
    for (const pending of state.steps.filter((s) => s.status === 'awaiting-approval')) {
      expect(pending.approval!.allowed).toEqual(['drills@museum.example']);
      await decide(reflex.gateway, id, pending.id, 'drills@museum.example');
    }
    const done = await waitForState(
      reflex.gateway,
      id,
      (s) => s.status === 'contained',
      'the drill to finish',
      60_000,
    );
    expect(done.drill).toBe(true);
    expect(done.steps.filter((st) => st.status === 'failed')).toEqual([]);
    expect(fake.graphCalls().length).toBe(before);
    for (const s of done.steps.filter((st) => st.kind === 'action' && st.status === 'succeeded')) {
      expect(JSON.stringify(s.output)).toContain('"dryRun":true');
    }
    const mails = mailsFor(id);
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) {
      expect(mail.to).toEqual(['drills@museum.example']);
      expect(mail.subject).toMatch(/^\[DRILL\]/);
    }
    const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
    expect(kinds[0]).toBe('drill.started');
    await recordHistory(reflex.gateway, id, `${playbookId}.drill`);
  },
  60_000,
);

test('drills can be started over the API, and bad requests say what was wrong', async () => {
  const started = await fetch(`${reflex.url}/api/drills`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth() },
    body: JSON.stringify({ playbook: 'mass-export' }),
  });
  expect(started.status).toBe(202);
  const { incidentId } = (await started.json()) as { incidentId: string };
  const state = await waitForState(reflex.gateway, incidentId, (s) =>
    s.steps.some((st) => st.status === 'awaiting-approval'),
  );
  expect(state.drill).toBe(true);
  const unknown = await fetch(`${reflex.url}/api/drills`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth() },
    body: '{"playbook":"nope"}',
  });
  expect(unknown.status).toBe(404);
  const bad = await fetch(`${reflex.url}/api/drills`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth() },
    body: JSON.stringify({ playbook: 'mass-export', alert: { id: 'x', severity: 'apocalyptic' } }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(
    expect.arrayContaining(['severity']),
  );
});
