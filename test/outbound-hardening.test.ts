// Calls Reflex makes to other systems (issue 12, items 2, 3 and 12): redirects are refused and named,
// never followed (by http.request or the secret store); a named secret goes only to its origins; this
// machine is out of reach unless configured, and link-local addresses always.
import { createServer, type Server } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { createHttpActivities } from '../activities/http/request';
import { SecretStoreError, WebhookSecretStore } from '../activities/secrets/stores';
import { addressProblem } from '../activities/outbound';

interface Seen {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A loopback server that records what reaches it and answers as `answer` says. */
async function server(answer: (path: string) => { status: number; headers?: Record<string, string> }) {
  const seen: Seen[] = [];
  const s: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url!, headers: req.headers, body });
      const { status, headers } = answer(req.url!);
      res.writeHead(status, headers).end(status === 200 ? '{"ok":true}' : 'elsewhere');
    });
  });
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(s.address() as { port: number }).port}`,
    seen,
    close: () => new Promise<void>((done) => s.close(() => done())),
  };
}

let elsewhere: Awaited<ReturnType<typeof server>>;
let redirecting: Awaited<ReturnType<typeof server>>;
beforeAll(async () => {
  elsewhere = await server(() => ({ status: 200 }));
  redirecting = await server(() => ({ status: 307, headers: { location: `${elsewhere.url}/steal` } }));
});
afterAll(async () => {
  await elsewhere?.close();
  await redirecting?.close();
});

const input = (args: Record<string, unknown>) => ({ incidentId: 'inc-1', stepId: 'crm', drill: false, args });
const failureOf = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
};

test('http.request refuses a redirect and names it; nothing reaches the other host', async () => {
  const http = createHttpActivities({
    secrets: { crm: { value: 'crm-token-0123456789', origins: [redirecting.url] } },
    allowLoopback: true,
  });
  const failure = await failureOf(
    http['http.request'](
      input({
        url: `${redirecting.url}/users/block`,
        headers: { authorization: { secret: 'crm', prefix: 'Bearer ' } },
        body: { user: 'anna@museum.example' },
      }),
    ),
  );
  expect(failure).toMatchObject({ type: 'HttpRedirect', nonRetryable: true });
  expect(failure.message).toContain(`Location ${elsewhere.url}/steal`);
  expect(elsewhere.seen).toEqual([]);
});

test('the secret store refuses a redirect: the new client secret goes nowhere else', async () => {
  const store = new WebhookSecretStore(`${redirecting.url}/secrets`, 'store-token-0123456789', {
    allowLoopback: true,
  });
  const err = await store
    .put({ name: 'crm', value: 'new-client-secret-xyz', keyId: 'k1', application: 'a', expiresAt: 'x' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SecretStoreError);
  expect(err).toMatchObject({ retryable: false });
  expect((err as Error).message).toContain('does not follow redirects');
  expect(JSON.stringify(elsewhere.seen)).not.toContain('new-client-secret-xyz');
  expect(elsewhere.seen).toEqual([]);
});

test('a named secret is sent only to its own origins', async () => {
  const http = createHttpActivities({
    secrets: { crm: { value: 'crm-token-0123456789', origins: ['https://crm.museum.example'] } },
    allowLoopback: true,
  });
  const failure = await failureOf(
    http['http.request'](
      input({ url: `${elsewhere.url}/collect`, headers: { authorization: { secret: 'crm' } } }),
    ),
  );
  expect(failure).toMatchObject({ type: 'SecretNotAllowed', nonRetryable: true });
  expect(failure.message).toBe(
    `http.request: with.headers.authorization: secret "crm" may not be sent to ${elsewhere.url} (its origins: https://crm.museum.example)`,
  );
  expect(elsewhere.seen).toEqual([]);
});

test('this machine is out of reach unless configured; link-local addresses always', async () => {
  const http = createHttpActivities({ secrets: {} });
  const before = elsewhere.seen.length;
  const plain = await failureOf(http['http.request'](input({ url: `${elsewhere.url}/x` })));
  expect(plain).toMatchObject({ type: 'HttpRefused', nonRetryable: true });
  expect(plain.message).toContain('is not https://');
  const named = await failureOf(http['http.request'](input({ url: 'https://localhost:8443/x' })));
  expect(named.message).toMatch(/is this machine \(set outbound\.allowLoopback to allow it\)/);
  const metadata = await failureOf(
    createHttpActivities({ secrets: {}, allowLoopback: true })['http.request'](
      input({ url: 'https://169.254.169.254/latest/meta-data/' }),
    ),
  );
  expect(metadata.message).toContain('169.254.169.254 is a linkLocal address');
  expect(elsewhere.seen.length).toBe(before);
  expect(addressProblem('::ffff:127.0.0.1', false)).toMatch(/this machine/);
  expect(addressProblem('0.0.0.0', true)).toMatch(/unspecified/);
  expect(addressProblem('93.184.216.34', false)).toBeUndefined();
  expect(addressProblem('10.0.0.5', false)).toBeUndefined(); // a CRM on the museum's own network
});

test('an endless answer is read only as far as Reflex keeps it (2,000 characters)', async () => {
  // The body never ends: reading it whole would hold the step until its timeout and fill memory.
  const endless = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const more = () => {
      if (res.destroyed) return;
      if (res.write('x'.repeat(65536))) setImmediate(more);
      else res.once('drain', more);
    };
    more();
  });
  await new Promise<void>((done) => endless.listen(0, '127.0.0.1', done));
  try {
    const url = `http://127.0.0.1:${(endless.address() as { port: number }).port}/export`;
    const http = createHttpActivities({ secrets: {}, allowLoopback: true });
    const result = await http['http.request'](input({ url, method: 'GET' }));
    expect(result).toEqual({ status: 200, body: 'x'.repeat(2000) });
  } finally {
    endless.closeAllConnections();
    await new Promise<void>((done) => endless.close(() => done()));
  }
});
