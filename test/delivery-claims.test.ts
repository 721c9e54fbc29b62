// A delivery id claimed by an attempt that died before Temporal answered (a crash between the claim
// and the start) must not turn the sender's retry into a 409 that loses the alert: while the first
// attempt may still run, the retry is asked to come back (503 + Retry-After); once it is surely dead,
// the retry delivers the alert. A settled id stays a replay (409 naming the incident).
import { randomUUID } from 'node:crypto';
import { freshDatabaseUrl } from './helpers/postgres';
import { alertBody, postSigned, startTestReflex } from './helpers/reflex';
import {} from './helpers/bootstrap';
import { fastPlaybooks } from './helpers/playbooks';
import { openDb } from '../storage/db';
import { WebhookDeliveries } from '../storage/deliveries';
import { STALE_CLAIM_MS } from '../triggers/intake';

test('claims: first, unsettled, settled; one retry takes over a stale claim however many arrive', async () => {
  const db = await openDb({ url: await freshDatabaseUrl('claims') });
  try {
    const deliveries = new WebhookDeliveries(db);
    expect(await deliveries.claim('siem', 'd-1')).toEqual({ first: true });
    expect(await deliveries.claim('siem', 'd-1')).toEqual({ first: false, settled: false });
    expect(await deliveries.reclaim('siem', 'd-1', 60_000)).toBe(false); // young: may still run
    await db.query(`update webhook_deliveries set received_at = now() - interval '1 minute'`);
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => deliveries.reclaim('siem', 'd-1', 30_000)),
    );
    expect(racing.filter(Boolean)).toHaveLength(1);
    await deliveries.settle('siem', 'd-1', 'incident-1');
    expect(await deliveries.claim('siem', 'd-1')).toEqual({
      first: false,
      settled: true,
      incidentId: 'incident-1',
    });
    await deliveries.claim('siem', 'd-2');
    await deliveries.settle('siem', 'd-2', undefined); // accepted, no incident (unrouted)
    expect(await deliveries.claim('siem', 'd-2')).toEqual({ first: false, settled: true });
    await db.query(`update webhook_deliveries set received_at = now() - interval '1 minute'`);
    expect(await deliveries.reclaim('siem', 'd-2', 30_000)).toBe(false); // settled stays settled
  } finally {
    await db.close();
  }
});

test('over HTTP: a retry of a delivery whose first attempt died is asked to wait, then delivered', async () => {
  const databaseUrl = await freshDatabaseUrl('claims');
  const db = await openDb({ url: databaseUrl });
  const reflex = await startTestReflex({ databaseUrl, playbooksDir: fastPlaybooks(['notify-on-call']) });
  try {
    const id = `died-${randomUUID()}`;
    const body = alertBody({ type: 'claims-test', title: `claims ${id}` });
    // What a crash leaves: the id claimed, nothing recorded about it since.
    await db.query(`insert into webhook_deliveries (source, delivery_id) values ('siem', $1)`, [id]);
    const soon = await postSigned(reflex.url, body, { id });
    expect(soon.status).toBe(503);
    expect(Number(soon.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(soon.body.error).toMatch(/retry shortly/);
    // Later than any first attempt can take: the retry delivers it, and it is recorded.
    await db.query(
      `update webhook_deliveries set received_at = now() - $2::int * interval '1 millisecond' where delivery_id = $1`,
      [id, STALE_CLAIM_MS + 1000],
    );
    const later = await postSigned(reflex.url, body, { id });
    expect(later.status).toBe(202);
    const again = await postSigned(reflex.url, body, { id });
    expect(again).toMatchObject({ status: 409, body: { incidentId: later.body.incidentId } });
  } finally {
    await reflex.stop();
    await db.close();
  }
});
