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

  async append(entry: Parameters<JournalStore['append']>[0]): Promise<string | undefined> {
    // The alert as text, byte for byte what the workflow gets (jsonb would reorder the payload's keys).
    const params: unknown[] = [
      entry.source,
      JSON.stringify(entry.alert),
      entry.drill,
      JSON.stringify(entry.playbooks),
      entry.incidentId,
      entry.deferred ? 0 : entry.leaseMs,
    ];
    const row = `select $1::text, $2::text, $3::boolean, $4::text, $5::text,
                        now() + ($6::int * interval '1 millisecond')`;
    const insert = `insert into intake_journal (source, alert, drill, playbooks, incident_id, lease_until)`;
    let sql: string;
    if (entry.claim === 'none') sql = `${insert} ${row} returning id`;
    else if (entry.claim === 'insert') {
      // The claim, settled at once (its row is written with it), and the row only if the id was new.
      sql = `with claimed as (insert into webhook_deliveries (source, delivery_id, incident_id)
                              values ($1, $7, $5) on conflict (source, delivery_id) do nothing returning 1)
             ${insert} ${row} where exists (select 1 from claimed) returning id`;
      params.push(entry.deliveryId);
    } else {
      sql = `with settled as (update webhook_deliveries set incident_id = $5
                               where source = $1 and delivery_id = $7 returning 1)
             ${insert} ${row} returning id`;
      params.push(entry.deliveryId);
    }
    const [written] = await this.db.query<{ id: string }>(sql, params);
    return written === undefined ? undefined : String(written.id);
  }

  async opened(rows: ReadonlyArray<{ id: string; incidentIds: string[] }>): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `update intake_journal j set state = 'opened', opened_at = now(), incident_id = u.incidents
         from unnest($1::bigint[], $2::text[]) as u(id, incidents)
        where j.id = u.id and j.state = 'pending'`,
      [rows.map((r) => r.id), rows.map((r) => r.incidentIds.join(' '))],
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

  async failures(): Promise<{ failed: number; firstAt?: string }> {
    const [row] = await this.db.query<{ failed: number; first: Date | string | null }>(
      `select count(*)::int as failed, min(received_at) as first from intake_journal where state = 'failed'`,
    );
    const first = row?.first ? new Date(row.first).toISOString() : undefined;
    return { failed: row?.failed ?? 0, ...(first && { firstAt: first }) };
  }

  async requeueFailed(): Promise<number> {
    const rows = await this.db.query(
      `update intake_journal set state = 'pending', attempts = 0, lease_until = now(), error = null
        where state = 'failed' returning 1 as one`,
    );
    return rows.length;
  }

  async prune(days = 7): Promise<number> {
    // Failed rows stay: each is an accepted alert nobody has seen opened (`reflex alerts retry`).
    const rows = await this.db.query(
      `delete from intake_journal where state = 'opened'
          and received_at < now() - ($1::int * interval '1 day') returning 1 as one`,
      [days],
    );
    return rows.length;
  }
}
