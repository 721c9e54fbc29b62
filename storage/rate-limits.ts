// Budgets shared by every server on one PostgreSQL: rate-limiter-flexible's PostgreSQL limiter over
// Reflex's own connection, on the `rate_limits` table (migration 13). One upsert per consumed point;
// once a key has spent its budget the answer comes from memory until the window ends, so a flood does
// not become a flood of queries. Should the database not answer, the budget falls back to this
// process's memory: a limit that is briefly per server, rather than every request refused.
//
// The upserts commit without waiting for the disk (`Db.unflushed`). Every alert of a source updates
// that source's one row, so each held the row's lock through its commit's fsync: in a storm on the
// cluster the alerts queued there (25 ms an upsert, about 190 alerts/s for the whole cluster,
// docs/BENCHMARKS.md). A power cut may forget the last counts, which lets a sender a few alerts more;
// nothing accepted is lost, as the journal's writes stay durable.
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Limiters } from '../common/rate-limits';
import type { Db } from './db';

interface LimiterQuery {
  text: string;
  values?: unknown[];
}

export function sharedLimiters(db: Pick<Db, 'unflushed'>): Limiters {
  // The limiter's "pool" needs only query({ text, values }) → { rows, rowCount }.
  const client = {
    query: async ({ text, values }: LimiterQuery) => {
      const rows = await db.unflushed.query(text, values);
      return { rows, rowCount: rows.length };
    },
  };
  return ({ name, points, durationSeconds }) =>
    new RateLimiterPostgres({
      storeClient: client,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: name,
      points,
      duration: durationSeconds,
      inMemoryBlockOnConsumed: points + 1,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }),
    });
}
