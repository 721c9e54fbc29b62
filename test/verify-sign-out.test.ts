// Verifying a sign-out (a verify step), end to end on the real dev server: the workflow reads the
// HTTPS fake's sign-in log through the real Graph client, one read Temporal runs again until the
// window ends. The fast playbooks watch for 15 s (15 minutes shipped) and look every second.
import { buildTimeline } from '../server/reports/timeline';
import { parsePlaybook, type PlaybookError } from '../playbooks/load';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { fastPlaybooks, writeWatchPlaybook } from './helpers/playbooks';
import { decide, step, waitForState } from './helpers/incidents';
import type { FakeUser } from './fakes/entra-fake';
import { recordHistory } from './helpers/histories';

const OFFICE = '198.51.100.7';
const dir = fastPlaybooks(['compromised-account', 'notify-on-call']);
// The office's address is expected: a sign-in from it is no finding.
writeWatchPlaybook(dir, { id: 'watch-office', type: 'watch-test', window: '4s', allowIps: [OFFICE] });

const fake = useEntraFake();
const reflex = useReflex(() => ({ entra: fake, playbooksDir: dir }));

async function raise(user: string, type = 'impossible-travel') {
  const response = await postSigned(
    reflex.url,
    alertBody({ type, severity: 'medium', entities: { users: [user], ips: ['203.0.113.9'] } }),
  );
  expect(response.status).toBe(202);
  return response.body.incidentId as string;
}

/** A watch-test incident for a new account `upn`, once its watch is running. */
async function watching(upn: string) {
  const user = fake.addUser({ userPrincipalName: upn });
  const id = await raise(upn, 'watch-test');
  await waitForState(reflex.gateway, id, (s) => step(s, 'watch').status === 'running');
  return { user, id };
}

const signIn = (user: FakeUser, ip: string, errorCode = 0, at = new Date()) =>
  fake.signIns.push({
    id: `${user.id}-${at.getTime()}-${ip}`,
    createdDateTime: at.toISOString(),
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ipAddress: ip,
    appDisplayName: 'Office 365 Exchange Online',
    status: { errorCode },
    location: { city: 'Lagos', countryOrRegion: 'NG' },
  });

const timelineOf = async (id: string, locale: 'en' | 'nl' = 'en') =>
  buildTimeline(id, await reflex.audit.events(id), locale, 'Europe/Amsterdam')!.entries.map((e) => e.text);

test('a sign-in after the sign-out blocks the account at once, signs it out again and tells on-call; a false positive unblocks it', async () => {
  const user = fake.addUser({ userPrincipalName: 'gina@museum.example' });
  signIn(user, '203.0.113.77', 0, new Date(Date.now() - 60_000)); // before the sign-out: not a finding
  const id = await raise(user.userPrincipalName);
  const asked = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-account').status === 'awaiting-approval',
  );
  expect(step(asked, 'verify-sign-out').status).toBe('running'); // beside the approval, not after it
  const firstRevocation = user.sessionsRevokedAt;
  expect(user.accountEnabled).toBe(true);

  // The attacker's refresh token still works: a sign-in after the sign-out.
  signIn(user, '203.0.113.77');
  const escalated = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'verify-sign-out').status === 'succeeded',
  );
  expect(user.accountEnabled).toBe(false); // without waiting for the approval
  expect(step(escalated, 'disable-account').status).not.toBe('succeeded'); // the block was the verification's
  expect(user.sessionsRevokedAt).not.toBe(firstRevocation);
  expect(step(escalated, 'verify-sign-out').output).toMatchObject({
    verified: false,
    user: 'gina@museum.example',
    signIn: { ip: '203.0.113.77', app: 'Office 365 Exchange Online', place: 'Lagos, NG' },
    blocked: true,
    revoked: true,
    told: true,
  });
  const mail = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'still-active',
  );
  expect(mail.to).toEqual(['oncall@museum.example']);
  expect(mail.subject).toBe('[Reflex] Still signed in after the sign-out: gina@museum.example');
  expect(mail.text).toMatch(
    /signed in again at .*\nfrom 203\.0\.113\.77 \(Office 365 Exchange Online\), Lagos, NG\./,
  );
  expect(mail.text).toContain('  - blocked the account\n  - signed it out again');

  // Audit writes trail the workflow by a moment: wait for the finding to be on the record.
  for (let i = 0; i < 100; i++) {
    if ((await reflex.audit.events(id)).some((e) => e.kind === 'verification.failed')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const texts = await timelineOf(id);
  expect(texts).toContainEqual(
    expect.stringMatching(
      /^Still active at .+ from 203\.0\.113\.77 \(Office 365 Exchange Online\): Reflex blocked the account, signed it out again and told on-call\.$/,
    ),
  );
  expect(await timelineOf(id, 'nl')).toContainEqual(
    expect.stringMatching(
      /^Nog actief om .+ vanaf 203\.0\.113\.77 .*: Reflex heeft het account geblokkeerd, opnieuw afgemeld en de dienstdoende verteld\.$/,
    ),
  );

  await reflex.gateway.resolve(id, {
    as: 'false-positive',
    by: 'oncall@museum.example',
    note: 'her own phone',
  });
  expect(user.accountEnabled).toBe(true);
  expect((await reflex.audit.verify(id)).ok).toBe(true);
  await recordHistory(reflex.gateway, id, 'compromised-account.verify-escalation-false-positive');
}, 60_000);

