// On-call beyond e-mail (issue 15, item 4): Teams (an Adaptive Card through a Workflows webhook) and
// Slack (blocks through an incoming webhook), configured per contact group, against local fakes of the
// two webhooks on real Temporal and SMTP. Buttons open the signed-in approval page — never a decision
// link, so chat unfurlers decide nothing; alert text stays text; a channel that refuses is marked
// failed with its reason on the timeline while the e-mail goes out; one that fails once is retried.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { alertBody, postSigned, TEST_ACCESS_TOKENS, TOKENS } from './helpers/reflex';
import { started, useReflex } from './helpers/bootstrap';
import { step, waitForState } from './helpers/incidents';
import { post } from './helpers/approval-links';

interface Hook {
  url: string;
  bodies: unknown[];
  server: Server;
}
/** A webhook stand-in: answers each post with the next of `answers` (the last one repeats). */
async function hook(path: string, answers: Array<[number, string]>): Promise<Hook> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const [status, answer] = answers[Math.min(bodies.length, answers.length - 1)]!;
      if (req.url === path) bodies.push(JSON.parse(text));
      res.writeHead(req.url === path ? status : 404).end(answer);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`, bodies, server };
}
const close = (h: Hook) => new Promise<void>((done) => h.server.close(() => done()));

const SLACK_PATH = '/services/T0001/B0001/slack-webhook-secret-0123456789';
const hooks = started(
  async () => ({
    teams: await hook('/workflows/teams-0001/triggers/manual/paths/invoke?sig=teams-sig-secret', [[202, '']]),
    slack: await hook(SLACK_PATH, [[200, 'ok']]),
    flaky: await hook('/flaky', [
      [503, 'busy'],
      [202, ''],
    ]),
    broken: await hook('/broken', [[404, 'invalid_webhook']]),
  }),
  async (h) => Promise.all(Object.values(h).map(close)),
);

const reflex = useReflex(() => ({
  playbooksDir: join(__dirname, 'fixtures/playbooks-chat'),
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    channels: { 'on-call': ['teams-oncall', 'slack-oncall', 'flaky'], dpo: ['broken'] },
  },
  extra: {
    chat: {
      channels: [
        { name: 'teams-oncall', kind: 'teams', url: hooks.teams.url },
        { name: 'slack-oncall', kind: 'slack', url: hooks.slack.url },
        { name: 'flaky', kind: 'teams', url: hooks.flaky.url },
        { name: 'broken', kind: 'slack', url: hooks.broken.url },
      ],
    },
    access: {
      tokens: [
        ...TEST_ACCESS_TOKENS,
        { name: 'piet', role: 'responder', email: 'piet@museum.example', token: PIET },
      ],
      attemptsPerMinute: { failedTokens: 10_000, signIns: 10_000, approvalLinks: 10_000 },
    },
  },
}));
const PIET = 'piet-responder-token-0123456789abcdef';

const HOSTILE = '[Log in here](https://evil.example/login) <!channel> *now*';
let id: string;
let approvalPage: string;
beforeAll(async () => {
  const response = await postSigned(
    reflex.url,
    alertBody({
      type: 'chat-test',
      title: HOSTILE,
      severity: 'high',
      entities: { users: ['eva@museum.example'] },
    }),
  );
  expect(response.status).toBe(202);
  id = response.body.incidentId as string;
  approvalPage = `${reflex.url}/approvals/${id}/block-in-crm`;
  await waitForState(reflex.gateway, id, (s) => step(s, 'block-in-crm').status === 'awaiting-approval');
  // The flaky channel's second try, after its retry delay.
  await waitFor(() => hooks.flaky.bodies.length >= 2);
});

async function waitFor(ok: () => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('Teams gets an Adaptive Card whose one button opens the approval page, with the alert as plain text', () => {
  const [card] = hooks.teams.bodies as Array<{
    type: string;
    attachments: Array<{
      contentType: string;
      content: { body: Array<{ text?: string }>; actions: unknown[] };
    }>;
  }>;
  expect(card!.type).toBe('message');
  const content = card!.attachments[0]!.content;
  expect(card!.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  expect(content.actions).toEqual([
    { type: 'Action.OpenUrl', title: 'Open the approval page', url: approvalPage },
  ]);
  expect(content.body[0]!.text).toBe('Approval needed: Block the account in the CRM');
  // The attacker's markdown is written out, not rendered as a link.
  expect(content.body[1]!.text).toBe(
    '\\[Log in here\\](https://evil.example/login) \\<!channel\\> \\*now\\*',
  );
  expect(JSON.stringify(card)).toContain('oncall@museum.example'); // who was asked
  expect(JSON.stringify(card)).not.toContain('/approve/'); // no decision link
});

test('Slack gets blocks: plain text for the alert, escaped fallback text, and the same button', () => {
  const [message] = hooks.slack.bodies as Array<{ text: string; blocks: Array<Record<string, unknown>> }>;
  expect(message!.text).toBe('Approval needed: Block the account in the CRM');
  const section = message!.blocks.find((b) => b.type === 'section') as {
    text: { type: string; text: string };
  };
  expect(section.text).toEqual({ type: 'plain_text', text: HOSTILE, emoji: false });
  expect(message!.blocks.at(-1)).toEqual({
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open the approval page', emoji: false },
        url: approvalPage,
      },
    ],
  });
  expect(JSON.stringify(message)).not.toContain('/approve/');
});

test('a channel that refuses is marked failed with its reason, the e-mail goes out; one that fails once is retried', async () => {
  const dpoMail = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'dpo-art33',
  );
  expect(dpoMail.to).toEqual(['dpo@museum.example']);
  const ask = await reflex.mailbox!.waitFor(
    (m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === 'approval-request',
  );
  expect(ask.to).toEqual(['oncall@museum.example']);

  // The flaky channel's post lands on its retry, about a second after the e-mails: wait for it.
  const chatEvents = async () =>
    (await reflex.audit.events(id)).filter((e) => e.kind.startsWith('chat.')).map((e) => [e.kind, e.content]);
  for (let i = 0; i < 100 && (await chatEvents()).length < 4; i++)
    await new Promise((r) => setTimeout(r, 100));
  const events = await reflex.audit.events(id);
  const chat = await chatEvents();
  expect(chat).toEqual(
    expect.arrayContaining([
      [
        'chat.failed',
        {
          step: 'tell-dpo',
          channel: 'broken',
          error: 'ChatRejected: slack channel "broken" answered 404: invalid_webhook',
        },
      ],
      ['chat.posted', { step: 'block-in-crm', channel: 'teams-oncall' }],
      ['chat.posted', { step: 'block-in-crm', channel: 'slack-oncall' }],
      ['chat.posted', { step: 'block-in-crm', channel: 'flaky' }],
    ]),
  );
  expect(hooks.broken.bodies).toHaveLength(1); // a 4xx is not retried
  // The timeline says so in words; no webhook URL (a credential) is anywhere on the record or in the logs.
  const timeline = await fetch(`${reflex.url}/api/incidents/${id}/timeline`, {
    headers: { authorization: `Bearer ${TOKENS.board}` },
  }).then((r) => r.json() as Promise<{ entries: Array<{ text: string }> }>);
  expect(timeline.entries.map((e) => e.text)).toContain(
    'Could not post about “Tell the DPO” in the chat channel broken (ChatRejected: slack channel "broken" answered 404: invalid_webhook); the e-mail went out.',
  );
  for (const secret of ['slack-webhook-secret-0123456789', 'teams-sig-secret']) {
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(reflex.logs()).not.toContain(secret);
  }
});

test('what an unfurler or a stranger gets from the button: the sign-in, and nothing decided', async () => {
  const opened = await fetch(approvalPage, {
    redirect: 'manual',
    headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0' },
  });
  expect(opened.status).toBe(303);
  expect(opened.headers.get('location')).toBe(
    `/login?next=${encodeURIComponent(`/approvals/${id}/block-in-crm`)}`,
  );
  const posted = await post(approvalPage, { decision: 'approve' });
  expect(posted.status).toBe(401);
  const state = await reflex.gateway.state(id);
  expect(step(state, 'block-in-crm').approval!.decisions).toEqual([]);
});

async function signIn(token: string): Promise<string> {
  const response = await fetch(`${reflex.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next: `/approvals/${id}/block-in-crm` }).toString(),
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}
const open = async (cookie: string) => {
  const response = await fetch(approvalPage, { headers: { cookie } });
  const html = await response.text();
  return {
    status: response.status,
    html,
    cookies: [cookie, response.headers.get('set-cookie')?.split(';')[0]].filter(Boolean).join('; '),
    csrf: html.match(/name="csrf" value="([^"]+)"/)?.[1],
  };
};

