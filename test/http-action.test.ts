// http.request against a local stand-in for a CRM's user-block API: secrets in headers by name,
// expected statuses, retryable and permanent failures, and the dry-run path.
import { createServer, type Server } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { createHttpActivities } from '../activities/http/request';

let server: Server;
let url = '';
const seen: Array<{ method: string; path: string; auth?: string; key?: string; body: string }> = [];
const answers: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        path: req.url!,
        auth: req.headers.authorization,
        key: req.headers['idempotency-key'] as string,
        body,
      });
      const status = answers.shift() ?? 200;
      res.writeHead(status, status === 429 ? { 'retry-after': '7' } : { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ blocked: true }) : '');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // The stand-in listens on this machine, which http.request refuses unless told otherwise; the secret
  // may go to its origin only.
  http = createHttpActivities({
    secrets: { crm: { value: 'crm-api-token-123456', origins: [url] } },
    allowLoopback: true,
  });
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

let http: ReturnType<typeof createHttpActivities>;
const input = (args: Record<string, unknown>, drill = false) => ({
  incidentId: 'inc-9',
  stepId: 'block-in-crm',
  drill,
  args,
});
const call = {
  url: '',
  method: 'POST',
  headers: { authorization: { secret: 'crm', prefix: 'Bearer ' } },
  body: { user: 'anna@museum.example' },
};

test('calls the API with the named secret and an idempotency key, and returns the answer', async () => {
  const result = await http['http.request'](input({ ...call, url: `${url}/users/block` }));
  expect(result).toEqual({ status: 200, body: { blocked: true } });
  expect(seen.at(-1)).toEqual({
    method: 'POST',
    path: '/users/block',
    auth: 'Bearer crm-api-token-123456',
    key: 'inc-9:block-in-crm',
    body: '{"user":"anna@museum.example"}',
  });
});

test.each([
  [429, 'HttpRetryable', false, '7 seconds'],
  [503, 'HttpRetryable', false, undefined],
  [403, 'HttpRejected', true, undefined],
  [404, 'HttpRejected', true, undefined],
])('a %i is %s (non-retryable: %p)', async (status, type, nonRetryable, delay) => {
  answers.push(status);
  const failure = (await http['http.request'](input({ ...call, url: `${url}/users/block` })).catch(
    (e: unknown) => e,
  )) as ApplicationFailure;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type, nonRetryable });
  expect(failure.nextRetryDelay).toBe(delay);
  expect(failure.message).not.toContain('crm-api-token-123456');
});

test('a drill shows the call with the secret masked, and sends nothing', async () => {
  const before = seen.length;
  const result = await http['http.request'](input({ ...call, url: `${url}/users/block` }, true));
  expect(result).toEqual({
    dryRun: true,
    wouldCall: [
      {
        method: 'POST',
        path: `${url}/users/block`,
        headers: { authorization: 'Bearer [secret crm]' },
        body: { user: 'anna@museum.example' },
      },
    ],
  });
  expect(seen.length).toBe(before);
});

test('bad arguments fail before any call: plain http to a remote host, an unknown secret', async () => {
  await expect(
    http['http.request'](input({ ...call, url: 'http://crm.example/users/block' })),
  ).rejects.toThrow(/with\.url: must be https/);
  await expect(
    http['http.request'](input({ ...call, url: `${url}/x`, headers: { authorization: { secret: 'nope' } } })),
  ).rejects.toThrow(/no secret "nope" in actions\.http\.secrets/);
});
