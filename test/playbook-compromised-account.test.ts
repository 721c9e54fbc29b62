// compromised-account, end to end on the real dev server: Graph calls land on the HTTPS fake through the
// real client libraries, e-mails go over real SMTP; approve, reject and time out are each driven.
import { buildTimeline } from '../server/reports/timeline';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';
import { recordHistory } from './helpers/histories';

const fake = useEntraFake();
const reflex = useReflex(() => ({
  entra: fake,
  playbooks: ['compromised-account', 'notify-on-call'],
  contacts: { onCall: ['oncall@museum.example'], dpo: 'dpo@museum.example' },
}));

async function raise(user: string, severity = 'high') {
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'impossible-travel', severity, entities: { users: [user], ips: ['203.0.113.9'] } }),
  );
  expect(response.status).toBe(202);
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: 'compromised-account' })]);
  return response.body.incidentId as string;
}

const mailsFor = (id: string) => reflex.mailbox!.list().filter((m) => m.headers['x-reflex-incident'] === id);

test('approve: sessions revoked at once, account blocked after approval, DPO and on-call told; a false positive undoes it', async () => {
  const user = fake.addUser({ userPrincipalName: 'anna@museum.example' });
  const id = await raise('anna@museum.example');

  // Revocation is pre-approved: it happens before anyone is asked anything.
  const waiting = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-account').status === 'awaiting-approval',
    'awaiting approval',
  );
  expect(user.sessionsRevokedAt).toBeDefined();
  expect(user.accountEnabled).toBe(true);
  expect(step(waiting, 'disable-account').approval).toMatchObject({
    allowed: ['oncall@museum.example'],
    quorum: 1,
  });
  const request = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'approval-request',
  );
  expect(request.to).toEqual(['oncall@museum.example']);
  expect(request.text).toContain('Block the account from signing in');
  expect(request.text).toMatch(/If nobody answers by .*: Reflex goes ahead with it/);

  await expect(decide(reflex.gateway, id, 'disable-account', 'mallory@evil.example')).rejects.toThrow(
    /may not decide/,
  );
  expect((await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example')).outcome).toBe(
    'approved',
  );

  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained', 'contained');
  expect(contained.steps.map((s) => [s.id, s.status])).toEqual([
    ['revoke-sessions', 'succeeded'],
    ['remove-inbox-rules', 'succeeded'],
    ['verify-sign-out', 'succeeded'],
    ['disable-account', 'succeeded'],
    ['confirm-compromised', 'succeeded'],
    ['list-sign-in-methods', 'succeeded'],
    ['remove-sign-in-methods', 'skipped'],
    ['tell-people', 'succeeded'],
    ['notify-dpo', 'succeeded'],
    ['notify-on-call', 'succeeded'],
  ]);
  expect(user.accountEnabled).toBe(false);
  expect(user.riskState).toBe('confirmedCompromised');
  expect(step(contained, 'disable-account').approval!.decisions).toEqual([
    expect.objectContaining({ approver: 'oncall@museum.example', decision: 'approve', ip: '198.51.100.20' }),
  ]);
  const templates = mailsFor(id)
    .map((m) => `${m.headers['x-reflex-template']}→${m.to.join(',')}`)
    .sort();
  expect(templates).toEqual([
    'approval-request→oncall@museum.example',
    'dpo-art33→dpo@museum.example',
    'on-call→oncall@museum.example',
  ]);
  const dpo = mailsFor(id).find((m) => m.headers['x-reflex-template'] === 'dpo-art33')!;
  expect(dpo.text).toContain('72-hour deadline');
  expect(dpo.text).toContain('Block the account from signing in');

  // The calls that change something, in order (reads of rules, methods and sign-ins between them),
  // all authorised with the fake authority's token.
  const ofAnna = fake
    .graphCalls()
    .filter(
      (c) =>
        c.path.includes(encodeURIComponent('anna@museum.example')) ||
        c.path.includes('riskyUsers') ||
        (c.path.endsWith('/auditLogs/signIns') && decodeURIComponent(c.search).includes(user.id)),
    );
  expect(ofAnna.every((c) => c.authorized)).toBe(true);
  expect(ofAnna.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`)).toEqual([
    'POST /v1.0/users/anna%40museum.example/revokeSignInSessions',
    'PATCH /v1.0/users/anna%40museum.example',
    'POST /v1.0/identityProtection/riskyUsers/confirmCompromised',
  ]);
  expect(ofAnna.filter((c) => c.path.endsWith('/auditLogs/signIns')).length).toBeGreaterThan(5);

  // A responder calls it a false positive: the account is re-enabled and the risk dismissed, in reverse order.
  const closed = await reflex.gateway.resolve(id, {
    as: 'false-positive',
    by: 'oncall@museum.example',
    note: 'Anna was travelling',
  });
  expect(closed.status).toBe('false-positive');
  expect(user.accountEnabled).toBe(true);
  expect(user.riskState).toBe('dismissed');
  const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
  // Block, risk and the (empty) list of removed inbox rules.
  expect(kinds.filter((k) => k === 'step.compensated')).toHaveLength(3);
  expect(kinds.at(-1)).toBe('incident.closed');
  expect((await reflex.audit.verify(id)).ok).toBe(true);
  await recordHistory(reflex.gateway, id, 'compromised-account.approve-then-false-positive');
});

test('reject: the account stays enabled, the rest of the playbook goes on', async () => {
  const user = fake.addUser({ userPrincipalName: 'bert@museum.example' });
  const id = await raise('bert@museum.example');
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  expect(
    (await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example', 'reject')).outcome,
  ).toBe('rejected');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(contained, 'disable-account')).toMatchObject({
    status: 'rejected',
    reason: 'an approver rejected it',
  });
  expect(step(contained, 'confirm-compromised').status).toBe('succeeded');
  expect(user.accountEnabled).toBe(true);
  // A second decision after the first is refused.
  await expect(decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example')).rejects.toThrow(
    /not waiting for approval/,
  );
});

test('time out on a high-severity alert: on-call, then the DPO is asked, then the account is blocked anyway', async () => {
  const user = fake.addUser({ userPrincipalName: 'carla@museum.example' });
  const id = await raise('carla@museum.example', 'high');
  const contained = await waitForState(
    reflex.gateway,
    id,
    (s) => s.status === 'contained',
    'contained after the timeout',
  );
  expect(step(contained, 'disable-account')).toMatchObject({
    status: 'succeeded',
    approval: { outcome: 'timed-out', escalations: 1 },
  });
  expect(step(contained, 'disable-account').approval!.allowed).toEqual([
    'oncall@museum.example',
    'dpo@museum.example',
  ]);
  expect(user.accountEnabled).toBe(false);
  const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
  expect(kinds).toEqual(
    expect.arrayContaining([
      'approval.requested',
      'approval.escalated',
      'approval.reminded',
      'approval.timed-out',
    ]),
  );
  expect(kinds.indexOf('approval.escalated')).toBeLessThan(kinds.indexOf('approval.timed-out'));
  const asked = mailsFor(id)
    .filter((m) => m.headers['x-reflex-template'] === 'approval-request')
    .map((m) => m.to[0]);
  expect(asked).toEqual(expect.arrayContaining(['oncall@museum.example', 'dpo@museum.example']));
  await reflex.gateway.resolve(id, { as: 'contained', by: 'oncall@museum.example' });
  await recordHistory(reflex.gateway, id, 'compromised-account.timeout-escalation');
}, 60_000);

test('time out on a medium-severity alert: the account is left for a person', async () => {
  const user = fake.addUser({ userPrincipalName: 'dirk@museum.example' });
  const id = await raise('dirk@museum.example', 'medium');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(contained, 'disable-account')).toMatchObject({
    status: 'skipped',
    reason: 'nobody approved it in time',
  });
  expect(user.accountEnabled).toBe(true);
}, 60_000);

test('a privileged admin Graph refuses to disable is reported on the incident, not retried', async () => {
  fake.addUser({ userPrincipalName: 'admin@museum.example', privilegedAdmin: true });
  const id = await raise('admin@museum.example');
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(contained, 'disable-account').status).toBe('failed');
  expect(step(contained, 'disable-account').error).toMatch(/^GraphForbidden: .*privileged admin role/);
  const patches = fake
    .graphCalls()
    .filter((c) => c.method === 'PATCH' && c.path.includes('admin%40museum.example'));
  expect(patches).toHaveLength(1);
});

test("a throttled Graph call is retried by Temporal after the server's Retry-After, once", async () => {
  const user = fake.addUser({ userPrincipalName: 'eva@museum.example' });
  fake.fail({
    method: 'POST',
    path: /eva%40museum\.example\/revokeSignInSessions$/,
    status: 429,
    code: 'TooManyRequests',
    retryAfter: 1,
  });
  const id = await raise('eva@museum.example');
  await waitForState(reflex.gateway, id, (s) => step(s, 'revoke-sessions').status === 'succeeded');
  const revokes = fake
    .graphCalls()
    .filter((c) => c.path.endsWith('eva%40museum.example/revokeSignInSessions'));
  expect(revokes.map((c) => c.status)).toEqual([429, 200]);
  expect(user.sessionsRevokedAt).toBeDefined();
  // The retry is on the audit trail, and on the board's timeline in plain words.
  const retried = (await reflex.audit.events(id)).filter((e) => e.kind === 'step.retried');
  expect(retried.map((e) => e.content)).toEqual([
    { step: 'revoke-sessions', action: 'entra.revokeSessions', attempt: 2 },
  ]);
  const timeline = buildTimeline(id, await reflex.audit.events(id), 'en', 'Europe/Amsterdam')!;
  expect(timeline.entries.map((e) => e.text)).toContain(
    'Trying again: Sign the account out everywhere, so stolen sessions stop working (attempt 2).',
  );
});

test('a tenant without Entra ID P2: marking the user compromised is skipped and says what that means, not failed', async () => {
  fake.addUser({ userPrincipalName: 'nop2@museum.example' });
  // What Graph answers a tenant without the licence Identity Protection needs.
  fake.fail({
    method: 'POST',
    path: /\/identityProtection\/riskyUsers\/confirmCompromised$/,
    status: 403,
    code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
  });
  const id = await raise('nop2@museum.example');
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(contained.steps.map((s) => [s.id, s.status])).toEqual([
    ['revoke-sessions', 'succeeded'],
    ['remove-inbox-rules', 'succeeded'],
    ['verify-sign-out', 'succeeded'],
    ['disable-account', 'succeeded'],
    ['confirm-compromised', 'skipped'],
    ['list-sign-in-methods', 'succeeded'],
    ['remove-sign-in-methods', 'skipped'],
    ['tell-people', 'succeeded'],
    ['notify-dpo', 'succeeded'],
    ['notify-on-call', 'succeeded'],
  ]);
  expect(step(contained, 'confirm-compromised').reason).toBe(
    'skipped: needs Entra ID P2, which this tenant does not have (Authentication_RequestFromNonPremiumTenantOrB2CTenant): the user is not marked compromised in Entra ID Protection, so risk-based policies will not act on them; the other containment steps (sign-out, block) are not affected.',
  );
  // Tried once, not retried: a licence does not appear between attempts.
  const userId = fake.user('nop2@museum.example')!.id;
  const tries = fake
    .graphCalls()
    .filter(
      (c) => c.path.endsWith('/riskyUsers/confirmCompromised') && JSON.stringify(c.body).includes(userId),
    );
  expect(tries).toHaveLength(1);
  const timeline = buildTimeline(id, await reflex.audit.events(id), 'en', 'Europe/Amsterdam')!;
  expect(timeline.entries.map((e) => e.text).join('\n')).toContain('needs Entra ID P2');
});
