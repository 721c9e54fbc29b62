// Approval links, against hostile and accidental use: scanners, forgeries, expiry, replays, wrong
// approvers, races and decisions after the step closed. Only a POST from the page decides.
import { join } from 'node:path';
import type { EntraFake } from './fakes/entra-fake';

const THREE = { 'three-approvers': ['q1@museum.example', 'q2@museum.example', 'q3@museum.example'] };
import { alertBody, auth, postSigned, startTestReflex } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { step, waitForState } from './helpers/incidents';
import { freshDatabaseUrl } from './helpers/postgres';
import { decideByLink, linkIn, openLink, post } from './helpers/approval-links';
import type { IncidentState } from '../workflows/model/incident';

const ON_CALL = ['anna@museum.example', 'bert@museum.example'];
const fake = useEntraFake();
const reflex = useReflex({
  entra: fake,
  playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
  contacts: { onCall: ON_CALL, dpo: 'dpo@museum.example', groups: THREE },
});

/** Opens an incident that waits for approval; returns its id and each approver's link. */
async function incidentWaiting(): Promise<{
  id: string;
  links: Record<string, string>;
  user: ReturnType<EntraFake['addUser']>;
}> {
  const upn = `user-${Math.random().toString(36).slice(2, 8)}@museum.example`;
  const user = fake.addUser({ userPrincipalName: upn });
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'approval-test', entities: { users: [upn] } }),
  );
  const id = response.body.incidentId as string;
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  const links: Record<string, string> = {};
  for (const approver of ON_CALL) {
    const mail = await reflex.mailbox!.waitFor(
      (m) =>
        m.headers['x-reflex-incident'] === id &&
        m.headers['x-reflex-template'] === 'approval-request' &&
        m.to[0] === approver,
    );
    links[approver] = linkIn(mail);
  }
  return { id, links, user };
}

const state = (id: string) => waitForState(reflex.gateway, id, () => true);
const decisions = (s: IncidentState) => step(s, 'disable-account').approval!.decisions;

test('each approver gets their own link; the e-mail says what, why, and what happens without an answer', async () => {
  const { id, links } = await incidentWaiting();
  expect(links[ON_CALL[0]!]).not.toBe(links[ON_CALL[1]!]);
  const mail = reflex
    .mailbox!.list()
    .find((m) => m.headers['x-reflex-incident'] === id && m.to[0] === ON_CALL[0])!;
  expect(mail.text).toContain('What happened:');
  expect(mail.text).toContain('What Reflex wants to do: Block the account from signing in');
  expect(mail.text).toMatch(/If nobody answers by .*: Reflex does not do it/);
  expect(mail.text).not.toContain('undefined');
});

test('five GETs and HEADs, as a mail scanner would, decide nothing', async () => {
  const { id, links, user } = await incidentWaiting();
  const link = links[ON_CALL[0]!]!;
  for (const method of ['HEAD', 'GET', 'GET', 'HEAD', 'GET'] as const) {
    const page = await openLink(link, method, 'Mozilla/5.0 SafeLinks-scanner');
    expect(page.status).toBe(200);
  }
  const now = await state(id);
  expect(step(now, 'disable-account').status).toBe('awaiting-approval');
  expect(decisions(now)).toEqual([]);
  expect(user.accountEnabled).toBe(true);
  // The views are on the record (only GETs), and the link still works for the person.
  const views = (await reflex.audit.events(id)).filter((e) => e.kind === 'approval.viewed');
  expect(views).toHaveLength(3);
  expect(views[0]!.content).toMatchObject({ userAgent: 'Mozilla/5.0 SafeLinks-scanner' });
  expect((await decideByLink(link, 'approve')).status).toBe(200);
});

test('a forged token gets 404 and changes nothing', async () => {
  const { id } = await incidentWaiting();
  const forged = `${reflex.url}/approve/${'A'.repeat(43)}`;
  const page = await openLink(forged);
  expect(page.status).toBe(404);
  expect(page.html).toContain('This link is not valid');
  expect((await post(forged, { decision: 'approve', csrf: 'x' })).status).toBe(404);
  expect(decisions(await state(id))).toEqual([]);
});

