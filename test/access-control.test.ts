// Who may do what: no token 401, a board token reads but gets 403 on approve, trigger and resolve, an
// admin reads the configuration without its secrets. The OpenAPI document covers every route, and
// deliveries that make no incident (refused, unrouted) are on the intake chain for everyone to see.
import { BEARER_SECRET, TEST_SECRET, TOKENS, alertBody, auth, postSigned } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';
import { step, waitForState } from './helpers/incidents';

const reflex = useReflex({ playbooks: ['compromised-account'] });

const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  fetch(`${reflex.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

test('roles: board reads, responder acts, admin reads the configuration; everyone else is refused', async () => {
  // A real incident waiting for approval, to try every action on.
  const id = (await postSigned(reflex.url, alertBody({ entities: { users: ['roles@museum.example'] } }))).body
    .incidentId as string;
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');

  const acts: Array<[string, string, unknown]> = [
    ['POST', `/api/incidents/${id}/steps/disable-account/decision`, { decision: 'approve' }],
    ['POST', '/api/drills', { playbook: 'compromised-account' }],
    ['POST', `/api/incidents/${id}/resolve`, { as: 'contained' }],
    ['POST', `/api/incidents/${id}/abort`, {}],
  ];
  const reads = [
    '/api/incidents',
    `/api/incidents/${id}`,
    `/api/incidents/${id}/timeline`,
    '/api/reports/summary',
    '/api/audit/verify',
    '/api/alerts/unrouted',
  ];
  for (const [method, path, body] of acts) {
    expect([path, (await call(method, path, {}, body)).status]).toEqual([path, 401]);
    expect([path, (await call(method, path, { authorization: 'Bearer not-a-token' }, body)).status]).toEqual([
      path,
      401,
    ]);
    const refused = await call(method, path, auth('board'), body);
    expect([path, refused.status]).toEqual([path, 403]);
    expect(((await refused.json()) as { error: string }).error).toBe(
      'the board role may not do this (needs responder)',
    );
  }
  for (const path of reads) {
    const none = await call('GET', path);
    expect([path, none.status]).toEqual([path, 401]);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect([path, (await call('GET', path, auth('board'))).status]).toEqual([path, 200]);
  }
  // Nothing the board tried changed the incident.
  const state = await waitForState(reflex.gateway, id, () => true);
  expect(step(state, 'disable-account').approval!.decisions).toEqual([]);
  expect(state.status).toBe('running');

  // A responder may; the approval is theirs by the token's e-mail address.
  const approved = await call('POST', acts[0]![1], auth('responder'), { decision: 'approve' });
  expect(approved.status).toBe(200);
  expect(await approved.json()).toMatchObject({ outcome: 'approved' });
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  const resolved = await call('POST', `/api/incidents/${id}/resolve`, auth('responder'), { as: 'contained' });
  expect(await resolved.json()).toEqual({ incidentId: id, status: 'resolved' });
  // Closed is closed: a second resolve is a conflict, an unknown incident a 404.
  expect((await call('POST', `/api/incidents/${id}/resolve`, auth('responder'), {})).status).toBe(409);
  expect((await call('POST', '/api/incidents/no-such-incident-9/abort', auth('responder'), {})).status).toBe(
    404,
  );
  expect(
    (await call('POST', `/api/incidents/${id}/resolve`, auth('responder'), { as: 'maybe' })).status,
  ).toBe(400);

  // Configuration: admin only, and without a single secret in it.
  expect((await call('GET', '/api/config', auth('responder'))).status).toBe(403);
  const config = await call('GET', '/api/config', auth('admin'));
  expect(config.status).toBe(200);
  const text = await config.text();
  for (const secret of [TEST_SECRET, BEARER_SECRET, ...Object.values(TOKENS)])
    expect(text).not.toContain(secret);
  const parsed = JSON.parse(text) as {
    access: { tokens: Array<{ name: string; role: string; token?: string }> };
  };
  expect(parsed.access.tokens.map((t) => [t.name, t.role, t.token])).toEqual([
    ['board-member', 'board', '[redacted]'],
    ['responder', 'responder', '[redacted]'],
    ['admin', 'admin', undefined],
  ]);
});

test('pages send people to the sign-in; a sign-in gives a read-only session that cannot be forged', async () => {
  const page = await call('GET', '/board?drill=true');
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe('/login?next=%2Fboard%3Fdrill%3Dtrue');

  const form = (token: string, next: string) =>
    fetch(`${reflex.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, next }).toString(),
    });
  expect((await form('wrong-token-0123456789abcdefgh', '/board')).status).toBe(401);
  // The sign-in never sends anyone off-site.
  const offsite = await form(TOKENS.board, '//evil.example/x');
  expect(offsite.headers.get('location')).toBe('/board');
  const signedIn = await form(TOKENS.board, '/board?drill=true');
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get('location')).toBe('/board?drill=true');
  const cookie = signedIn.headers.get('set-cookie')!;
  expect(cookie).toMatch(/reflex-session=[^;]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax/);
  const session = { cookie: cookie.split(';')[0]! };

  expect((await call('GET', '/board', session)).status).toBe(200);
  expect((await call('GET', '/api/incidents', session)).status).toBe(200);
  // Read-only: acting needs the token itself.
  expect((await call('POST', '/api/drills', session, { playbook: 'compromised-account' })).status).toBe(401);
  // A made-up session is no session.
  expect((await call('GET', '/api/config', { cookie: `reflex-session=${'A'.repeat(43)}` })).status).toBe(401);
});

test('refused deliveries and unrouted alerts are recorded on the intake chain, visible to the board', async () => {
  const forged = await postSigned(reflex.url, alertBody(), {
    secret: 'whsec_d3JvbmctZm9yLXRoZS1pbnRha2UtY2hhaW4',
  });
  expect(forged.status).toBe(401);
  const unrouted = await postSigned(
    reflex.url,
    alertBody({ type: 'printer-out-of-toner', title: 'Toner low' }),
  );
  expect(unrouted.status).toBe(202);
  expect(unrouted.body).toMatchObject({ routed: false, incidents: [] });

  const response = await call('GET', '/api/alerts/unrouted?limit=10', auth('board'));
  const { events } = (await response.json()) as {
    events: Array<{ kind: string; actor: string; content: Record<string, unknown> }>;
  };
  expect(events[0]).toMatchObject({
    kind: 'alert.unrouted',
    actor: 'source:siem',
    content: expect.objectContaining({ type: 'printer-out-of-toner', title: 'Toner low' }),
  });
  expect(events[1]).toMatchObject({
    kind: 'alert.rejected',
    actor: 'source:siem',
    content: { reason: 'no matching signature found', ip: '127.0.0.1' },
  });
  expect((await call('GET', '/api/alerts/unrouted?limit=0', auth('board'))).status).toBe(400);
  // The intake chain is a hash chain like any other.
  expect((await reflex.audit.verify('intake')).ok).toBe(true);
});
