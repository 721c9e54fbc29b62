// Real senders' bodies and auth schemes over HTTP into a running Reflex: each routes to its playbook;
// replayed delivery ids get 409; a secret in the URL works for Splunk; the per-source rate limit
// answers 429 with Retry-After; deep JSON is refused; 1,000 concurrent duplicates make one incident;
// and the shipped Wazuh integration script delivers a real alert.
import { createHmac, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Mustache from 'mustache';
import { TEST_SECRET, TEST_SOURCES, alertBody, auth, postSigned } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';
import { fastPlaybooks } from './helpers/playbooks';
import { waitForState } from './helpers/incidents';

const GH = 'github-secret-for-tests';
const GRAFANA = 'grafana-secret-for-tests';
const URL_SECRET = 'splunk-url-secret-0123456789abcdefghijkl';
const SENTINEL = 'sentinel-logic-app-header-secret';
const WAZUH = 'whsec_d2F6dWgtc2VjcmV0LWZvci1yZWZsZXgtdGVzdHM=';

const reflex = useReflex({
  playbooksDir: fastPlaybooks(),
  extra: {
    sources: [
      ...TEST_SOURCES,
      { name: 'gh', format: 'generic', auth: { scheme: 'github', secrets: [GH] }, drill: true },
      {
        name: 'grafana-plain',
        format: 'grafana',
        auth: { scheme: 'grafana-hmac', secrets: [GRAFANA] },
        drill: true,
      },
      {
        name: 'grafana',
        format: 'grafana',
        auth: {
          scheme: 'grafana-hmac',
          secrets: [GRAFANA],
          timestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
        },
        drill: true,
      },
      {
        name: 'splunk',
        format: 'splunk',
        auth: { scheme: 'url-secret', secrets: [URL_SECRET] },
        drill: true,
      },
      {
        name: 'sentinel',
        format: 'sentinel',
        auth: { scheme: 'header', header: 'X-Reflex-Token', secrets: [SENTINEL] },
        drill: true,
      },
      { name: 'kibana', format: 'elastic', auth: { scheme: 'bearer', secrets: [SENTINEL] }, drill: true },
      {
        name: 'wazuh',
        format: 'wazuh',
        auth: { scheme: 'standard-webhooks', secrets: [WAZUH] },
        drill: true,
      },
      {
        name: 'limited',
        format: 'generic',
        auth: { scheme: 'bearer', secrets: [SENTINEL] },
        ratePerMinute: 3,
        drill: true,
      },
    ],
  },
});

// Unique per run: incidents are keyed by account, and other test files share this Temporal server.
const KIBANA_USER = `joost-${randomUUID().slice(0, 8)}@museum.example`;
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures/adapters', `${name}.json`), 'utf8');
const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

async function post(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${reflex.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

test('each sender’s body and scheme reaches its playbook', async () => {
  const sentinel = await post('/hooks/sentinel', fixture('sentinel-incident'), {
    'x-reflex-token': SENTINEL,
  });
  expect(sentinel.status).toBe(202);
  // A successful spray that carries the attacker's address: every account it got into is handled.
  expect(sentinel.body).toMatchObject({
    routed: true,
    incidents: [expect.objectContaining({ playbook: 'password-spray' })],
  });

  const splunk = await post(`/hooks/splunk/${URL_SECRET}`, fixture('splunk-webhook'), {});
  expect(splunk.status).toBe(202);
  expect(splunk.body).toMatchObject({ incidents: [expect.objectContaining({ playbook: 'mass-export' })] });
  expect(
    (await post('/hooks/splunk/wrong-secret-0123456789abcdefghijklmnop', fixture('splunk-webhook'), {}))
      .status,
  ).toBe(401);
  expect((await post('/hooks/splunk', fixture('splunk-webhook'), {})).status).toBe(401);
  expect((await fetch(`${reflex.url}/hooks/splunk/${URL_SECRET}`)).status).toBe(405);

  const ts = String(Math.floor(Date.now() / 1000));
  const firing = fixture('grafana-firing');
  const grafanaHeaders = {
    'x-grafana-alerting-signature': hmac(GRAFANA, `${ts}:${firing}`),
    'x-grafana-alerting-signature-timestamp': ts,
  };
  const grafana = await post('/hooks/grafana', firing, grafanaHeaders);
  expect(grafana.status).toBe(202);
  expect(grafana.body).toMatchObject({
    incidents: [expect.objectContaining({ playbook: 'ransomware-suspected' })],
  });
  // The same signed request again is a replay.
  const replay = await post('/hooks/grafana', firing, grafanaHeaders);
  expect(replay.status).toBe(409);
  expect(replay.body.incidentId).toBe(grafana.body.incidentId);
  // "Resolved" is acknowledged and opens nothing.
  const resolved = fixture('grafana-resolved');
  const resolvedAck = await post('/hooks/grafana', resolved, {
    'x-grafana-alerting-signature': hmac(GRAFANA, `${ts}:${resolved}`),
    'x-grafana-alerting-signature-timestamp': ts,
  });
  expect(resolvedAck).toMatchObject({ status: 202, body: { ignored: true, routed: false, incidents: [] } });

  // Kibana: the shipped template, rendered as Kibana renders it (mustache, values escaped for JSON).
  const template = readFileSync(
    join(__dirname, '../triggers/integrations/kibana/webhook-body.mustache'),
    'utf8',
  );
  const kibanaBody = Mustache.render(
    template,
    {
      rule: { id: 'r-1', name: 'OAuth consent to a rare application', tags: 'M365' },
      alert: { id: 'a-1', uuid: randomUUID() },
      date: new Date().toISOString(),
      context: {
        rule: { severity: 'high' },
        reason: 'Consent to application "PDF Converter"',
        alerts: [
          {
            user: { name: KIBANA_USER },
            source: { ip: '198.51.100.77' },
            host: {},
            o365: {},
            file: {},
          },
        ],
      },
    },
    {},
    { escape: (value: unknown) => JSON.stringify(String(value)).slice(1, -1) },
  );
  const kibana = await post('/hooks/kibana', kibanaBody, { authorization: `Bearer ${SENTINEL}` });
  expect(kibana.status).toBe(202);
  expect(kibana.body).toMatchObject({
    incidents: [expect.objectContaining({ playbook: 'oauth-consent-or-inbox-rule' })],
  });
  const state = await waitForState(reflex.gateway, kibana.body.incidentId as string, () => true);
  expect(state.alerts[0]!.entities.users).toEqual([KIBANA_USER]);
});

test('a GitHub-style delivery id is idempotent: the same delivery again is refused as a replay', async () => {
  const body = JSON.stringify(
    alertBody({ type: 'leaked-secret', title: 'Secret pushed to a public repository' }),
  );
  const headers = { 'x-hub-signature-256': `sha256=${hmac(GH, body)}`, 'x-github-delivery': randomUUID() };
  const first = await post('/hooks/gh', body, headers);
  expect(first.status).toBe(202);
  const again = await post('/hooks/gh', body, headers);
  expect(again).toMatchObject({ status: 409, body: { incidentId: first.body.incidentId } });
  // X-GitHub-Delivery is not signed: a captured delivery under a new one is the same delivery.
  const replayed = await post('/hooks/gh', body, { ...headers, 'x-github-delivery': randomUUID() });
  expect(replayed).toMatchObject({ status: 409, body: { incidentId: first.body.incidentId } });
  expect(
    (await post('/hooks/gh', body, { ...headers, 'x-hub-signature-256': `sha256=${hmac('guess', body)}` }))
      .status,
  ).toBe(401);
});

test('a Grafana HMAC without a timestamp: the signature is the delivery id, so a replay is refused', async () => {
  const body = readFileSync(join(__dirname, 'fixtures/adapters/grafana-firing.json'), 'utf8');
  const headers = { 'x-grafana-alerting-signature': hmac(GRAFANA, body) };
  const first = await post('/hooks/grafana-plain', body, headers);
  expect(first.status).toBe(202);
  const replayed = await post('/hooks/grafana-plain', body, headers);
  expect(replayed).toMatchObject({ status: 409, body: { incidentId: first.body.incidentId } });
});

test('limits: a per-source rate limit (429 with Retry-After) and JSON depth', async () => {
  const statuses = [];
  let limited;
  for (let i = 0; i < 5; i++) {
    const r = await post('/hooks/limited', JSON.stringify(alertBody({ type: 'unrouted-kind' })), {
      authorization: `Bearer ${SENTINEL}`,
    });
    statuses.push(r.status);
    if (r.status === 429) limited = r;
  }
  expect(statuses).toEqual([202, 202, 202, 429, 429]);
  expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(limited!.body.error).toMatch(/^rate limit for source "limited" reached; retry after \d+ s$/);
  // Other sources are not affected.
  expect((await postSigned(reflex.url, alertBody({ type: 'unrouted-kind' }))).status).toBe(202);

  let deep: unknown = { id: 'deep', type: 'x', title: 't', severity: 'low' };
  for (let i = 0; i < 40; i++) deep = { nested: deep };
  const tooDeep = await postSigned(reflex.url, deep);
  expect(tooDeep).toMatchObject({
    status: 400,
    body: { error: 'malformed JSON: nested deeper than 32 levels' },
  });
});

test('1,000 concurrent duplicate alerts: every one acknowledged, one incident, the timeline counts them', async () => {
  const alert = alertBody({
    id: `storm-${randomUUID()}`,
    entities: { users: [`storm-${randomUUID()}@museum.example`] },
  });
  const results: Array<{ status: number; body: Record<string, unknown> }> = [];
  let next = 0;
  // 1,000 deliveries (each its own webhook-id), at most 200 in flight at a time.
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < 1000) {
        next += 1;
        results.push(await postSigned(reflex.url, alert));
      }
    }),
  );
  expect(results).toHaveLength(1000);
  expect(results.filter((r) => r.status !== 202)).toEqual([]);
  const ids = new Set(results.map((r) => r.body.incidentId));
  expect(ids.size).toBe(1);
  // Answered once journalled: beyond the openings in flight an answer is `pending` (its join comes from
  // the drainer); of those Temporal answered, at most one started the incident.
  const answered = results.filter((r) => r.body.pending !== true);
  expect(answered.filter((r) => r.body.deduplicated === false).length).toBeLessThanOrEqual(1);
  const [id] = [...ids] as string[];
  const state = await waitForState(reflex.gateway, id!, (s) => s.alertCount === 1000, '1,000 alerts');
  expect(state.alertCount).toBe(1000);
  const executions = await reflex.gateway.list({ incidentId: id! });
  expect(executions.length).toBeGreaterThanOrEqual(1); // continue-as-new runs share the id
  // On the record: one alert received, 999 joined (written by the workflow; wait for the last).
  for (let i = 0; i < 100; i++) {
    const events = await reflex.audit.events(id!);
    if (events.filter((e) => e.kind === 'alert.joined').length === 999) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const events = await reflex.audit.events(id!);
  expect(events.filter((e) => e.kind === 'alert.received')).toHaveLength(1);
  expect(events.filter((e) => e.kind === 'alert.joined')).toHaveLength(999);
  expect((await reflex.incidents.get(id!))!.alertCount).toBe(1000);
}, 240_000);

