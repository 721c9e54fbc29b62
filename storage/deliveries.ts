// Which webhook deliveries were accepted, by the sender's delivery id: the replay and idempotency record.
import type { Db } from './db';
import type { Claim, DeliveryLog } from '../triggers/intake';

export class WebhookDeliveries implements DeliveryLog {
  constructor(private readonly db: Db) {}

  async claim(source: string, deliveryId: string): Promise<Claim> {
    const inserted = await this.db.query(
      `insert into webhook_deliveries (source, delivery_id) values ($1, $2)
       on conflict (source, delivery_id) do nothing returning 1 as one`,
      [source, deliveryId],
    );
    if (inserted.length > 0) return { first: true };
    const [row] = await this.db.query<{ incident_id: string | null }>(
      'select incident_id from webhook_deliveries where source = $1 and delivery_id = $2',
      [source, deliveryId],
    );
    // Settled with '' : accepted without an incident (unrouted, ignored).
    if (row?.incident_id === null || row === undefined) return { first: false, settled: false };
    return { first: false, settled: true, incidentId: row.incident_id || undefined };
  }

  async settle(source: string, deliveryId: string, incidentId: string | undefined): Promise<void> {
    await this.db.query(
      'update webhook_deliveries set incident_id = $3 where source = $1 and delivery_id = $2',
      [source, deliveryId, incidentId ?? ''],
    );
  }

  async reclaim(source: string, deliveryId: string, staleMs: number): Promise<boolean> {
    // One retry takes it over (the row's time moves on), however many arrive at once.
    const rows = await this.db.query(
      `update webhook_deliveries set received_at = now()
        where source = $1 and delivery_id = $2 and incident_id is null
          and received_at < now() - ($3::int * interval '1 millisecond')
        returning 1 as one`,
      [source, deliveryId, staleMs],
    );
    return rows.length > 0;
  }

  async release(source: string, deliveryId: string): Promise<void> {
    await this.db.query('delete from webhook_deliveries where source = $1 and delivery_id = $2', [
      source,
      deliveryId,
    ]);
  }

  /** Forgets ids older than `days` (timestamps older than ±5 minutes are refused anyway). */
  async prune(days = 7): Promise<number> {
    const rows = await this.db.query(
      `delete from webhook_deliveries where received_at < now() - ($1::int * interval '1 day') returning 1 as one`,
      [days],
    );
    return rows.length;
  }
}
