// Leases in the database: which process may do a thing only one should do at a time (read the logs,
// when several servers share one PostgreSQL). Time is the database's, so servers' clocks do not matter.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Db } from './db';

/** Who holds a lease: this host and process, and a nonce (a restarted process is someone else). */
export const leaseHolder = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export class Leases {
  constructor(private readonly db: Db) {}

  /** Takes `name` for `holder` for `ttlMs`, or renews it; false while someone else holds it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const rows = await this.db.query<{ holder: string }>(
      `insert into leases (name, holder, expires_at) values ($1, $2, now() + $3::int * interval '1 millisecond')
       on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
         where leases.holder = excluded.holder or leases.expires_at < now()
       returning holder`,
      [name, holder, ttlMs],
    );
    return rows.length === 1;
  }

  /** Gives the lease up (a clean stop), so the next holder need not wait for it to lapse. */
  async release(name: string, holder: string): Promise<void> {
    await this.db.query('delete from leases where name = $1 and holder = $2', [name, holder]);
  }

  /** Who holds `name` now, if anyone. */
  async holder(name: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ holder: string }>(
      'select holder from leases where name = $1 and expires_at >= now()',
      [name],
    );
    return row?.holder;
  }
}
