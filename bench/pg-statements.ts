// Which statements a storm costs on the cluster's PostgreSQL: pg_stat_statements' execution time by
// database and the statements that took the most, the commits each database made, and the
// write-ahead log's records and syncs. BENCH_PG_STATEMENTS=1 (bench/fair.ts, cluster topology only).
import { Client } from 'pg';

interface Counters {
  commits: Record<string, number>;
  walRecords: number;
  walBytes: number;
  walSyncs: number;
}

export interface StatementTotals {
  /** By database: statements run, and milliseconds spent executing them. */
  byDatabase: Record<string, { calls: number; ms: number; commits: number }>;
  /** The write-ahead log: records, MiB and syncs (each sync one fsync of a commit or more). */
  wal: { records: number; mib: number; syncs: number };
  /** The statements that took the most time, whatever their database. */
  top?: Array<{ database: string; calls: number; ms: number; meanMs: number; query: string }>;
}

export interface StatementLedger {
  /** Starts counting from now. */
  reset(): Promise<void>;
  /** What was run since `reset`; with the `top` statements when asked. */
  read(top?: number): Promise<StatementTotals>;
  close(): Promise<void>;
}

const round = (n: number) => Math.round(n * 10) / 10;

export async function statementLedger(url: string): Promise<StatementLedger> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('create extension if not exists pg_stat_statements');
  const counters = async (): Promise<Counters> => {
    const commits = await client.query<{ datname: string; commits: string }>(
      'select datname, xact_commit as commits from pg_stat_database where datname is not null',
    );
    const wal = await client.query<{ records: string; bytes: string; syncs: string }>(
      'select wal_records as records, wal_bytes as bytes, wal_sync as syncs from pg_stat_wal',
    );
    return {
      commits: Object.fromEntries(commits.rows.map((r) => [r.datname, Number(r.commits)])),
      walRecords: Number(wal.rows[0]!.records),
      walBytes: Number(wal.rows[0]!.bytes),
      walSyncs: Number(wal.rows[0]!.syncs),
    };
  };
  let since = await counters();
  return {
    reset: async () => {
      await client.query('select pg_stat_statements_reset()');
      since = await counters();
    },
    read: async (top) => {
      // Statistics reach the shared views when a backend is idle for a second at most.
      await new Promise((r) => setTimeout(r, 1500));
      const now = await counters();
      const byDatabase = await client.query<{ database: string; calls: string; ms: number }>(
        `select d.datname as database, sum(s.calls)::bigint as calls, sum(s.total_exec_time) as ms
           from pg_stat_statements s join pg_database d on d.oid = s.dbid
          group by d.datname order by ms desc`,
      );
      const totals: StatementTotals = {
        byDatabase: Object.fromEntries(
          byDatabase.rows.map((r) => [
            r.database,
            {
              calls: Number(r.calls),
              ms: Math.round(r.ms),
              commits: (now.commits[r.database] ?? 0) - (since.commits[r.database] ?? 0),
            },
          ]),
        ),
        wal: {
          records: now.walRecords - since.walRecords,
          mib: round((now.walBytes - since.walBytes) / 2 ** 20),
          syncs: now.walSyncs - since.walSyncs,
        },
      };
      if (top) {
        const rows = await client.query<{
          database: string;
          calls: string;
          ms: number;
          mean: number;
          query: string;
        }>(
          `select d.datname as database, s.calls, s.total_exec_time as ms, s.mean_exec_time as mean,
                  left(regexp_replace(s.query, '\\s+', ' ', 'g'), 140) as query
             from pg_stat_statements s join pg_database d on d.oid = s.dbid
            order by s.total_exec_time desc limit $1`,
          [top],
        );
        totals.top = rows.rows.map((r) => ({
          database: r.database,
          calls: Number(r.calls),
          ms: Math.round(r.ms),
          meanMs: Math.round(r.mean * 100) / 100,
          query: r.query,
        }));
      }
      return totals;
    },
    close: () => client.end(),
  };
}
