// What one shared budget's row admits: every alert of a source updates that source's one row in
// `rate_limits`, so the updates take turns. CONCURRENCY callers consume points of one key at once for
// SECONDS, through rate-limiter-flexible's PostgreSQL limiter (storage/rate-limits.ts), with commits
// that wait for the disk (the main pool) and with `Db.unflushed` (synchronous_commit=off), in turns,
// on the cluster's PostgreSQL (cluster/postgres.ts: fsync and synchronous commit on, as in production).
// Run: npm run bench:rate-limit (BENCH_CONCURRENCY=32 BENCH_SECONDS=5 BENCH_ROUNDS=3). Writes the
// `rateLimitRow` entry of bench-results.json.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDatabase, startClusterPostgres } from '../cluster/postgres';
import { freePort } from '../common/ports';
import { openDb, type Db } from '../storage/db';
import { sharedLimiters } from '../storage/rate-limits';
import { machine, runBench, saveResult } from './results';
import { percentile } from './stats';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function consumeFor(db: Pick<Db, 'unflushed'>, name: string) {
  const limiter = sharedLimiters(db)({ name, points: 1e9, durationSeconds: 3600 });
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await limiter.consume('siem');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return {
    perSec: Math.round(latencies.length / SECONDS),
    p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rate-limit-'));
  chmodSync(dir, 0o711); // PostgreSQL runs as its own user below it
  const pg = await startClusterPostgres(join(dir, 'postgresql'), await freePort());
  try {
    await ensureDatabase(pg, 'reflex');
    const db = await openDb({ url: pg.url('reflex') });
    const runs: Record<'durable' | 'unflushed', Array<Awaited<ReturnType<typeof consumeFor>>>> = {
      durable: [],
      unflushed: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      // The durable side: the limiter's statements on the main pool, as before Db.unflushed.
      runs.durable.push(await consumeFor({ unflushed: db }, `durable-${round}`));
      runs.unflushed.push(await consumeFor(db, `unflushed-${round}`));
      console.log(JSON.stringify({ round, durable: runs.durable.at(-1), unflushed: runs.unflushed.at(-1) }));
    }
    await db.close();
    saveResult('rateLimitRow', {
      command: `BENCH_CONCURRENCY=${CONCURRENCY} BENCH_SECONDS=${SECONDS} BENCH_ROUNDS=${ROUNDS} npm run bench:rate-limit`,
      measuredAt: new Date().toISOString(),
      machine: machine(),
      concurrency: CONCURRENCY,
      seconds: SECONDS,
      ...runs,
    });
  } finally {
    await pg.process.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