test('no sign-in for the whole window: "sign-out verified"; failed sign-ins and sign-ins before it do not count', async () => {
  const user = fake.addUser({ userPrincipalName: 'hans@museum.example' });
  signIn(user, '203.0.113.77', 0, new Date(Date.now() - 60_000));
  const id = await raise(user.userPrincipalName);
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  signIn(user, '203.0.113.77', 50126); // a wrong password: the attacker did not get in
  await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example', 'reject');
  const contained = await waitForState(
    reflex.gateway,
    id,
    (s) => s.status === 'contained',
    'contained after the window',
    40_000,
  );
  const verified = step(contained, 'verify-sign-out');
  expect(verified).toMatchObject({
    status: 'succeeded',
    output: { verified: true, user: 'hans@museum.example' },
  });
  const { since, until } = verified.output as { since: string; until: string };
  expect(Date.parse(until) - Date.parse(since)).toBe(15_000);
  expect(Date.parse(since)).toBe(Date.parse(step(contained, 'revoke-sessions').finishedAt!));
  expect(user.accountEnabled).toBe(true); // rejected, and nothing proved otherwise
  expect(await timelineOf(id)).toContainEqual(
    expect.stringMatching(/^Sign-out verified: no sign-in since .+\.$/),
  );
  // Every read asked for this account's sign-ins since the sign-out, and only those.
  const reads = fake.logQueries.filter((q) => decodeURIComponent(q).includes(`'${user.id}'`));
  expect(reads.length).toBeGreaterThanOrEqual(10);
  expect(decodeURIComponent(reads[0]!)).toContain(
    `userId eq '${user.id}' and createdDateTime ge ${new Date(since).toISOString()}`,
  );
  // The whole watch was one activity Temporal ran again every second ("no sign-in yet" until the
  // window ended): one read scheduled on the history, not one (and a timer) per look.
  const events = (await reflex.gateway.history(id)).events ?? [];
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'entra.signInsSince',
  );
  expect(scheduled).toHaveLength(1);
  const started = events.find(
    (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled[0]!.eventId),
  );
  expect(started!.activityTaskStartedEventAttributes!.attempt).toBeGreaterThanOrEqual(10);
  // Looks are not retries: the timeline does not list them.
  const retried = (await reflex.audit.events(id)).filter((e) => e.kind === 'step.retried');
  expect(retried).toEqual([]);
  // Nor are they failures in the log: "no sign-in yet" is benign (the SDK logs it at debug level).
  const logged = reflex
    .logs()
    .split('\n')
    .filter((line) => line.includes('NoSignInYet'));
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.filter((line) => !line.includes('"level":20'))).toEqual([]);
}, 60_000);

test('a sign-in from an allowed address is expected; the playbook decides what a finding does', async () => {
  const { user, id: office } = await watching('ina@museum.example');
  signIn(user, OFFICE);
  const passed = await waitForState(reflex.gateway, office, (s) => s.status === 'contained');
  expect(step(passed, 'watch').output).toMatchObject({ verified: true });

  const { user: other, id } = await watching('jan@museum.example');
  signIn(other, '203.0.113.5');
  const found = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(found, 'watch').output).toMatchObject({
    verified: false,
    blocked: false,
    revoked: true,
    told: false,
  });
  expect(other.accountEnabled).toBe(true); // block: false
  expect(reflex.mailbox!.list().filter((m) => m.headers['x-reflex-incident'] === id)).toEqual([]);
}, 60_000);

test('a watch looks the account up once: its later looks read the sign-ins only', async () => {
  const { user, id } = await watching('lies@museum.example');
  const done = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(step(done, 'watch').output).toMatchObject({ verified: true });
  const reads = fake.logQueries.filter((q) => decodeURIComponent(q).includes(`'${user.id}'`));
  expect(reads.length).toBeGreaterThanOrEqual(3); // a 4 s window, a look a second
  // The first look found the account's object id and kept it (the activity's heartbeat details) for
  // the attempts after it; the sign-out itself names the account by its sign-in name.
  const lookups = fake
    .graphCalls()
    .filter(
      (c) => c.method === 'GET' && c.path === `/v1.0/users/${encodeURIComponent(user.userPrincipalName)}`,
    );
  expect(lookups).toHaveLength(1);
}, 60_000);

