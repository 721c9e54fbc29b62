// Budgets shared by every server on one PostgreSQL: rate-limiter-flexible's PostgreSQL limiter over
// Reflex's own connection, on the `rate_limits` table (migration 13). One upsert per consumed point;
// once a key has spent its budget the answer comes from memory until the window ends, so a flood does
// not become a flood of queries. Should the database not answer, the budget falls back to this
// process's memory: a limit that is briefly per server, rather than every request refused.
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Limiters } from '../common/rate-limits';
import type { Queryable } from './db';

interface LimiterQuery {
  text: string;
  values?: unknown[];
}

export function sharedLimiters(db: Queryable): Limiters {
  // The limiter's "pool" needs only query({ text, values }) → { rows, rowCount }.
  const client = {
    query: async ({ text, values }: LimiterQuery) => {
      const rows = await db.query(text, values);
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