test('an expired token gets 410 and changes nothing', async () => {
  const { id } = await incidentWaiting();
  const token = await reflex.approvalLinks.issue(
    id,
    'disable-account',
    ON_CALL[0]!,
    new Date(Date.now() - 1000),
  );
  const link = `${reflex.url}/approve/${token}`;
  const page = await openLink(link);
  expect(page.status).toBe(410);
  expect(page.html).toContain('This link has expired');
  expect((await post(link, { decision: 'approve', csrf: 'x' })).status).toBe(410);
  expect(decisions(await state(id))).toEqual([]);
});

test('a second use of a link gets 409 and changes nothing', async () => {
  const { id, links } = await incidentWaiting();
  const link = links[ON_CALL[0]!]!;
  const first = await decideByLink(link, 'reject');
  expect(first.status).toBe(200);
  expect(first.html).toContain('Rejected: Reflex will not do it.');
  const again = await openLink(link);
  expect(again.status).toBe(409);
  expect(again.html).toContain('already been used');
  expect(decisions(await state(id))).toHaveLength(1);
});

test('the decision is bound to the approver the link was sent to, whatever the form says', async () => {
  const { id, links } = await incidentWaiting();
  const page = await openLink(links[ON_CALL[1]!]!);
  const result = await post(
    links[ON_CALL[1]!]!,
    { decision: 'approve', csrf: page.csrf!, approver: 'mallory@evil.example' },
    page.cookie,
  );
  expect(result.status).toBe(200);
  const [decision] = decisions(await waitForState(reflex.gateway, id, (s) => decisions(s).length === 1));
  expect(decision).toMatchObject({ approver: ON_CALL[1], decision: 'approve', userAgent: 'jest-phone' });
  expect(decision!.ip).toBeDefined();
});

test("after the step is decided, the other approver's link gets 409 and changes nothing", async () => {
  const { id, links, user } = await incidentWaiting();
  expect((await decideByLink(links[ON_CALL[0]!]!, 'approve')).status).toBe(200);
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'succeeded');
  const late = await openLink(links[ON_CALL[1]!]!);
  expect(late.status).toBe(409);
  expect(late.html).toContain('already decided');
  expect(decisions(await state(id))).toHaveLength(1);
  expect(user.accountEnabled).toBe(false);
});

test("a POST without the page's CSRF token gets 403 and changes nothing", async () => {
  const { id, links } = await incidentWaiting();
  const result = await post(links[ON_CALL[0]!]!, { decision: 'approve' });
  expect(result.status).toBe(403);
  expect(result.html).toContain('This page has expired');
  expect(decisions(await state(id))).toEqual([]);
  expect((await decideByLink(links[ON_CALL[0]!]!, 'approve')).status).toBe(200); // the link still works
});

test('two POSTs racing with the same link: exactly one decision', async () => {
  const { id, links } = await incidentWaiting();
  const link = links[ON_CALL[0]!]!;
  const [a, b] = await Promise.all([openLink(link), openLink(link)]);
  const results = await Promise.all([
    post(link, { decision: 'approve', csrf: a.csrf! }, a.cookie),
    post(link, { decision: 'approve', csrf: b.csrf! }, b.cookie),
  ]);
  expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  expect(decisions(await state(id))).toHaveLength(1);
});

test('two approvers racing on a one-person step: exactly one decision', async () => {
  const { id, links } = await incidentWaiting();
  // Both have the page open; both press at the same moment.
  const [a, b] = await Promise.all([openLink(links[ON_CALL[0]!]!), openLink(links[ON_CALL[1]!]!)]);
  const results = await Promise.all([
    post(links[ON_CALL[0]!]!, { decision: 'approve', csrf: a.csrf! }, a.cookie),
    post(links[ON_CALL[1]!]!, { decision: 'reject', csrf: b.csrf! }, b.cookie),
  ]);
  expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  expect(decisions(await state(id))).toHaveLength(1);
});

