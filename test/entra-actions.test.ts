// Entra ID actions through the real @azure/identity and Graph client libraries, against a local HTTPS
// fake of the token authority and Graph, including every fault class.
import { ApplicationFailure } from '@temporalio/common';
import { createGraphClient } from '../startup/graph-client';
import { createEntraActivities } from '../activities/entra/users';
import { createSignInActivities } from '../activities/entra/sign-ins';
import { GraphThrottle } from '../activities/entra/throttle';
import { retryAfterSeconds } from '../common/retry-after';
import { EntraFake, entraSettingsFor } from './fakes/entra-fake';

let fake: EntraFake;
let actions: ReturnType<typeof createEntraActivities>;
let graph: ReturnType<typeof createGraphClient>;

beforeAll(async () => {
  fake = await new EntraFake().start();
  graph = createGraphClient(entraSettingsFor(fake.url));
  actions = createEntraActivities({ graph });
});
afterAll(async () => {
  await fake.stop();
});

const input = (user: string, drill = false) => ({
  incidentId: 'inc-1',
  stepId: 'step-1',
  drill,
  args: { user },
});

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

test('revoke, disable, enable, force password change, confirm and dismiss change the fake as Graph would', async () => {
  const user = fake.addUser({ userPrincipalName: 'anna@museum.example' });
  expect(await actions['entra.revokeSessions'](input('anna@museum.example'))).toEqual({
    user: 'anna@museum.example',
    sessionsRevoked: true,
  });
  expect(user.sessionsRevokedAt).toBeDefined();
  await actions['entra.disableAccount'](input('anna@museum.example'));
  expect(user.accountEnabled).toBe(false);
  await actions['entra.disableAccount'](input('anna@museum.example')); // idempotent
  expect(user.accountEnabled).toBe(false);
  await actions['entra.enableAccount'](input(user.id));
  expect(user.accountEnabled).toBe(true);
  await actions['entra.forcePasswordChange'](input('anna@museum.example'));
  expect(user.forceChangePasswordNextSignIn).toBe(true);
  expect(await actions['entra.confirmCompromised'](input('anna@museum.example'))).toMatchObject({
    userId: user.id,
  });
  expect(user.riskState).toBe('confirmedCompromised');
  await actions['entra.dismissCompromised'](input('anna@museum.example'));
  expect(user.riskState).toBe('dismissed');
  // Every Graph call carried a token the fake authority issued through the client-credentials flow.
  expect(fake.graphCalls().every((c) => c.authorized)).toBe(true);
  expect(fake.tokensIssued.length).toBeGreaterThan(0);
});

test('lookupUser returns the name and manager, and no manager is an answer too', async () => {
  const boss = fake.addUser({ userPrincipalName: 'director@museum.example', displayName: 'The Director' });
  fake.addUser({ userPrincipalName: 'piet@museum.example', displayName: 'Piet', managerId: boss.id });
  expect(await actions['entra.lookupUser'](input('piet@museum.example'))).toMatchObject({
    displayName: 'Piet',
    manager: { displayName: 'The Director', mail: 'director@museum.example' },
  });
  expect(await actions['entra.lookupUser'](input('director@museum.example'))).toMatchObject({
    manager: null,
  });
});

test('a drill states exactly what it would call and touches nothing', async () => {
  const user = fake.addUser({ userPrincipalName: 'drill@museum.example' });
  const before = fake.graphCalls().length;
  expect(await actions['entra.disableAccount'](input('drill@museum.example', true))).toEqual({
    dryRun: true,
    wouldCall: [{ method: 'PATCH', path: '/users/drill%40museum.example', body: { accountEnabled: false } }],
  });
  expect(user.accountEnabled).toBe(true);
  expect(fake.graphCalls().length).toBe(before);
});

const faults: Array<[string, number, string | undefined, number | undefined, string, boolean]> = [
  ['429 with Retry-After', 429, 'TooManyRequests', 7, 'GraphThrottled', false],
  ['503 with Retry-After', 503, 'ServiceUnavailable', 3, 'GraphThrottled', false],
  ['503 without Retry-After', 503, 'ServiceUnavailable', undefined, 'GraphThrottled', false],
  ['403 (missing permission)', 403, 'Authorization_RequestDenied', undefined, 'GraphForbidden', true],
  ['404 (unknown user)', 404, 'Request_ResourceNotFound', undefined, 'GraphNotFound', true],
  ['500', 500, 'InternalServerError', undefined, 'GraphServerError', false],
];

test.each(faults)(
  '%s is classified where it is born',
  async (_name, status, code, retryAfter, type, nonRetryable) => {
    fake.addUser({ userPrincipalName: `fault-${status}-${retryAfter}@museum.example` });
    fake.fail({ method: 'POST', path: /revokeSignInSessions$/, status, code, retryAfter });
    const failure = await failureOf(
      actions['entra.revokeSessions'](input(`fault-${status}-${retryAfter}@museum.example`)),
    );
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    if (retryAfter !== undefined) expect(failure.nextRetryDelay).toBe(`${retryAfter} seconds`);
    if (status === 403) expect(failure.message).toContain('User.RevokeSessions.All');
  },
);

