// The intake journal's table (docs/decisions/004-intake-journal.md): one row per accepted alert until
// its incidents are opened. Rows are handed out with leases, so several servers drain one database
// without opening an alert twice at once (`for update skip locked`).
//
// Appends are committed in groups: while one statement is being written, the alerts that arrive are
// queued and go together in the next one (each answered once its own statement has committed). An
// alert arriving alone waits for nothing; during a storm the database does one statement per group
// instead of one per alert (docs/BENCHMARKS.md, "Group commit for the journal").
import { columnsOf, type Db } from './db';
import type { JournalEntry, JournalStore } from '../triggers/journal';
import type { Alert } from '../workflows/model/alert';

type AppendEntry = Parameters<JournalStore['append']>[0];

interface Queued {
  entry: AppendEntry;
  resolve: (id: string | undefined) => void;
  reject: (err: unknown) => void;
}

/** The most alerts one append statement carries. */
export const MAX_GROUP = 200;

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
  private readonly queue: Queued[] = [];
  private writing = false;

  constructor(private readonly db: Db) {}

  /**
   * Writes the alert (see {@link JournalStore.append}); resolves once the statement that carried it
   * has committed. A settle (a claim taken before) is written on its own.
   */
  append(entry: AppendEntry): Promise<string | undefined> {
    if (entry.claim === 'settle') return this.appendOne(entry);
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      void this.pump();
    });
  }

  /** Writes queued alerts, one group per statement, until none is left. */
  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = takeGroup(this.queue);
        if (group.length === 1) {
          const [one] = group;
          await this.appendOne(one!.entry).then(one!.resolve, one!.reject);
          continue;
        }
        try {
          const ids = await this.appendGroup(group.map((q) => q.entry));
          group.forEach((q, i) => q.resolve(ids[i]));
        } catch {
          // Nothing of the group was written (one statement). Each alone, so one alert the database
          // refuses is refused alone and the others are still accepted.
          for (const q of group) await this.appendOne(q.entry).then(q.resolve, q.reject);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * One statement for a group of `insert`/`none` alerts: every delivery id claimed (settled with its
   * incident), and a row for each alert whose id was new or that has none. Ids are drawn for every
   * alert up front, so each alert learns its own row (undefined: its id was claimed before).
   */
  private async appendGroup(entries: readonly AppendEntry[]): Promise<Array<string | undefined>> {
    // The rows' values by column ($1–$6, which unnest takes side by side), then the delivery ids ($7).
    const columns = columnsOf(entries.map(rowValues));
    const rows = await this.db.query<{ ord: string | number; id: string | number | null }>(
      `with input as materialized (
         select t.*, nextval(pg_get_serial_sequence('intake_journal', 'id')) as id
           from unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::int[], $7::text[])
                with ordinality as t(source, alert, drill, playbooks, incident_id, lease_ms, delivery_id, ord)
       ),
       claimed as (
         insert into webhook_deliveries (source, delivery_id, incident_id)
         select source, delivery_id, incident_id from input where delivery_id is not null
         on conflict (source, delivery_id) do nothing
         returning source, delivery_id
       ),
       written as (
         insert into intake_journal (id, source, alert, drill, playbooks, incident_id, lease_until)
         select i.id, i.source, i.alert, i.drill, i.playbooks, i.incident_id,
                now() + (i.lease_ms * interval '1 millisecond')
           from input i
          where i.delivery_id is null
             or exists (select 1 from claimed c where c.source = i.source and c.delivery_id = i.delivery_id)
         returning id
       )
       select i.ord, w.id from input i left join written w on w.id = i.id order by i.ord`,
      [...columns, entries.map((e) => (e.claim === 'insert' ? (e.deliveryId ?? null) : null))],
    );
    const byOrd = new Map(rows.map((r) => [Number(r.ord), r.id === null ? undefined : String(r.id)]));
    return entries.map((_, i) => byOrd.get(i + 1));
  }

  private async appendOne(entry: AppendEntry): Promise<string | undefined> {
    const params: unknown[] = rowValues(entry);
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

/**
 * A row's values, in the order both append statements take them: source, alert, drill, playbooks,
 * incident id, lease in ms. The alert as text, byte for byte what the workflow gets (jsonb would
 * reorder the payload's keys); a deferred alert is free for the drainers at once.
 */
function rowValues(entry: AppendEntry): unknown[] {
  return [
    entry.source,
    JSON.stringify(entry.alert),
    entry.drill,
    JSON.stringify(entry.playbooks),
    entry.incidentId,
    entry.deferred ? 0 : entry.leaseMs,
  ];
}

/**
 * The next group off the queue, oldest first: at most {@link MAX_GROUP}, and one alert per delivery
 * id (a second delivery of the same id waits for the next statement, where it finds the id claimed).
 */
function takeGroup(queue: Queued[]): Queued[] {
  const group: Queued[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < queue.length && group.length < MAX_GROUP;) {
    const { entry } = queue[i]!;
    const key =
      entry.claim === 'insert' && entry.deliveryId !== undefined
        ? `${entry.source}\u0000${entry.deliveryId}`
        : undefined;
    if (key !== undefined && ids.has(key)) {
      i += 1;
      continue;
    }
    if (key !== undefined) ids.add(key);
    group.push(queue.splice(i, 1)[0]!);
  }
  return group;
}
