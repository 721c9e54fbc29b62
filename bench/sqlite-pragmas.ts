// Benchmark: the embedded Temporal dev server on its SQLite file, with SQLite's default pragmas and with
// the WAL journal at two synchronous levels. Three processes per run: this load generator, the dev
// server (a fresh file each time) and a worker (bench/bare-call-worker.ts) running a bare workflow whose
// one activity POSTs back here. Latency: from just before `workflow.start` to the activity's POST.
// Run: npm run bench:sqlite (knobs: BENCH_RATES=20,50 BENCH_SECONDS=15). Writes the `embeddedSqlite`
// entry of bench-results.json.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../common/logger';
import { percentile } from './stats';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { TOOLS_DIR } from '../startup/project';
import { startDevServer } from '../temporal/dev-server';
import { embeddedSqlitePragmas } from '../startup/temporal';
import { machine, saveResult } from './results';

const RATES = (process.env.BENCH_RATES ?? '20,50').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const log = createLogger({ level: 'warn' });

const VARIANTS: Record<string, readonly string[]> = {
  'sqlite defaults (rollback journal, synchronous=full)': [],
  'journal_mode=wal, synchronous=normal': embeddedSqlitePragmas('normal'),
  'journal_mode=wal, synchronous=full (the default)': embeddedSqlitePragmas('full'),
};

async function run(pragmas: readonly string[], rate: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sqlite-'));
  const server = await startDevServer({
    cliPath: await ensureTemporalCli(TOOLS_DIR, log, process.env),
    dbFile: join(dir, 'temporal.sqlite'),
    sqlitePragmas: pragmas,
    log,
  });
  const arrived = new Map<string, (t: number) => void>();
  const http = createServer((req, res) => {
    const id = decodeURIComponent(req.url!.slice('/called/'.length));
    arrived.get(id)?.(performance.now());
    res.end();
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const callback = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  const taskQueue = 'bench-sqlite';
  const worker = spawn(
    process.execPath,
    [join(__dirname, 'bare-call-worker.js'), server.address, taskQueue, callback],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((done) => worker.stdout!.once('data', () => done()));
  worker.stdout!.resume(); // its log lines after "ready" are not read, and must not fill the pipe
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const call = async (id: string) => {
    const came = new Promise<number>((done) => arrived.set(id, done));
    const t0 = performance.now();
    await client.workflow.start('bareCall', { workflowId: id, taskQueue, args: [id] });
    return (await came) - t0;
  };
  for (let i = 0; i < 20; i++) await call(`warm-${i}`); // warm up: bundles, caches, connections
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * SECONDS; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(call(`run-${i}`).then((ms) => void latencies.push(ms)));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  worker.kill('SIGTERM');
  await new Promise((done) => worker.once('exit', done));
  await connection.close();
  await server.stop();
  http.close();
  return {
    rate,
    seconds: SECONDS,
    workflows: latencies.length,
    completedPerSec: Math.round((latencies.length / elapsed) * 10) / 10,
    p50Ms: Math.round(percentile(latencies, 50)),
    p95Ms: Math.round(percentile(latencies, 95)),
    p99Ms: Math.round(percentile(latencies, 99)),
  };
}

async function main(): Promise<void> {
  const results: Array<Record<string, unknown>> = [];
  for (const rate of RATES) {
    for (const [variant, pragmas] of Object.entries(VARIANTS)) {
      const result = { variant, pragmas, ...(await run(pragmas, rate)) };
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
  saveResult('embeddedSqlite', {
    command: `BENCH_RATES=${RATES.join(',')} BENCH_SECONDS=${SECONDS} npm run bench:sqlite`,
    at: new Date().toISOString(),
    machine: machine(),
    chosen: embeddedSqlitePragmas('full'),
    results,
  });
}

void main();
