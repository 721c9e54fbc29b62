// The walking skeleton through every layer, on real components: a signed webhook starts a Temporal
// workflow, an activity e-mails on-call over real SMTP, audit events land in the hash chain, and the
// incident is readable over HTTP.
import { incidentIdFor } from '../temporal/incident-gateway';
import { waitForClosedWorkflow } from './helpers/incidents';
import { TEST_SECRET, alertBody, auth, postSigned } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';

// Only the fallback playbook, so every test alert takes the plain notify path.
const reflex = useReflex({ playbooks: ['notify-on-call'] });

async function waitForIncident(id: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${reflex.url}/api/incidents/${id}`, { headers: auth('board') });
    const body = (await response.json()) as { state?: { status: string }; timeline: Array<{ kind: string }> };
    if (body.state?.status === status && body.timeline.some((e) => e.kind === `incident.${status}`))
      return body;
    if (Date.now() > deadline)
      throw new Error(`incident ${id} never reached ${status}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a signed webhook opens an incident, e-mails on-call and records the audit trail', async () => {
  const alert = alertBody({ title: 'Impossible travel for anna' });
  const response = await postSigned(reflex.url, alert);
  expect(response.status).toBe(202);
  expect(response.body).toMatchObject({ deduplicated: false, routed: true });
  const id = response.body.incidentId as string;
  expect(id).toMatch(/^notify-on-call-[a-f0-9]{20}$/);

  // The 202 came after Temporal accepted the start: the workflow exists right now.
  const { workflow } = (await reflex.gateway.get(id))!;
  expect(workflow.type).toBe('runPlaybook');
  expect(workflow.memo).toMatchObject({ playbookId: 'notify-on-call', playbookVersion: 1 });

  const mail = await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
  expect(mail.to).toEqual(['oncall@museum.example']);
  expect(mail.subject).toBe('[Reflex] high: Impossible travel for anna');
  expect(mail.text).toContain('anna@museum.example');
  expect(mail.messageId).toBe(`<${id}.tell-on-call@reflex.local>`);

  const incident = await waitForIncident(id, 'contained');
  expect(incident.timeline.map((e) => e.kind)).toEqual([
    'alert.received',
    'incident.started',
    'step.started',
    'step.succeeded',
    'incident.contained',
  ]);

  // A responder closes it; the record is complete and its chain verifies.
  const closed = await reflex.gateway.resolve(id, { as: 'contained', by: 'oncall@museum.example' });
  expect(closed).toMatchObject({
    status: 'resolved',
    resolution: { by: 'oncall@museum.example', as: 'contained' },
  });
  await waitForClosedWorkflow(reflex.gateway, id);
  const events = await reflex.audit.events(id);
  expect(events.map((e) => e.kind).at(-1)).toBe('incident.closed');
  expect(await reflex.audit.verify(id)).toMatchObject({ ok: true, events: 6 });
});

test('the same alert in two deliveries makes one incident; the same delivery id twice is a replay', async () => {
  const alert = alertBody();
  const first = await postSigned(reflex.url, alert, { id: 'delivery-1' });
  const second = await postSigned(reflex.url, alert, { id: 'delivery-2' });
  expect(first.status).toBe(202);
  expect(second.status).toBe(202);
  expect(second.body).toMatchObject({ incidentId: first.body.incidentId, deduplicated: true });
  const replay = await postSigned(reflex.url, alert, { id: 'delivery-1' });
  expect(replay.status).toBe(409);
  expect(replay.body).toEqual({
    error: 'replayed delivery: this delivery id was already received',
    incidentId: first.body.incidentId,
  });
});

test('the rotated (second) secret is accepted too', async () => {
  const response = await postSigned(reflex.url, alertBody(), {
    secret: 'whsec_cm90YXRlZC1zZWNyZXQtZm9yLXJlZmxleC10ZXN0cy0y',
  });
  expect(response.status).toBe(202);
});

describe('bad input gets a clear 4xx, starts nothing and never crashes the process', () => {
  async function assertNoWorkflow(alertId: string) {
    // The id an accepted alert would have had: no workflow must exist under it.
    const alert = { source: 'siem', externalId: alertId, entities: {} } as never;
    const id = incidentIdFor(alert, reflex.playbooks[0]!);
    expect(await reflex.gateway.get(id)).toBeUndefined();
  }

  test('a badly signed webhook gets 401', async () => {
    const alert = alertBody();
    const response = await postSigned(reflex.url, alert, {
      secret: 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM0',
    });
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/authentication failed/);
    await assertNoWorkflow(alert.id);
  });

  test('a stale timestamp gets 401', async () => {
    const alert = alertBody();
    const response = await postSigned(reflex.url, alert, { at: new Date(Date.now() - 6 * 60_000) });
    expect(response.status).toBe(401);
    await assertNoWorkflow(alert.id);
  });

  test('missing signature headers get 401', async () => {
    const response = await fetch(`${reflex.url}/hooks/siem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alertBody()),
    });
    expect(response.status).toBe(401);
  });

  test('malformed JSON gets 400 with the reason', async () => {
    const response = await postSigned(reflex.url, '{"id": "x", ');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/malformed JSON/);
  });

  test('a body that does not match the schema gets 400 listing the issues', async () => {
    const alert = alertBody({ severity: 'apocalyptic' });
    const response = await postSigned(reflex.url, alert);
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      expect.objectContaining({ path: 'severity', code: 'invalid_value' }),
    ]);
    await assertNoWorkflow(alert.id);
  });

  test('an unknown source gets 404', async () => {
    const response = await postSigned(reflex.url, alertBody(), { source: 'nope' });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('unknown source "nope"');
  });

  test('an oversized body gets 413', async () => {
    const alert = alertBody({ padding: 'x'.repeat(70 * 1024) });
    const response = await postSigned(reflex.url, alert);
    expect(response.status).toBe(413);
  });

  test('a GET on a webhook gets 405', async () => {
    const response = await fetch(`${reflex.url}/hooks/siem`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  test('an unknown incident gets 404, a malformed id 400', async () => {
    expect(
      (await fetch(`${reflex.url}/api/incidents/notify-on-call-0000`, { headers: auth('board') })).status,
    ).toBe(404);
    expect((await fetch(`${reflex.url}/api/incidents/..%2Fetc`, { headers: auth('board') })).status).toBe(
      400,
    );
  });

  afterAll(async () => {
    const ready = await fetch(`${reflex.url}/readyz`);
    expect(ready.status).toBe(200);
    // Secrets never reach the log, whatever was sent.
    expect(reflex.logs()).not.toContain(TEST_SECRET);
    expect(reflex.logs()).not.toContain(TEST_SECRET.slice(6));
  });
});

test('health and readiness', async () => {
  expect(await (await fetch(`${reflex.url}/healthz`)).json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${reflex.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({
    status: 'ready',
    checks: { temporal: 'ok', storage: 'ok', worker: 'ok' },
  });
});
