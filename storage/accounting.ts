// Every alert accounted for: what became of each webhook delivery (counted per day, source and
// outcome, from memory every few seconds) set beside what the durable record holds for the same
// period — alerts that opened or joined an incident, unrouted ones, refused ones — so the board can
// see the counts agree and that no alert went unhandled.
import type { Db } from './db';
import type { AuditKind } from '../workflows/model/audit-events';

export class DeliveryCounts {
  constructor(private readonly db: Db) {}

  /** Adds counts keyed `day source outcome`. */
  async add(counts: ReadonlyMap<string, number>): Promise<void> {
    for (const [key, count] of counts) {
      const [day, source, outcome] = key.split('\u0000') as [string, string, string];
      await this.db.query(
        `insert into delivery_counts (day, source, outcome, count) values ($1, $2, $3, $4)
         on conflict (day, source, outcome) do update set count = delivery_counts.count + excluded.count`,
        [day, source, outcome, count],
      );
    }
  }

  /** Per outcome and source, for the days `[fromDay, toDay]` (YYYY-MM-DD, UTC). */
  async totals(
    fromDay: string,
    toDay: string,
  ): Promise<Array<{ source: string; outcome: string; count: number }>> {
    const rows = await this.db.query<{ source: string; outcome: string; count: string | number }>(
      `select source, outcome, sum(count) as count from delivery_counts
       where day >= $1 and day <= $2 group by source, outcome order by source, outcome`,
      [fromDay, toDay],
    );
    return rows.map((r) => ({ source: r.source, outcome: r.outcome, count: Number(r.count) }));
  }
}

/** In memory until flushed: the intake path never waits on this. */
export class DeliveryLedger {
  private pending = new Map<string, number>();

  count(source: string, outcome: string, at = new Date()): void {
    const key = [at.toISOString().slice(0, 10), source, outcome].join('\u0000');
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
  }

  async flush(store: DeliveryCounts): Promise<void> {
    const taken = this.pending;
    if (taken.size === 0) return;
    this.pending = new Map();
    try {
      await store.add(taken);
    } catch (err) {
      for (const [key, n] of taken) this.pending.set(key, (this.pending.get(key) ?? 0) + n);
      throw err;
    }
  }
}

/** The record's kinds for alerts, checked against the audit union, and what each means here. */
const NAMES = {
  'alert.received': 'opened',
  'alert.joined': 'joined',
  'alert.unrouted': 'unrouted',
  'alert.rejected': 'rejected',
} as const satisfies Partial<Record<AuditKind, string>>;

/** What the durable record holds for a period: alerts by what became of them, by source. */
export async function recordedAlerts(
  db: Db,
  from: string,
  to: string,
): Promise<Array<{ source: string; kind: 'opened' | 'joined' | 'unrouted' | 'rejected'; count: number }>> {
  const rows = await db.query<{ actor: string; kind: string; content: string }>(
    'select actor, kind, content from audit_events where kind = any($3) and at >= $1 and at < $2',
    [from, to, Object.keys(NAMES)],
  );
  const counts = new Map<string, number>();
  for (const row of rows) {
    const kind = NAMES[row.kind as keyof typeof NAMES];
    let source = row.actor.replace(/^source:/, '');
    let n = 1;
    if (kind === 'rejected') {
      const content = JSON.parse(row.content) as { source?: string; suppressedBefore?: number };
      // Repeated refusals from one address are recorded once with the number held back before it.
      n += content.suppressedBefore ?? 0;
      source = content.source ?? source;
    }
    const key = `${source}\u0000${kind}`;
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
  return [...counts].map(([key, count]) => {
    const [source, kind] = key.split('\u0000') as [string, 'opened' | 'joined' | 'unrouted' | 'rejected'];
    return { source, kind, count };
  });
}
