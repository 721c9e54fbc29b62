// The intake journal's table (docs/decisions/004-intake-journal.md): one row per accepted alert until
// its incidents are opened. Rows are handed out with leases, so several servers drain one database
// without opening an alert twice at once (`for update skip locked`).
import type { Db } from './db';
import type { JournalEntry, JournalStore } from '../triggers/journal';
import type { Alert } from '../workflows/model/alert';

interface Row {
  id: string;
  source: string;
  alert: string;
  drill: boolean;
  playbooks: string;
  incident_id: string;
  attempts: number;
}

export class IntakeJournalStore implements JournalStore {
  constructor(private readonly db: Db) {}

  async append(entry: Parameters<JournalStore['append']>[0]): Promise<string> {
    // The alert as text, byte for byte what the workflow gets (jsonb would reorder the payload's keys).
    const params = [
      entry.source,
      JSON.stringify(entry.alert),
      entry.drill,
      JSON.stringify(entry.playbooks),
      entry.incidentId,
      entry.deferred ? 0 : entry.leaseMs,
    ];
    const insert = `insert into intake_journal (source, alert, drill, playbooks, incident_id, lease_until)
      values ($1, $2, $3, $4, $5, now() + ($6::int * interval '1 millisecond')) returning id`;
    if (entry.deliveryId === undefined) {
      const [row] = await this.db.query<{ id: string }>(insert, params);
      return String(row!.id);
    }
    // One round trip: the row, and the delivery's claim settled with the incident it will open.
    const [row] = await this.db.query<{ id: string }>(
      `with journalled as (${insert}),
            settled as (update webhook_deliveries set incident_id = $5
                         where source = $1 and delivery_id = $7 returning 1)
       select id from journalled`,
      [...params, entry.deliveryId],
    );
    return String(row!.id);
  }

  async opened(id: string, incidentIds: string[]): Promise<void> {
    await this.db.query(
      `update intake_journal set state = 'opened', opened_at = now(), incident_id = $2 where id = $1`,
      [id, incidentIds.join(' ')],
    );
  }

  async retry(id: string, delayMs: number): Promise<void> {
    await this.db.query(
      `update intake_journal set lease_until = now() + ($2::int * interval '1 millisecond')
        where id = $1 and state = 'pending'`,
      [id, Math.round(delayMs)],
    );
  }

  async fail(id: string, reason: string): Promise<void> {
    await this.db.query(`update intake_journal set state = 'failed', error = $2 where id = $1`, [
      id,
      reason.slice(0, 500),
    ]);
  }

  async take(limit: number, leaseMs: number): Promise<JournalEntry[]> {
    const rows = await this.db.query<Row>(
      `update intake_journal
          set lease_until = now() + ($2::int * interval '1 millisecond'), attempts = attempts + 1
        where id in (select id from intake_journal
                      where state = 'pending' and lease_until <= now()
                      order by id limit $1 for update skip locked)
        returning id, source, alert, drill, playbooks, incident_id, attempts`,
      [limit, leaseMs],
    );
    return rows
      .map((r) => ({
        id: String(r.id),
        source: r.source,
        alert: JSON.parse(r.alert) as Alert,
        drill: r.drill,
        playbooks: JSON.parse(r.playbooks) as string[],
        incidentId: r.incident_id,
        attempts: r.attempts,
      }))
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  async backlog(): Promise<{ pending: number; oldestSeconds: number }> {
    const [row] = await this.db.query<{ pending: number; oldest: number | null }>(
      `select count(*)::int as pending,
              extract(epoch from now() - min(received_at))::float8 as oldest
         from intake_journal where state = 'pending'`,
    );
    return { pending: row?.pending ?? 0, oldestSeconds: Math.max(0, row?.oldest ?? 0) };
  }

  async prune(days = 7): Promise<number> {
    const rows = await this.db.query(
      `delete from intake_journal where state <> 'pending'
          and received_at < now() - ($1::int * interval '1 day') returning 1 as one`,
      [days],
    );
    return rows.length;
  }
}