test('pending approvals are listed for responders, and leave the list once decided', async () => {
  const { id, links } = await incidentWaiting();
  const listed = (await (
    await fetch(`${reflex.url}/api/approvals?state=pending`, { headers: auth() })
  ).json()) as {
    approvals: Array<{ incidentId: string; approvers: string[] }>;
  };
  expect(listed.approvals).toContainEqual(
    expect.objectContaining({ incidentId: id, stepId: 'disable-account', approvers: ON_CALL }),
  );
  expect(await (await fetch(`${reflex.url}/approvals`, { headers: auth() })).text()).toContain(id);
  await decideByLink(links[ON_CALL[0]!]!, 'approve');
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const after = (await (
      await fetch(`${reflex.url}/api/approvals?state=pending`, { headers: auth() })
    ).json()) as {
      approvals: Array<{ incidentId: string }>;
    };
    if (!after.approvals.some((a) => a.incidentId === id)) break;
    if (Date.now() > deadline) throw new Error('the decided step stayed on the pending list');
    await new Promise((r) => setTimeout(r, 200));
  }
  expect((await fetch(`${reflex.url}/api/approvals?state=everything`, { headers: auth() })).status).toBe(400);
});

test('links survive a restart of the server and worker', async () => {
  // A second Reflex on the same database and task queue stands in for the restarted one.
  const dbUrl = await freshDatabaseUrl('links');
  const first = await startTestReflex({
    entraUrl: fake.url,
    playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
    contacts: { onCall: ON_CALL, dpo: 'dpo@museum.example', groups: THREE },
    databaseUrl: dbUrl,
  });
  const upn = 'restart@museum.example';
  const user = fake.addUser({ userPrincipalName: upn });
  const id = (await postSigned(first.url, alertBody({ type: 'approval-test', entities: { users: [upn] } })))
    .body.incidentId as string;
  const mail = await first.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.to[0] === ON_CALL[0],
  );
  const token = linkIn(mail).split('/approve/')[1]!;
  await first.stop();
  const second = await startTestReflex({
    entraUrl: fake.url,
    playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
    contacts: { onCall: ON_CALL, dpo: 'dpo@museum.example', groups: THREE },
    databaseUrl: dbUrl,
    taskQueue: first.taskQueue,
  });
  try {
    const result = await decideByLink(`${second.url}/approve/${token}`, 'approve');
    expect(result.status).toBe(200);
    await waitForState(second.gateway, id, (s) => s.status === 'contained');
    expect(user.accountEnabled).toBe(false);
  } finally {
    await second.stop();
  }
});

test('quorum 2 of 3: one approval does not proceed, two do', async () => {
  const upn = 'quorum@museum.example';
  const user = fake.addUser({ userPrincipalName: upn });
  const id = (
    await postSigned(reflex.url, alertBody({ type: 'approval-quorum', entities: { users: [upn] } }))
  ).body.incidentId as string;
  const links: Record<string, string> = {};
  for (const approver of THREE['three-approvers']) {
    const mail = await reflex.mailbox!.waitFor(
      (m) => m.headers['x-reflex-incident'] === id && m.to[0] === approver,
    );
    links[approver] = linkIn(mail);
  }
  const first = await decideByLink(links['q1@museum.example']!, 'approve');
  expect(first.html).toContain('Recorded: 1 of 2 approvals so far.');
  await new Promise((r) => setTimeout(r, 1000));
  expect(step(await state(id), 'disable-account').status).toBe('awaiting-approval');
  expect(user.accountEnabled).toBe(true);
  const page = await openLink(links['q2@museum.example']!);
  expect(page.html).toContain('2 people must approve (1 so far)');
  const second = await decideByLink(links['q2@museum.example']!, 'approve');
  expect(second.html).toContain('Approved: Reflex is carrying it out now.');
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'succeeded');
  expect(user.accountEnabled).toBe(false);
  // The third approver's link now says it is decided.
  expect((await openLink(links['q3@museum.example']!)).status).toBe(409);
});
