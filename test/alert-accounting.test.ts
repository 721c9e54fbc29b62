// Every alert accounted for (issue 16, item 4): over a period the board sees every delivery received and
// what became of it — an incident opened or joined, unrouted, refused, replayed — with counts that add
// up, beside what the audit record holds. Real Temporal and the embedded database (this file's own).
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { alertBody, auth, postSigned, signedHeaders } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';

const reflex = useReflex({
  playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    groups: { 'three-approvers': ['q1@museum.example', 'q2@museum.example', 'q3@museum.example'] },
  },
});

test('each delivery and what became of it, adding up, with the record beside it', async () => {
  const alert = alertBody({ type: 'approval-test', entities: { users: ['acct@museum.example'] } });
  expect((await postSigned(reflex.url, alert)).status).toBe(202); // opened
  expect((await postSigned(reflex.url, { ...alert, title: 'again' })).status).toBe(202); // joined
  expect((await postSigned(reflex.url, alertBody({ type: 'nobody-takes-this' }))).status).toBe(202); // unrouted
  const id = randomUUID();
  expect((await postSigned(reflex.url, alertBody({ type: 'nobody-takes-this' }), { id })).status).toBe(202);
  expect((await postSigned(reflex.url, alertBody({ type: 'nobody-takes-this' }), { id })).status).toBe(409); // replay
  const forged = await fetch(`${reflex.url}/hooks/siem`, {
    method: 'POST',
    headers: { ...signedHeaders('{}'), 'webhook-signature': 'v1,AAAA' },
    body: '{"id":"x","title":"forged"}',
  });
  expect(forged.status).toBe(401);
  const text = 'not json';
  expect(
    (await fetch(`${reflex.url}/hooks/siem`, { method: 'POST', headers: signedHeaders(text), body: text }))
      .status,
  ).toBe(400);
  expect((await postSigned(reflex.url, alertBody(), { source: 'no-such-source' })).status).toBe(404);

  const account = async () =>
    (await (await fetch(`${reflex.url}/api/reports/alerts`, { headers: auth('board') })).json()) as {
      totals: {
        received: number;
        handled: number;
        refused: number;
        retried: number;
        replayed: number;
        failed: number;
      };
      recorded: Record<string, number>;
      unhandled: number;
      sources: Array<{
        source: string;
        received: number;
        deliveries: Record<string, number>;
        recorded: Record<string, number>;
      }>;
    };
  // The record is written by the workflow's first audit batch: wait for the joined alert to be on it.
  let a = await account();
  for (let i = 0; i < 60 && a.recorded.joined! < 1; i++) {
    await new Promise((r) => setTimeout(r, 250));
    a = await account();
  }
  const siem = a.sources.find((s) => s.source === 'siem')!;
  expect(siem.deliveries).toEqual({
    accepted: 1,
    deduplicated: 1,
    unrouted: 2,
    replayed: 1,
    rejected: 1,
    invalid: 1,
  });
  expect(siem.received).toBe(7);
  expect(a.sources.find((s) => s.source === '(unknown)')!.deliveries).toEqual({ unknown_source: 1 });
  expect(a.totals).toEqual({ received: 8, handled: 4, refused: 3, retried: 0, replayed: 1, failed: 0 });
  expect(a.totals.received).toBe(
    a.totals.handled + a.totals.refused + a.totals.retried + a.totals.replayed + a.totals.failed,
  );
  expect(siem.recorded).toEqual({ opened: 1, joined: 1, unrouted: 2, rejected: 1 });
  expect(a.unhandled).toBe(0);

  const page = await (await fetch(`${reflex.url}/board/alerts?lang=en`, { headers: auth('board') })).text();
  expect(page).toContain(
    '8 deliveries received: 4 handled (an incident opened or joined, recorded as unrouted, or nothing to do), 3 refused (credentials, malformed, unknown source), 0 asked to retry (their retries are counted again), 1 replays refused, 0 failed.',
  );
  expect(page).toContain('No alert went unhandled.');
  expect(page).toMatch(
    /data-source="siem"><td><b>siem<\/b><\/td><td>7<\/td><td>4<\/td><td>2<\/td><td>0<\/td><td>1<\/td><td><small>1 opened an incident, 1 joined one, 2 unrouted, 1 refused/,
  );
  const nl = await (await fetch(`${reflex.url}/board/alerts?lang=nl`, { headers: auth('board') })).text();
  expect(nl).toContain('Geen melding bleef onbehandeld.');
  // A period before any of this holds nothing.
  const empty = (await (
    await fetch(`${reflex.url}/api/reports/alerts?from=2020-01-01&to=2020-01-31`, { headers: auth('board') })
  ).json()) as { totals: Record<string, number> };
  expect(empty.totals.received).toBe(0);
});
