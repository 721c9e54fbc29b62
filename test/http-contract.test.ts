// The HTTP edges, in-process against the built app (supertest), with no Temporal server: the route
// contracts are exactly the app's routes, /openapi.json is generated from them, every role route
// refuses who it must, malformed input is a 400 naming the parameter or field, answers match their
// contracts, and anything that needs Temporal is a 503 that records nothing.
import request from 'supertest';
import type { Express } from 'express';
import { CONTRACTS } from '../server/contracts';
import { openApiDocument } from '../server/openapi';
import { RANK, ROLES } from '../server/roles';
import type { RouteContract } from '../server/contract';
import { inProcessApp, type InProcessApp } from './helpers/app';
import { alertBody, signedHeaders, TOKENS, type TestRole } from './helpers/reflex';
import { INTAKE_CHAIN } from '../storage/intake-chain';

let env: InProcessApp;
beforeAll(async () => {
  env = await inProcessApp();
});
afterAll(async () => {
  await env?.close();
});

const bearer = (role: TestRole) => ({ authorization: `Bearer ${TOKENS[role]}` });
const EXAMPLE: Record<string, string> = {
  id: 'compromised-account-0123456789abcdef0123',
  file: 'compromised-account-0123456789abcdef0123',
  step: 'disable-account',
  token: 'not-a-real-link-token',
  source: 'siem',
  secret: 'x'.repeat(40),
};
const pathOf = (c: RouteContract) => c.path.replace(/\{(\w+)\}/g, (_m, key: string) => EXAMPLE[key]!);
const send = (c: RouteContract, headers: Record<string, string> = {}) => {
  const r = request(env.app)[c.method](pathOf(c)).set(headers).redirects(0);
  return c.method === 'post' ? r.send({}) : r;
};

/** Every route of an Express 5 app, as OpenAPI paths (`:id` → `{id}`). */
function listRoutes(app: Express): string[] {
  const out: string[] = [];
  type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> } };
  for (const layer of (app as unknown as { router: { stack: Layer[] } }).router.stack) {
    if (!layer.route) continue;
    // `app.all` (the 405 answer for /hooks) registers every method; it adds no route.
    if (Object.keys(layer.route.methods).length > 10) continue;
    for (const path of [layer.route.path].flat()) {
      for (const method of Object.keys(layer.route.methods)) {
        out.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
      }
    }
  }
  return out.sort();
}

test('the contracts are the app’s routes, both ways', () => {
  const declared = CONTRACTS.map((c) => `${c.method} ${c.path}`).sort();
  expect(listRoutes(env.app)).toEqual(declared);
});

test('/openapi.json is generated from the contracts and documents every one', async () => {
  const served = (await request(env.app).get('/openapi.json').expect(200)).body as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument(CONTRACTS))));
  expect(served.openapi).toBe('3.1.0');
  for (const c of CONTRACTS) {
    const documented = served.paths[c.path]?.[c.method];
    expect([c.method, c.path, Object.keys(documented?.responses ?? {})]).toEqual([
      c.method,
      c.path,
      Object.keys(c.responses),
    ]);
  }
  // What the handlers enforce is in the document: the 2,000-character cap on notes, for one.
  expect(JSON.stringify(served.paths['/api/incidents/{id}/steps/{step}/decision'])).toContain(
    '"maxLength":2000',
  );
});

const ROLE_ROUTES = CONTRACTS.filter((c) => (ROLES as readonly string[]).includes(c.access));

test.each(ROLE_ROUTES.map((c) => [c.method.toUpperCase(), c.path, c] as const))(
  '%s %s refuses anyone without its role',
  async (_method, _path, contract) => {
    const role = contract.access as (typeof ROLES)[number];
    const page = contract.page && contract.method === 'get';
    // No credentials, and a token that is not one: 401, or a page sends people to the sign-in.
    for (const headers of [{}, { authorization: 'Bearer not-a-token-at-all-0123456789' }] as Array<
      Record<string, string>
    >) {
      const response = await send(contract, headers);
      if (page) {
        expect(response.status).toBe(303);
        expect(response.headers.location).toMatch(/^\/login\?next=/);
      } else {
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
      }
    }
    for (const smaller of ROLES.filter((r) => RANK[r] < RANK[role])) {
      const response = await send(contract, bearer(smaller));
      expect([smaller, response.status]).toEqual([smaller, 403]);
      expect(response.body).toEqual({ error: `the ${smaller} role may not do this (needs ${role})` });
    }
    for (const enough of ROLES.filter((r) => RANK[r] >= RANK[role])) {
      // Past the role check (a handler may still refuse for its own reasons: a page that needs the
      // person's e-mail, say).
      const response = await send(contract, bearer(enough));
      const refusedForRole =
        response.status === 401 ||
        (response.status === 403 && /role may not do this/.test(JSON.stringify(response.body)));
      expect([enough, refusedForRole]).toEqual([enough, false]);
    }
  },
);

test.each([
  ['from=yesterday', 'from'],
  ['to=2026-13-45', 'to'],
  ['status=pending', 'status'],
  ['drill=yes', 'drill'],
  ['limit=0', 'limit'],
  ['limit=abc', 'limit'],
  ['colour=red', 'colour'],
  ['playbook=a&playbook=b', 'playbook'],
  ['from=2026-02-02&to=2026-02-01', 'to'],
])('the incident filter %s is a 400 naming "%s"', async (query, parameter) => {
  for (const path of ['/api/incidents', '/api/reports/summary', '/board']) {
    const response = await request(env.app).get(`${path}?${query}`).set(bearer('board'));
    expect([path, response.status]).toEqual([path, 400]);
    expect(response.body.error).toContain(`query parameter "${parameter}"`);
    expect(response.body.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'query', path: parameter })]),
    );
  }
});

