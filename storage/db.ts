// One small database interface over PostgreSQL (pg) and the embedded PostgreSQL (PGlite), so both
// run the same SQL and the same migrations.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { MIGRATIONS } from './migrations';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /**
   * For statements whose last commits a power cut may lose without harm (rate-limit counters): their
   * commits do not wait for the write-ahead log to reach the disk (`synchronous_commit=off`), so a
   * row every server updates is locked for the update, not for an fsync. Each statement is still
   * atomic, and a crash of PostgreSQL alone loses nothing. The embedded database: `query` itself.
   */
  readonly unflushed: Queryable;
  /** Runs `fn` in one transaction; it rolls back when `fn` throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Cheap round trip, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres://… ; when absent, an embedded database in `embeddedDir` (or in memory when that is absent too). */
  url?: string;
  embeddedDir?: string;
}

/** Opens the database and applies any pending migrations. */
export async function openDb(options: OpenDbOptions): Promise<Db> {
  return claimDb(options).open();
}

/** A database claimed for this process and not opened yet. */
export interface ClaimedDb {
  /** Opens it and applies any pending migrations. */
  open(): Promise<Db>;
}

/**
 * Claims the database now: the embedded one's lock is taken before this returns (it throws
 * {@link DatabaseInUseError} when a live process holds it), so a caller may start work that must not
 * run beside another owner (Temporal's dev server on the same data directory) while it opens.
 */
export function claimDb({ url, embeddedDir }: OpenDbOptions): ClaimedDb {
  if (url) return { open: () => openPostgres(url).then(migrated) };
  if (embeddedDir) mkdirSync(embeddedDir, { recursive: true });
  const unlock = embeddedDir ? lockEmbedded(embeddedDir) : () => undefined;
  return { open: () => openEmbedded(embeddedDir, unlock).then(migrated) };
}

async function migrated(db: Db): Promise<Db> {
  await migrate(db);
  return db;
}

async function openPostgres(url: string): Promise<Db> {
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: url, max: 10 });
  // A few connections of their own for the unflushed statements, so the setting never leaks into
  // the statements that must be durable (an accepted alert, an audit event).
  const unflushedPool = new Pool({ connectionString: url, max: 4, options: '-c synchronous_commit=off' });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  for (const p of [pool, unflushedPool]) p.on('error', () => undefined);
  const queryOn =
    (p: typeof pool) =>
    async <T>(sql: string, params?: unknown[]) =>
      (await p.query(sql, params as unknown[])).rows as T[];
  const query = queryOn(pool);
  return {
    kind: 'postgres',
    query,
    unflushed: { query: queryOn(unflushedPool) },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <T>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params as unknown[])).rows as T[],
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('select 1');
    },
    close: async () => {
      await Promise.all([pool.end(), unflushedPool.end()]);
    },
  };
}

/**
 * Rows as columns: the values of each position side by side, for a statement that takes a whole batch
 * as one array parameter per column (`unnest($1::text[], $2::int[], …)`).
 */
export function columnsOf(rows: readonly (readonly unknown[])[]): unknown[][] {
  return (rows[0] ?? []).map((_, c) => rows.map((row) => row[c]));
}

/** A timestamp column as pg and PGlite return it (a Date, or text), as ISO 8601. */
export const isoTime = (value: Date | string): string => new Date(value).toISOString();

/** The embedded database is in use by another live process (a running Reflex). */
export class DatabaseInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dir} is in use by process ${pid} (a running Reflex): stop it first, or do this through its web pages or API; with PostgreSQL (DATABASE_URL) any number of processes may share it`,
    );
    this.name = 'DatabaseInUseError';
  }
}

/**
 * One process at a time opens an embedded database: PGlite has no locking of its own, so a second
 * process (a CLI command beside `reflex start`) would corrupt it. `<dir>.lock` holds the owner's pid;
 * a dead owner's lock (a SIGKILL) is taken over.
 */
function lockEmbedded(dir: string): () => void {
  const file = `${dir}.lock`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && owner !== process.pid && alive(owner)) throw new DatabaseInUseError(dir, owner);
      if (owner === process.pid) return () => undefined; // this process has it open already
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openEmbedded(dir: string | undefined, unlock: () => void): Promise<Db> {
  let pg;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    pg = new PGlite(dir);
    await pg.waitReady;
  } catch (err) {
    unlock();
    throw err;
  }
  let closed = false;
  const query = async <T>(sql: string, params?: unknown[]) => (await pg.query<T>(sql, params)).rows;
  return {
    kind: 'embedded',
    query,
    unflushed: { query },
    transaction: (fn) =>
      pg.transaction((tx) =>
        fn({ query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows }),
      ),
    async ping() {
      if (closed) throw new Error('embedded database is closed');
      await pg.query('select 1');
    },
    async close() {
      closed = true;
      await pg.close();
      unlock();
    },
  };
}

/** Any constant: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 7_301_944;

/**
 * Applies the pending migrations in one transaction, under an advisory lock: a server and a worker
 * starting at the same moment against a fresh database must not both create the same tables.
 */
async function migrate(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'create table if not exists schema_migrations (version integer primary key, applied_at timestamptz not null default now())',
    );
    const done = new Set(
      (await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => r.version),
    );
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('insert into schema_migrations (version) values ($1)', [migration.version]);
    }
  });
}
