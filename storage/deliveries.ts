// Which webhook deliveries were accepted, by the sender's delivery id: the replay and idempotency record.
import type { Db } from './db';
import type { DeliveryLog } from '../triggers/intake';

export class WebhookDeliveries implements DeliveryLog {
  constructor(private readonly db: Db) {}

  async claim(
    source: string,
    deliveryId: string,
  ): Promise<{ first: true } | { first: false; incidentId?: string }> {
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
    return { first: false, incidentId: row?.incident_id ?? undefined };
  }

  async settle(source: string, deliveryId: string, incidentId: string | undefined): Promise<void> {
    await this.db.query(
      'update webhook_deliveries set incident_id = $3 where source = $1 and delivery_id = $2',
      [source, deliveryId, incidentId ?? null],
    );
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
