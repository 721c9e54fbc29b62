// password-spray end to end on the real dev server: the sign-in log on the HTTPS fake says which
// accounts the attacker's address got into; every one of them is handled, not only the first.
import { buildTimeline } from '../server/reports/timeline';
import { sampleAlert } from '../triggers/drill-alert';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';
import { recordHistory } from './helpers/histories';
import type { FakeUser } from './fakes/entra-fake';

const fake = useEntraFake();
const reflex = useReflex(() => ({
  entra: fake,
  playbooks: ['password-spray', 'compromised-account', 'notify-on-call'],
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    drillRecipients: ['drills@museum.example'],
  },
}));

// Addresses no other test file sprays from: incidents (keyed by address) share the run's Temporal.
const SPRAYER = '203.0.113.200';
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
const attempt = (user: FakeUser, ip: string, errorCode: number, at: Date) =>
  fake.signIns.push({
    id: `${user.id}-${ip}-${at.getTime()}`,
    createdDateTime: at.toISOString(),
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ipAddress: ip,
    status: { errorCode },
  });

test('every account the address got into is signed out, then blocked and made to change its password after approval; a false positive unblocks them', async () => {
  const [anna, bob, carl, dave, erik] = ['anna', 'bob', 'carl', 'dave', 'erik'].map((n) =>
    fake.addUser({ userPrincipalName: `${n}.s@museum.example` }),
  ) as [FakeUser, FakeUser, FakeUser, FakeUser, FakeUser];
  for (const u of [anna, bob, carl, dave]) attempt(u, SPRAYER, 50126, hoursAgo(2)); // wrong passwords
  attempt(anna, SPRAYER, 0, hoursAgo(1.5)); // got in
  attempt(bob, SPRAYER, 0, hoursAgo(1));
  attempt(dave, '198.51.100.20', 0, hoursAgo(1)); // dave from elsewhere: not the attacker's
  attempt(erik, SPRAYER, 0, hoursAgo(30)); // before the day looked at
  fake.logPageSize = 2; // the log comes in pages

  const response = await postSigned(
    reflex.url,
    alertBody({
      type: 'password-spray',
      severity: 'high',
      title: 'Password spray',
      entities: { ips: [SPRAYER] },
    }),
  );
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: 'password-spray' })]);
  const id = response.body.incidentId as string;

  const asked = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-accounts').status === 'awaiting-approval',
  );
  expect(step(asked, 'find-accounts').output).toMatchObject({
    ips: [SPRAYER],
    accounts: ['anna.s@museum.example', 'bob.s@museum.example'],
    attempts: 6,
  });
  expect([anna, bob].map((u) => u.sessionsRevokedAt)).toEqual([expect.any(String), expect.any(String)]);
  expect([carl, dave, erik].map((u) => u.sessionsRevokedAt)).toEqual([undefined, undefined, undefined]);
  const mail = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'on-call',
  );
  expect(mail.text).toContain('Sign each of those accounts out everywhere');

  await decide(reflex.gateway, id, 'disable-accounts', 'oncall@museum.example');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(contained.steps.map((s) => [s.id, s.status])).toEqual([
    ['find-accounts', 'succeeded'],
    ['revoke-sessions', 'succeeded'],
    ['notify-on-call', 'succeeded'],
    ['disable-accounts', 'succeeded'],
    ['force-password-change', 'succeeded'],
  ]);
  expect([anna, bob].map((u) => [u.accountEnabled, u.forceChangePasswordNextSignIn])).toEqual([
    [false, true],
    [false, true],
  ]);
  expect([carl, dave, erik].map((u) => u.accountEnabled)).toEqual([true, true, true]);
  const texts = buildTimeline(id, await reflex.audit.events(id), 'en', 'Europe/Amsterdam')!.entries.map(
    (e) => e.text,
  );
  expect(texts).toContainEqual(
    expect.stringContaining(
      `Accounts that signed in from ${SPRAYER}: anna.s@museum.example, bob.s@museum.example (6 attempts in the log).`,
    ),
  );

  await reflex.gateway.resolve(id, { as: 'false-positive', by: 'oncall@museum.example' });
  expect([anna, bob].map((u) => u.accountEnabled)).toEqual([true, true]);
  fake.logPageSize = 1000;
  await recordHistory(reflex.gateway, id, 'password-spray.approve-then-false-positive');
}, 60_000);

test('the accounts the alert names are handled too; a spray without an address goes to compromised-account', async () => {
  const fay = fake.addUser({ userPrincipalName: 'fay.s@museum.example' });
  const named = await postSigned(
    reflex.url,
    alertBody({
      type: 'password-spray-success',
      severity: 'medium',
      entities: { ips: ['203.0.113.201'], users: [fay.userPrincipalName] },
    }),
  );
  expect(named.body.incidents).toEqual([expect.objectContaining({ playbook: 'password-spray' })]);
  const state = await waitForState(
    reflex.gateway,
    named.body.incidentId as string,
    (s) => step(s, 'revoke-sessions').status === 'succeeded',
  );
  expect(step(state, 'find-accounts').output).toMatchObject({
    accounts: ['fay.s@museum.example'],
    attempts: 0,
  });
  expect(fay.sessionsRevokedAt).toBeDefined();

  const gus = fake.addUser({ userPrincipalName: 'gus.s@museum.example' });
  const noAddress = await postSigned(
    reflex.url,
    alertBody({
      type: 'password-spray-success',
      severity: 'medium',
      entities: { users: [gus.userPrincipalName] },
    }),
  );
  expect(noAddress.body.incidents).toEqual([expect.objectContaining({ playbook: 'compromised-account' })]);
}, 60_000);

test('a drill hands the alert’s own account to the steps after the search, and calls nothing', async () => {
  const playbook = reflex.playbooks.find((p) => p.definition.id === 'password-spray')!;
  const before = fake.graphCalls().length;
  const id = await reflex.gateway.drill(playbook, sampleAlert(playbook));
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-accounts').status === 'awaiting-approval');
  await decide(reflex.gateway, id, 'disable-accounts', 'drills@museum.example');
  const done = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(done, 'revoke-sessions').output).toEqual([
    expect.objectContaining({
      dryRun: true,
      wouldCall: [
        expect.objectContaining({ path: '/users/drill.user%40museum.example/revokeSignInSessions' }),
      ],
    }),
  ]);
  expect(step(done, 'force-password-change').status).toBe('succeeded');
  // Other incidents of this file may still be watching their sign-ins: none of the drill's.
  const drillCalls = fake
    .graphCalls()
    .slice(before)
    .filter((c) => /drill\.user|192\.0\.2\.10/.test(decodeURIComponent(c.path + c.search)));
  expect(drillCalls).toEqual([]);
}, 60_000);