test('malformed ids and bodies are a 400 naming the field; nothing reaches Temporal', async () => {
  const responder = bearer('responder');
  const bad = [
    request(env.app).post('/api/incidents/Not_An_Id/resolve').set(responder).send({}),
    request(env.app).post(`/api/incidents/${EXAMPLE.id}/resolve`).set(responder).send({ as: 'maybe' }),
    request(env.app)
      .post(`/api/incidents/${EXAMPLE.id}/abort`)
      .set(responder)
      .send({ note: 'x'.repeat(2001) }),
    request(env.app)
      .post(`/api/incidents/${EXAMPLE.id}/steps/s/decision`)
      .set(responder)
      .send({ comment: 'no decision' }),
    request(env.app).post('/api/drills').set(responder).send({ playbook: 'mass-export', colour: 'red' }),
    request(env.app).get('/api/audit/verify?incident=../../etc').set(bearer('board')),
    request(env.app).get('/board/incidents/..%2Fetc').set(bearer('board')),
  ];
  const answers = await Promise.all(bad);
  expect(answers.map((a) => a.status)).toEqual(bad.map(() => 400));
  expect(answers[1]!.body.issues).toEqual([expect.objectContaining({ in: 'body', path: 'as' })]);
  expect(answers[0]!.body.error).toBe('path parameter "id": malformed incident id');
});

test('with Temporal unreachable, acting on or starting an incident is a 503 with Retry-After', async () => {
  const responder = bearer('responder');
  const calls = [
    request(env.app).get(`/api/incidents/${EXAMPLE.id}`).set(bearer('board')),
    request(env.app).post(`/api/incidents/${EXAMPLE.id}/resolve`).set(responder).send({}),
    request(env.app).post(`/api/incidents/${EXAMPLE.id}/abort`).set(responder).send({}),
    request(env.app)
      .post(`/api/incidents/${EXAMPLE.id}/steps/disable-account/decision`)
      .set(responder)
      .send({ decision: 'approve' }),
    request(env.app).post('/api/drills').set(responder).send({ playbook: 'compromised-account' }),
  ];
  for (const answer of await Promise.all(calls)) {
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.body).toEqual({ error: 'the workflow service is unavailable; retry later' });
  }
});

test('a signed alert while Temporal is down is a 503, records nothing, and its retry is not refused as a replay', async () => {
  const text = JSON.stringify(alertBody());
  const headers = signedHeaders(text, { id: 'delivery-during-outage' });
  const before = (await env.audit.recent(INTAKE_CHAIN, 1000)).length;
  for (let attempt = 0; attempt < 2; attempt++) {
    const answer = await request(env.app).post('/hooks/siem').set(headers).send(text);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
  }
  expect((await env.audit.recent(INTAKE_CHAIN, 1000)).length).toBe(before);
});

test('webhook edges: unknown source 404, not POST 405, too large 413, bad JSON and deep nesting 400, forgeries 401 on the record', async () => {
  const signed = (body: string) => signedHeaders(body);
  expect((await request(env.app).post('/hooks/nope').set(signed('{}')).send('{}')).body).toEqual({
    error: 'unknown source "nope"',
  });
  const get = await request(env.app).get('/hooks/siem');
  expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
  const big = JSON.stringify({ ...alertBody(), padding: 'x'.repeat(70 * 1024) });
  expect((await request(env.app).post('/hooks/siem').set(signed(big)).send(big)).status).toBe(413);
  const broken = '{"id": ';
  const malformed = await request(env.app).post('/hooks/siem').set(signed(broken)).send(broken);
  expect([malformed.status, malformed.body.error]).toEqual([400, expect.stringMatching(/^malformed JSON/)]);
  const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
  expect((await request(env.app).post('/hooks/siem').set(signed(deep)).send(deep)).body).toEqual({
    error: 'malformed JSON: nested deeper than 32 levels',
  });
  const forged = JSON.stringify(alertBody());
  const headers = signedHeaders(forged, { secret: 'whsec_d3JvbmctZm9yLXRoZS1pbi1wcm9jZXNzLXRlc3Q=' });
  const refused = await request(env.app).post('/hooks/siem').set(headers).send(forged);
  expect(refused.status).toBe(401);
  expect(refused.body.error).toMatch(/^authentication failed: /);
  expect((await env.audit.recent(INTAKE_CHAIN, 5)).map((e) => e.kind)).toContain('alert.rejected');
});

test('answers match their contracts', async () => {
  const admin = bearer('admin');
  const check = async (contract: RouteContract, status: number, path = pathOf(contract)) => {
    const answer = await request(env.app)[contract.method](path).set(admin);
    expect([path, answer.status]).toEqual([path, status]);
    const schema = contract.responses[status]?.json;
    if (schema) expect([path, schema.safeParse(answer.body).error?.issues]).toEqual([path, undefined]);
  };
  const byPath = (method: string, path: string) =>
    CONTRACTS.find((c) => c.method === method && c.path === path)!;
  await check(byPath('get', '/healthz'), 200);
  await check(byPath('get', '/readyz'), 503); // Temporal is not there
  await check(byPath('get', '/api/incidents'), 200);
  await check(byPath('get', '/api/audit/verify'), 200);
  await check(byPath('get', '/api/alerts/unrouted'), 200);
  await check(byPath('get', '/api/approvals'), 200);
  await check(byPath('get', '/api/reports/summary'), 200);
  await check(byPath('get', '/api/config'), 200);
  await check(byPath('get', '/api/incidents/{id}/timeline'), 404);
  await check(byPath('get', '/mailbox/api/messages'), 200);
  await check(byPath('get', '/approve/{token}'), 404);
});