test('a read that fails mid-watch loses nothing: the next read finds the sign-in made meanwhile', async () => {
  const { user, id } = await watching('joost@museum.example');
  fake.fail({ method: 'GET', path: /\/auditLogs\/signIns$/, status: 503, times: 2 });
  signIn(user, '203.0.113.6');
  const found = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  const refused = fake.graphCalls().filter((c) => c.path.endsWith('/auditLogs/signIns') && c.status === 503);
  expect(refused).toHaveLength(2); // both failed reads happened
  expect(step(found, 'watch')).toMatchObject({
    status: 'succeeded',
    output: { verified: false, signIn: { ip: '203.0.113.6' }, revoked: true },
  });
}, 60_000);

test('reads that still fail after the window fail the step, and say why', async () => {
  const { id } = await watching('karel@museum.example');
  fake.fail({ method: 'GET', path: /\/auditLogs\/signIns$/, status: 503, times: 1000 });
  try {
    // The window is 4 s: the reads go on for as long again, then the step fails.
    const done = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
    expect(step(done, 'watch')).toMatchObject({
      status: 'failed',
      error:
        'GraphThrottled: Microsoft Graph is busy (503) while trying to read the sign-ins of karel@museum.example. (gave up: out of time)',
    });
  } finally {
    fake.clearFaults();
  }
}, 60_000);

test('a tenant without Entra ID P1 cannot read sign-in logs: the step is skipped and says what that means', async () => {
  fake.signInLogsLicensed = false;
  try {
    const user = fake.addUser({ userPrincipalName: 'kim@museum.example' });
    const id = await raise(user.userPrincipalName, 'watch-test');
    const done = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
    expect(step(done, 'watch')).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(
        /^skipped: needs Entra ID P1, which this tenant does not have .*could not verify that the sign-out took/,
      ),
    });
  } finally {
    fake.signInLogsLicensed = true;
  }
}, 60_000);

test('an incident closed while it watches (a false positive during the approval) closes at once, watching stops', async () => {
  const user = fake.addUser({ userPrincipalName: 'lot@museum.example' });
  const id = await raise(user.userPrincipalName);
  const asked = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-account').status === 'awaiting-approval',
  );
  expect(step(asked, 'verify-sign-out').status).toBe('running');
  const closed = await reflex.gateway.resolve(id, { as: 'false-positive', by: 'oncall@museum.example' });
  expect(closed.status).toBe('false-positive');
  const reads = () => fake.logQueries.filter((q) => decodeURIComponent(q).includes(`'${user.id}'`)).length;
  const after = reads();
  await new Promise((r) => setTimeout(r, 2_500));
  expect(reads()).toBe(after); // no more checks once closed
  expect((await reflex.audit.verify(id)).ok).toBe(true);
}, 60_000);

test('the compiler checks a verify step: the sign-out it watches, its pace, and that nothing waits on it', () => {
  const playbook = (steps: string) => `id: broken
version: 1
title: Broken on purpose
description: A fixture that must fail validation.
triggers:
  - types: [risky-sign-in]
steps:
${steps}`;
  const revoke = `  - id: revoke
    description: Sign out
    action: entra.revokeSessions
    with: { user: '{{entities.users.0}}' }
`;
  const watch = (extra = '') => `  - id: watch
    description: Watch
    verify: sign-out
    user: '{{entities.users.0}}'
    after: revoke
${extra}`;
  const problems = (text: string) => {
    try {
      parsePlaybook('broken.yaml', text);
      return '';
    } catch (err) {
      return (err as PlaybookError).message;
    }
  };
  expect(problems(playbook(revoke + watch()))).toBe('');
  expect(problems(playbook(watch() + revoke))).toMatch(
    /broken\.yaml:12: step "watch", steps\[0\]\.after: "revoke" does not finish before this step/,
  );
  expect(problems(playbook(revoke + watch('    window: 1m\n    every: 2m\n')))).toMatch(
    /step "watch", steps\[1\]\.every: checks every 2m, longer than the whole window \(1m\)/,
  );
  expect(problems(playbook(revoke + watch('    allow: { ips: [not-an-ip] }\n')))).toMatch(
    /broken\.yaml:17: step "watch", steps\[1\]\.allow\.ips\[0\]: an IP address such as 198\.51\.100\.7/,
  );
  expect(
    problems(
      playbook(
        `${revoke}${watch()}  - id: after
    description: Reads the verification
    action: entra.disableAccount
    when: { steps.watch.output.verified: { equals: false } }
    with: { user: '{{entities.users.0}}' }
`,
      ),
    ),
  ).toMatch(
    /step "after", steps\[2\]\.when: condition refers to step "watch", which does not finish before this one/,
  );
});