test('the shipped Wazuh integration script signs and delivers a Wazuh alert', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'wazuh-'));
  const alertFile = join(dir, 'alert.json');
  const alert = JSON.parse(fixture('wazuh-alert')) as { id: string };
  alert.id = `${Date.now()}.${Math.floor(Math.random() * 1e6)}`;
  writeFileSync(alertFile, JSON.stringify(alert));
  const script = join(__dirname, '../triggers/integrations/wazuh/custom-reflex');
  const run = () =>
    promisify(execFile)(script, [alertFile, WAZUH, `${reflex.url}/hooks/wazuh`], { encoding: 'utf8' });
  const { stdout } = await run();
  expect(stdout).toMatch(/^custom-reflex: 202 /);
  const incidentId = (JSON.parse(stdout.replace(/^custom-reflex: 202 /, '').trim()) as { incidentId: string })
    .incidentId;
  expect(incidentId).toMatch(/^oauth-consent-or-inbox-rule-/);
  // Run again (Wazuh re-sending the same alert): same webhook-id, a replay, reported as delivered before.
  expect((await run()).stdout).toMatch(/^custom-reflex: already delivered: /);
  // A wrong key is refused and the script says so with a non-zero exit.
  await expect(
    promisify(execFile)(script, [alertFile, TEST_SECRET, `${reflex.url}/hooks/wazuh`]),
  ).rejects.toMatchObject({ code: 1 });
});

test('/metrics counts every delivery by source and outcome, for a board token only', async () => {
  expect((await fetch(`${reflex.url}/metrics`)).status).toBe(401);
  const response = await fetch(`${reflex.url}/metrics`, { headers: auth('board') });
  expect(response.status).toBe(200);
  const text = await response.text();
  const count = (source: string, outcome: string) =>
    Number(
      new RegExp(
        `^reflex_webhook_deliveries_total\\{source="${source}",outcome="${outcome}"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1] ?? 0,
    );
  // From the tests above, in this file's order.
  expect(count('limited', 'rate_limited')).toBe(2);
  expect(count('grafana', 'replayed')).toBe(1);
  expect(count('grafana', 'ignored')).toBe(1);
  expect(count('splunk', 'rejected')).toBe(2);
  // The storm's repeats: joined at once, or journalled and joined by the drainer.
  expect(count('siem', 'deduplicated') + count('siem', 'journalled')).toBeGreaterThanOrEqual(999);
  expect(count('siem', 'invalid')).toBe(1);
  expect(text).toMatch(/^reflex_webhook_intake_seconds_bucket\{le="0.25",outcome="accepted"\} \d+$/m);
});