test('after a 429 with Retry-After, no call of the worker reaches Graph until the wait is over', async () => {
  let now = 1_000_000;
  const throttled = createEntraActivities({
    graph,
    throttle: new GraphThrottle(
      () => now,
      () => 0,
    ),
  });
  fake.addUser({ userPrincipalName: 'gate1@museum.example' });
  fake.addUser({ userPrincipalName: 'gate2@museum.example' });
  fake.fail({
    method: 'POST',
    path: /revokeSignInSessions$/,
    status: 429,
    code: 'TooManyRequests',
    retryAfter: 30,
  });
  const first = await failureOf(throttled['entra.revokeSessions'](input('gate1@museum.example')));
  expect(first.nextRetryDelay).toBe('30 seconds');
  const calls = fake.graphCalls().length;
  now += 10_000;
  // Another account, another action: held back without a call, told how long is left.
  const held = await failureOf(throttled['entra.disableAccount'](input('gate2@museum.example')));
  expect(held).toMatchObject({
    type: 'GraphThrottled',
    nonRetryable: false,
    nextRetryDelay: '20000 milliseconds',
  });
  expect(fake.graphCalls().length).toBe(calls);
  now += 20_000;
  await throttled['entra.revokeSessions'](input('gate1@museum.example'));
  expect(fake.graphCalls().length).toBe(calls + 1);
});

test('a privileged admin that Graph refuses to disable is reported as such, with the permission named', async () => {
  fake.addUser({ userPrincipalName: 'globaladmin@museum.example', privilegedAdmin: true });
  const failure = await failureOf(actions['entra.disableAccount'](input('globaladmin@museum.example')));
  expect(failure).toMatchObject({ type: 'GraphForbidden', nonRetryable: true });
  expect(failure.message).toMatch(/User\.EnableDisableAccount\.All.*privileged admin role/s);
});

test('an unknown user is not found, a malformed one is refused before any call', async () => {
  expect((await failureOf(actions['entra.disableAccount'](input('ghost@museum.example')))).type).toBe(
    'GraphNotFound',
  );
  const before = fake.graphCalls().length;
  const malformed = await failureOf(actions['entra.disableAccount'](input('not a user')));
  expect(malformed).toMatchObject({ type: 'InvalidArguments', nonRetryable: true });
  expect(malformed.message).toContain('with.user');
  expect(fake.graphCalls().length).toBe(before);
});

test('wrong client credentials fail without reaching Graph, and no secret is in the error', async () => {
  const wrong = createEntraActivities({
    graph: createGraphClient(entraSettingsFor(fake.url, 'wrong-secret-123')),
  });
  fake.addUser({ userPrincipalName: 'creds@museum.example' });
  const before = fake.graphCalls().length;
  const err = await wrong['entra.revokeSessions'](input('creds@museum.example')).catch(
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(Error);
  expect(String((err as Error).message)).not.toContain('wrong-secret-123');
  expect(fake.graphCalls().length).toBe(before);
});

test('without Entra configuration, a real run fails naming the settings, and a drill still works', async () => {
  const none = createEntraActivities({ graph: undefined });
  const failure = await failureOf(none['entra.revokeSessions'](input('anna@museum.example')));
  expect(failure).toMatchObject({ type: 'EntraNotConfigured', nonRetryable: true });
  expect(failure.message).toContain('entra.tenantId');
  expect(await none['entra.revokeSessions'](input('anna@museum.example', true))).toMatchObject({
    dryRun: true,
  });
});

test('a watch: nothing yet is a benign failure retried `every` later; at its end the read answers; a bad watch is refused', async () => {
  const reads = createSignInActivities({ graph })['entra.signInsSince'];
  fake.addUser({ userPrincipalName: 'wim@museum.example' });
  const args = { user: 'wim@museum.example', since: new Date(Date.now() - 60_000).toISOString() };
  const watched = (until: Date, everySeconds = 60) => ({
    ...input('wim@museum.example'),
    args,
    watch: { until: until.toISOString(), everySeconds },
  });
  const notYet = await failureOf(reads(watched(new Date(Date.now() + 600_000), 30)));
  expect(notYet).toMatchObject({ type: 'NoSignInYet', nonRetryable: false, category: 'BENIGN' });
  expect(notYet.nextRetryDelay).toBe(30_000);
  // Less time left than `every`: the next look is at the window's end.
  const last = await failureOf(reads(watched(new Date(Date.now() + 5_000), 30)));
  expect(Number(last.nextRetryDelay)).toBeLessThanOrEqual(5_000);
  // The window has ended: the read answers, empty.
  expect(await reads(watched(new Date(Date.now() - 1)))).toMatchObject({ signIns: [] });
  // Without a watch, one look answers at once.
  expect(await reads({ ...input('wim@museum.example'), args })).toMatchObject({ signIns: [] });
  const before = fake.graphCalls().length;
  const bad = await failureOf(reads({ ...watched(new Date()), watch: { until: 'soon', everySeconds: 0 } }));
  expect(bad).toMatchObject({ type: 'InvalidArguments', nonRetryable: true });
  expect(bad.message).toMatch(/^entra\.signInsSince: watch\.until: .*; watch\.everySeconds: /);
  expect(fake.graphCalls().length).toBe(before);
});

test.each([
  ['5', 5],
  ['0', 0],
  [null, undefined],
  ['soon', undefined],
])('Retry-After %p is %p seconds', (header, seconds) => {
  expect(retryAfterSeconds(header)).toBe(seconds);
});
