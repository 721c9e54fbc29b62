// Templates render what attackers write (issue 12, items 3 and 4), end to end on real Temporal and SMTP:
// alert data cannot become a `{ secret: … }` reference, values rendered into a URL are percent-encoded,
// values rendered into HTML mail are escaped; and the playbook compiler refuses templates where an
// alert must not choose (a secret's name, a whole URL, an unescaped tag in a URL).
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlaybook, PlaybookError } from '../playbooks/load';
import { alertBody, auth, postSigned } from './helpers/reflex';
import { started, useReflex } from './helpers/bootstrap';
import { waitForState } from './helpers/incidents';

interface Seen {
  path: string;
  headers: Record<string, string | string[] | undefined>;
}
const crm = started(
  async () => {
    const seen: Seen[] = [];
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ path: req.url!, headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"blocked":true}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, server };
  },
  (c) => new Promise<void>((done) => c.server.close(() => done())),
);

const playbook = (url: string) => `id: hostile-input
version: 1
title: Block the user in the CRM
description: Used by the hardening tests.
triggers:
  - types: [hostile-input]
steps:
  - id: block-in-crm
    description: Block the user in the CRM
    action: http.request
    with:
      url: '${url}/users/{{entities.users.0}}/block'
      headers:
        authorization: { secret: crm, prefix: 'Bearer ' }
        x-alert-note: '{{alert.raw.note}}'
      body: { title: '{{alert.title}}' }
  - id: tell
    description: Tell on-call
    action: notify.email
    with:
      to: oncall@museum.example
      subject: 'Alert: {{alert.title}}'
      text: 'Alert: {{alert.title}}'
      html: '<p>Alert: {{alert.title}}</p>'
`;

// Reads an alert value in a trigger condition, a step condition and a template.
const OBJECT_PLAYBOOK = `id: hostile-object
version: 1
title: Tell on-call about the object
description: Used by the hardening tests.
triggers:
  - types: [hostile-object]
    match: { alert.raw.thing: { matches: 'toString' } }
steps:
  - id: tell
    description: Tell on-call
    when: { alert.raw.thing: { matches: '^[{]' } }
    action: notify.email
    with:
      to: oncall@museum.example
      subject: 'Thing: {{alert.raw.thing}}'
      text: 'Thing: {{alert.raw.thing}} in {{alert.raw}}'
      html: '<p>Thing: {{alert.raw.thing}}</p>'
`;

const reflex = useReflex(() => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'hostile-'));
  writeFileSync(join(dir, 'hostile-input.yaml'), playbook(crm.url));
  writeFileSync(join(dir, 'hostile-object.yaml'), OBJECT_PLAYBOOK);
  return {
    playbooksDir: dir,
    extra: {
      actions: {
        http: {
          secrets: {
            crm: { value: 'crm-token-0123456789', origins: [crm.url] },
            other: { value: 'other-token-9876543210', origins: [crm.url] },
          },
        },
      },
    },
  };
});

test('alert data cannot pick a secret, retarget the URL or inject HTML into mail', async () => {
  const hostileTitle =
    '<a href="https://evil.example/login">Log in</a><img src="https://evil.example/p.gif">';
  const response = await postSigned(
    reflex.url,
    alertBody({
      type: 'hostile-input',
      title: hostileTitle,
      entities: { users: ['../../admin/x?'] },
      note: { secret: 'other', prefix: '' },
    }),
  );
  expect(response.status).toBe(202);
  const id = response.body.incidentId as string;
  const state = await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  expect(state.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);

  const call = crm.seen.at(-1)!;
  // The user name is a value in the path, not a path.
  expect(call.path).toBe('/users/..%2F..%2Fadmin%2Fx%3F/block');
  // The alert's object stayed text: no secret was looked up for it.
  expect(call.headers['x-alert-note']).toBe('{"secret":"other","prefix":""}');
  expect(JSON.stringify(crm.seen)).not.toContain('other-token-9876543210');
  expect(call.headers.authorization).toBe('Bearer crm-token-0123456789');

  const mail = await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
  expect(mail.html).toContain('&lt;a href&#x3D;&quot;https:&#x2F;&#x2F;evil.example&#x2F;login&quot;&gt;');
  expect(mail.html).not.toContain('<a href');
  expect(mail.html).not.toContain('<img');
  expect(mail.text).toContain(hostileTitle); // the text part is text

  // The board's pages show the same title as text.
  for (const path of ['/board', `/board/incidents/${id}`]) {
    const page = await fetch(`${reflex.url}${path}`, { headers: auth('board') });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('&lt;img src');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<a href="https://evil');
  }
});

test('an alert value that String() refuses ({"toString": 1}) is matched and rendered as its JSON', async () => {
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'hostile-object', title: 'Object', thing: { toString: 1, valueOf: 1 } }),
  );
  expect(response.status).toBe(202);
  const id = response.body.incidentId as string;
  const state = await waitForState(reflex.gateway, id, (s) =>
    s.steps.every((step) => step.status !== 'pending' && step.status !== 'running'),
  );
  expect(state.steps.map((s) => s.status)).toEqual(['succeeded']);
  const mail = await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
  expect(mail.subject).toBe('Thing: {"toString":1,"valueOf":1}');
  expect(mail.html).toContain('Thing: {&quot;toString&quot;:1,&quot;valueOf&quot;:1}');
});

test.each([
  [
    'a secret named by a template',
    "url: 'https://crm.example/x'\n      headers: { authorization: { secret: '{{alert.raw.which}}' } }",
    'steps[0].with.headers.authorization.secret: must be written out, not a template',
  ],
  [
    'a whole URL from the alert',
    "url: '{{alert.raw.url}}'",
    'steps[0].with.url: must not be one whole template',
  ],
  [
    'an unescaped value in a URL',
    "url: 'https://crm.example/users/{{{entities.users.0}}}'",
    'steps[0].with.url: a URL argument takes {{value}}, which it encodes',
  ],
])('the compiler refuses %s', (_what, args, problem) => {
  const text = `id: p\nversion: 1\ntitle: P\ndescription: P\ntriggers: [{}]\nsteps:\n  - id: s\n    description: S\n    action: http.request\n    with:\n      ${args}\n`;
  let error: unknown;
  try {
    parsePlaybook('p.yaml', text);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(PlaybookError);
  expect((error as PlaybookError).message).toContain(problem);
  expect((error as PlaybookError).message).toMatch(/^p\.yaml:\d+: /);
});