test('a responder who is not asked sees why and cannot decide; a forged form is refused', async () => {
  const piet = await open(await signIn(PIET));
  expect(piet.status).toBe(403);
  expect(piet.html).toContain(
    'It waits for oncall@museum.example; you are signed in as piet@museum.example.',
  );
  const asked = await open(await signIn(TOKENS.responder));
  const forged = await post(approvalPage, { decision: 'approve', csrf: 'x'.repeat(40) }, asked.cookies);
  expect(forged.status).toBe(403);
  expect(step(await reflex.gateway.state(id), 'block-in-crm').approval!.decisions).toEqual([]);
});

test('the asked responder, signed in, approves as themselves from the page', async () => {
  const page = await open(await signIn(TOKENS.responder));
  expect(page.status).toBe(200);
  expect(page.html).toContain('You (oncall@museum.example)');
  expect(page.html).toContain('Opening this page decides nothing');
  const decided = await post(approvalPage, { decision: 'approve', csrf: page.csrf! }, page.cookies);
  expect(decided.status).toBe(200);
  expect(decided.html).toContain('You approved');
  const state = await waitForState(reflex.gateway, id, (s) => step(s, 'block-in-crm').status === 'succeeded');
  expect(step(state, 'block-in-crm').approval!.decisions).toEqual([
    expect.objectContaining({ approver: 'oncall@museum.example', decision: 'approve' }),
  ]);
  // Once decided, the page says so.
  expect((await open(await signIn(TOKENS.responder))).status).toBe(409);
});
