// The inbox-rules actions on their own, through the real Graph client library against the HTTPS fake:
// what each finds, and how few Graph requests it makes for the mailboxes most alerts are about.
import { createGraphClient } from '../startup/graph-client';
import { createExchangeActivities } from '../activities/exchange/inbox-rules';
import { EntraFake, entraSettingsFor, type FakeUser } from './fakes/entra-fake';

let fake: EntraFake;
let actions: ReturnType<typeof createExchangeActivities>;

beforeAll(async () => {
  fake = await new EntraFake().start();
  actions = createExchangeActivities({ graph: createGraphClient(entraSettingsFor(fake.url)) });
});
afterAll(async () => {
  await fake.stop();
});

const removeRules = (user: FakeUser) =>
  actions['exchange.removeSuspiciousInboxRules']({
    incidentId: 'inc-1',
    stepId: 'remove-inbox-rules',
    drill: false,
    args: { user: user.userPrincipalName },
  }) as Promise<{
    removed: Array<{ rule: { displayName: string }; why: string[] }>;
    kept: number;
    notChecked: string[];
  }>;

/** The Graph requests (method and path after the user) that `run` made for `user`. */
async function requestsOf<T>(
  user: FakeUser,
  run: () => Promise<T>,
): Promise<{ result: T; requests: string[] }> {
  const before = fake.graphCalls().length;
  const result = await run();
  const prefix = `/v1.0/users/${encodeURIComponent(user.userPrincipalName)}`;
  const requests = fake
    .graphCalls()
    .slice(before)
    .map((c) => `${c.method} ${c.path.startsWith(prefix) ? c.path.slice(prefix.length) || '/' : c.path}`);
  return { result, requests };
}

test('a mailbox without rules, or only with rules that neither forward nor move mail, costs one request', async () => {
  const empty = fake.addUser({ userPrincipalName: 'empty@museum.example' });
  const { result, requests } = await requestsOf(empty, () => removeRules(empty));
  expect(requests).toEqual(['GET /mailFolders/inbox/messageRules']);
  expect(result).toMatchObject({
    removed: [],
    kept: 0,
    notChecked: [expect.stringMatching(/ForwardingSmtpAddress/)],
  });

  const tidy = fake.addUser({ userPrincipalName: 'tidy@museum.example' });
  fake.addRule(tidy, { displayName: 'Read receipts', actions: { markAsRead: true } });
  const deleting = fake.addRule(tidy, { displayName: 'x', actions: { delete: true } });
  const second = await requestsOf(tidy, () => removeRules(tidy));
  expect(second.requests).toEqual([
    'GET /mailFolders/inbox/messageRules',
    `DELETE /mailFolders/inbox/messageRules/${deleting.id}`,
  ]);
  expect(second.result.removed.map((r) => [r.rule.displayName, r.why])).toEqual([
    ['x', ['deletes mail on arrival']],
  ]);
  expect(second.result.kept).toBe(1);
});

test("forwarding rules are judged by the mailbox's own domains, without reading its folders", async () => {
  const user = fake.addUser({ userPrincipalName: 'fenna@museum.example' });
  fake.addRule(user, {
    displayName: 'To my colleague',
    actions: { forwardTo: [{ emailAddress: { address: 'colleague@museum.example' } }] },
  });
  const outside = fake.addRule(user, {
    displayName: '.',
    actions: { redirectTo: [{ emailAddress: { address: 'collect@evil.example' } }] },
  });
  const { result, requests } = await requestsOf(user, () => removeRules(user));
  expect(requests).toEqual([
    'GET /mailFolders/inbox/messageRules',
    'GET /',
    `DELETE /mailFolders/inbox/messageRules/${outside.id}`,
  ]);
  expect(result.removed.map((r) => r.why)).toEqual([
    ['redirects mail outside the organisation (to collect@evil.example)'],
  ]);
  expect(result.kept).toBe(1);
});

test('a rule that moves mail has the folders read, and a move to RSS Feeds goes while one to a project folder stays', async () => {
  const user = fake.addUser({ userPrincipalName: 'gijs@museum.example' });
  const hide = fake.addRule(user, {
    displayName: 'hide',
    actions: { moveToFolder: fake.folderId(user, 'RSS Feeds') },
  });
  fake.addRule(user, { displayName: 'Projects', actions: { moveToFolder: fake.folderId(user, 'Projects') } });
  const { result, requests } = await requestsOf(user, () => removeRules(user));
  expect(requests).toEqual([
    'GET /mailFolders/inbox/messageRules',
    'GET /mailFolders/deleteditems',
    'GET /mailFolders/archive',
    'GET /mailFolders',
    `DELETE /mailFolders/inbox/messageRules/${hide.id}`,
  ]);
  expect(result.removed.map((r) => [r.rule.displayName, r.why])).toEqual([
    ['hide', ['moves mail to RSS Feeds']],
  ]);
  expect(result.kept).toBe(1);
});

test('an unknown mailbox fails the step with what was asked, before anything is removed', async () => {
  await expect(
    actions['exchange.removeSuspiciousInboxRules']({
      incidentId: 'inc-1',
      stepId: 'remove-inbox-rules',
      drill: false,
      args: { user: 'nobody@museum.example' },
    }),
  ).rejects.toThrow(/remove the suspicious inbox rules of nobody@museum\.example/);
});
