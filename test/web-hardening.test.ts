// The same edges on a running Reflex (issue 12, items 7, 8, 11, 13 and 14), through its real listener:
// a sender that half-closes its connection still gets its 202, the data directory is the owner's only,
// signing out ends the session, the demo mailbox shows a responder only their own mail, URLs in the
// configuration lose everything but scheme and host, and pages carry the security headers.
import { connect } from 'node:net';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertBody, auth, signedHeaders, TOKENS } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';
import { waitForState } from './helpers/incidents';

// A data directory Reflex makes itself (not one the test made).
const dataDir = join(mkdtempSync(join(tmpdir(), 'reflex-data-')), 'data');
const reflex = useReflex({
  playbooks: ['notify-on-call'],
  extra: {
    dataDir,
    secretStores: [
      {
        name: 'vault',
        type: 'webhook',
        url: 'https://bridge:bridge-password@vault.museum.example/reflex?api_key=vault-key-123',
        token: 'vault-bridge-token-0123456789',
      },
    ],
  },
});

test('a sender that half-closes its side after the request gets its 202', async () => {
  const body = JSON.stringify(alertBody({ title: 'Sent by a shipper that half-closes' }));
  const headers = signedHeaders(body);
  const { port } = new URL(reflex.url);
  const answer = await new Promise<string>((done, fail) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        [
          'POST /hooks/siem HTTP/1.1',
          'Host: reflex',
          ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
          `Content-Length: ${Buffer.byteLength(body)}`,
          'Connection: close',
          '',
          body,
        ].join('\r\n'),
      );
      socket.end(); // done sending: half-close, as HTTP/1.0 clients and nc do
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => done(text));
    socket.on('error', fail);
  });
  expect(answer).toMatch(/^HTTP\/1\.1 202 /);
  const id = (JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { incidentId: string }).incidentId;
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
});

test('the data directory is the owner’s only, and so are the mails in it', () => {
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  const mails = readdirSync(join(dataDir, 'mailbox'));
  expect(mails.length).toBeGreaterThan(0);
  for (const mail of mails) expect(statSync(join(dataDir, 'mailbox', mail)).mode & 0o777).toBe(0o600);
});

test('signing out ends the session; the mailbox shows a responder only their own mail', async () => {
  const login = await fetch(`${reflex.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKENS.board, next: '/board' }).toString(),
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const read = () => fetch(`${reflex.url}/api/incidents`, { headers: { cookie } });
  expect((await read()).status).toBe(200);
  await fetch(`${reflex.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
  expect((await read()).status).toBe(401);

  // An incident mails on-call (the responder's address) only; mail to someone else stays theirs.
  const messages = async (role: 'responder' | 'admin') =>
    (
      (await (await fetch(`${reflex.url}/mailbox/api/messages`, { headers: auth(role) })).json()) as {
        messages: Array<{ to: string[] }>;
      }
    ).messages;
  expect((await messages('admin')).length).toBeGreaterThan(0);
  for (const m of await messages('responder')) expect(m.to).toContain('oncall@museum.example');
});

test('pages carry the security headers, and /api/config shows URLs by scheme and host only', async () => {
  const page = await fetch(`${reflex.url}/login`);
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  const config = await (await fetch(`${reflex.url}/api/config`, { headers: auth('admin') })).text();
  expect(config).toContain('"url":"https://vault.museum.example"');
  for (const secret of ['bridge-password', 'vault-key-123', 'vault-bridge-token-0123456789']) {
    expect(config).not.toContain(secret);
  }
});
