// Benchmark: memory with many incidents waiting for approval. Runs `reflex worker` and `reflex server`
// as processes of their own (PostgreSQL audit store, a mailbox that keeps the approval e-mails),
// starts BENCH_INCIDENTS incidents of a playbook that waits for approval, and reads the worker's, the
// server's and the Temporal dev server's RSS from /proc; then approves BENCH_DECISIONS of them, one at
// a time, as on-call does from a phone: the e-mailed link opened (GET) and Approve pressed (POST, its
// answer sent once the workflow applied the decision). The decision's time is the POST's.
// BENCH_TOPOLOGY=cluster: the same on the cluster topology (cluster/topology.ts): the Temporal server
// on PostgreSQL, the audit store on the same PostgreSQL, two `reflex worker` and two `reflex server`
// (the incidents spread over both workers; each worker's RSS is read).
// Run: npm run bench:memory. Writes the `waiting` entry of bench-results.json (`waiting.cluster` for
// the cluster topology; a run of either keeps the other's figures).
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../common/logger';
import { DemoMailbox } from '../mail/demo-mailbox';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { loadPlaybooks } from '../playbooks/load';
import { resolveContacts } from '../config/contacts';
import { configSchema } from '../config/schema';
import { fromGeneric } from '../triggers/adapters/generic';
import { freePort } from '../common/ports';
import { startPostgres } from '../test/helpers/postgres';
import { IncidentGateway } from '../temporal/incident-gateway';
import { percentile } from './stats';
import { childNamed, cpuSeconds, rssMiB } from './proc';
import { machine, readResults, runBench, saveResult } from './results';
import { startCluster } from '../cluster/topology';
import { openLink, post } from '../test/helpers/approval-links';

const COUNT = Number(process.env.BENCH_INCIDENTS ?? 10_000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 300);
const TOPOLOGY = process.env.BENCH_TOPOLOGY === 'cluster' ? 'cluster' : 'embedded';
const log = createLogger({ level: 'warn' });

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'reflex-membench-'));
  // Keeps the approval e-mails in memory: the decisions follow their links.
  const sink = await DemoMailbox.start();
  const playbooksDir = join(root, 'playbooks');
  mkdirSync(playbooksDir);
  writeFileSync(
    join(playbooksDir, 'wait-for-approval.yaml'),
    [
      'id: wait-for-approval',
      'version: 1',
      'title: Waits for approval',
      'description: Benchmark playbook; each incident waits an hour for an approval that never comes.',
      'triggers:',
      '  - types: [memory-bench]',
      'steps:',
      '  - id: notify',
      '    description: Tell on-call',
      '    action: notify.email',
      "    with: { to: 'oncall@bench.example', subject: 'bench', text: 'bench' }",
      '    approval: { approvers: [on-call], timeout: 1h, onTimeout: skip }',
      '',
    ].join('\n'),
  );
  const configFile = join(root, 'reflex.yaml');
  writeFileSync(
    configFile,
    // The decisions all come from this one address: the per-address budget for approval links would
    // refuse them (429) long before the 300th.
    `temporal:\n  maxCachedWorkflows: ${Number(process.env.BENCH_MAX_CACHED ?? 500)}\nplaybooks:\n  shipped: false\n  dirs: [${JSON.stringify(playbooksDir)}]\naccess:\n  attemptsPerMinute: { approvalLinks: 100000 }\n`,
  );
  // The heap cap docker-compose.yml gives reflex-worker, for the worker alone (not this process or tsc),
  // set the way compose sets it: NODE_OPTIONS in the worker's environment. BENCH_HEAP_VIA=argv puts it
  // on the worker's command line instead (both reach the workflow thread: V8's flags are per process).
  // BENCH_WORKER_SEMI_SPACE_MIB: the young generation of both the worker's threads, as docker-compose.yml
  // sets it (without it, the worker caps only its workflow thread's: worker/worker.ts).
  const heapMiB = process.env.BENCH_WORKER_HEAP_MIB;
  const semiSpaceMiB = process.env.BENCH_WORKER_SEMI_SPACE_MIB;
  const heapViaArgv = process.env.BENCH_HEAP_VIA === 'argv';
  const v8Flags = [
    ...(heapMiB ? [`--max-old-space-size=${heapMiB}`] : []),
    ...(semiSpaceMiB ? [`--max-semi-space-size=${semiSpaceMiB}`] : []),
  ];
  const nodeOptions = v8Flags.length > 0 ? { NODE_OPTIONS: v8Flags.join(' ') } : {};
  // BENCH_BUNDLE=start: the worker bundles its workflows at start, as before the build made the bundle
  // (worker/bundle.ts); without the stamp the build's bundle is not used.
  const bundledAtStart = process.env.BENCH_BUNDLE === 'start';
  if (bundledAtStart) rmSync(join(__dirname, '../workflow-bundle.json'), { force: true });
  // The cluster starts its processes itself: its flags go through NODE_OPTIONS whatever BENCH_HEAP_VIA says.
  const reflex = await (TOPOLOGY === 'cluster'
    ? launchCluster(root, configFile, sink.port, nodeOptions)
    : launchEmbedded(
        root,
        configFile,
        sink.port,
        heapViaArgv ? v8Flags : [],
        heapViaArgv ? {} : nodeOptions,
      ));
  const idle = reflex.workerPids.map((pid) => rssMiB(pid));
  const connection = await Connection.connect({ address: reflex.temporalAddress });
  const [playbook] = loadPlaybooks(playbooksDir);
  const contacts = resolveContacts(
    configSchema.parse({ contacts: { onCall: ['oncall@bench.example'] } }).contacts,
  );
  // Incidents start the way Reflex starts them: through the gateway (one per alert id).
  const gateway = new IncidentGateway({
    client: new Client({ connection }),
    taskQueue: 'reflex',
    contacts,
    organisation: { name: 'Bench', publicUrl: 'http://127.0.0.1' },
  });
  const started = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < COUNT) {
        const i = next++;
        const alert = fromGeneric(
          'bench',
          { id: `m${i}`, type: 'memory-bench', title: 'bench', severity: 'high' },
          new Date(),
        );
        ids[i] = (await gateway.open(playbook!, alert, false)).incidentId;
      }
    }),
  );
  // Wait until every incident is waiting for approval (its approval request was mailed).
  const { Client: Pg } = await import('pg');
  const pg = new Pg({ connectionString: reflex.databaseUrl });
  await pg.connect();
  for (;;) {
    const { rows } = await pg.query<{ n: string }>(
      "select count(*) as n from audit_events where kind = 'approval.requested'",
    );
    if (Number(rows[0]!.n) >= COUNT) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 5000));
  const workersRssMiB = reflex.workerPids.map((pid) => rssMiB(pid));
  const workerCpuSeconds = reflex.workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const serverRssMiB = Math.max(...reflex.serverPids.map((pid) => rssMiB(pid)));
  const temporalPidNow = reflex.temporalPid();
  const temporalRssMiB = temporalPidNow ? rssMiB(temporalPidNow) : undefined;
  // Decisions on incidents spread over the whole set: most are no longer in the worker's cache, so a
  // decision replays the incident's history first, as it would after hours of waiting.
  const links = new Map<string, string>();
  for (const mail of sink.list()) {
    const token = mail.text.match(/\/approve\/([A-Za-z0-9_-]+)/)?.[1];
    const incident = mail.headers['x-reflex-incident'];
    if (token && incident) links.set(incident, `${reflex.serverUrl}/approve/${token}`);
  }
  const latencies: number[] = [];
  const opened: number[] = [];
  for (let d = 0; d < DECISIONS; d++) {
    const i = Math.floor((d * COUNT) / DECISIONS);
    const link = links.get(ids[i]!);
    if (!link) throw new Error(`no approval e-mail for ${ids[i]}`);
    const t0 = performance.now();
    const page = await openLink(link);
    if (!page.csrf) throw new Error(`the approval page for ${ids[i]} has no form (${page.status})`);
    const t1 = performance.now();
    const answer = await post(link, { decision: 'approve', csrf: page.csrf }, page.cookie);
    if (answer.status !== 200) throw new Error(`approving ${ids[i]} answered ${answer.status}`);
    latencies.push(performance.now() - t1);
    opened.push(t1 - t0);
  }
  const result = {
    incidents: COUNT,
    secondsToAllWaiting: Math.round(seconds),
    workerBundle: bundledAtStart ? 'bundled at start' : 'prebuilt by the build',
    workerReadySeconds: reflex.workerReadySeconds,
    /** The largest worker's (the cluster has two). */
    workerRssIdleMiB: Math.max(...idle),
    workerRssMiB: Math.max(...workersRssMiB),
    ...(workersRssMiB.length > 1 ? { workersRssMiB } : {}),
    workerCpuSecondsToAllWaiting: Math.round(workerCpuSeconds * 10) / 10,
    serverRssMiB,
    temporalRssMiB,
    decisions: DECISIONS,
    linkOpenedP99Ms: Math.round(percentile(opened, 99)),
    decisionP50Ms: Math.round(percentile(latencies, 50)),
    decisionP99Ms: Math.round(percentile(latencies, 99)),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const settings = [
    process.env.BENCH_WORKER_HEAP_MIB ? `BENCH_WORKER_HEAP_MIB=${process.env.BENCH_WORKER_HEAP_MIB}` : '',
    semiSpaceMiB ? `BENCH_WORKER_SEMI_SPACE_MIB=${semiSpaceMiB}` : '',
    process.env.BENCH_MAX_CACHED ? `BENCH_MAX_CACHED=${process.env.BENCH_MAX_CACHED}` : '',
    bundledAtStart ? 'BENCH_BUNDLE=start' : '',
    heapViaArgv ? 'BENCH_HEAP_VIA=argv' : '',
    TOPOLOGY === 'cluster' ? 'BENCH_TOPOLOGY=cluster' : '',
  ].filter(Boolean);
  const waiting = {
    command: [
      ...settings,
      `BENCH_INCIDENTS=${COUNT}`,
      `BENCH_DECISIONS=${DECISIONS}`,
      'npm run bench:memory',
    ].join(' '),
    at: new Date().toISOString(),
    machine: machine(),
    topology:
      TOPOLOGY === 'cluster'
        ? 'cluster: two reflex worker and two reflex server processes, Temporal server 1.29.1 on PostgreSQL, the audit store on the same PostgreSQL; decisions through the e-mailed links'
        : 'reflex worker and reflex server processes, Temporal dev server (in memory), PostgreSQL audit store; decisions through the e-mailed links',
    ...result,
  };
  const earlier = (readResults().waiting ?? {}) as { cluster?: unknown };
  saveResult(
    'waiting',
    TOPOLOGY === 'cluster' ? { ...earlier, cluster: waiting } : { ...waiting, cluster: earlier.cluster },
  );
  await pg.end();
  await connection.close();
  await reflex.stop();
  await sink.close();
  rmSync(root, { recursive: true, force: true });
}

interface RunningReflex {
  temporalAddress: string;
  databaseUrl: string;
  serverUrl: string;
  workerPids: number[];
  serverPids: number[];
  temporalPid(): number | undefined;
  /** From spawning the worker to its /readyz (embedded only: the cluster starts its workers itself). */
  workerReadySeconds?: number;
  stop(): Promise<void>;
}

/** A Temporal dev server (in memory), PostgreSQL, one `reflex worker` and one `reflex server`. */
async function launchEmbedded(
  root: string,
  configFile: string,
  smtpPort: number,
  heap: string[],
  workerNodeOptions: NodeJS.ProcessEnv,
): Promise<RunningReflex> {
  const cliPath = await ensureTemporalCli(join(__dirname, '../../.tools'), log);
  const devServer = await startDevServer({ cliPath, log });
  const postgres = await startPostgres();
  const [workerPort, serverPort] = [await freePort(), await freePort()];
  const reflexEnv = (port: number, data: string) => ({
    ...process.env,
    REFLEX_CONFIG: configFile,
    TEMPORAL_ADDRESS: devServer.address,
    DATABASE_URL: postgres.url,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    REFLEX_DATA_DIR: join(root, data),
    PORT: String(port),
    LOG_LEVEL: 'warn',
  });
  const spawnedAt = performance.now();
  const worker = spawn(process.execPath, [...heap, join(__dirname, '../cli/main.js'), 'worker'], {
    env: { ...reflexEnv(workerPort, 'worker'), ...workerNodeOptions },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const server = spawn(process.execPath, [join(__dirname, '../cli/main.js'), 'server'], {
    env: reflexEnv(serverPort, 'server'),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let workerReadyAt = 0;
  for (const port of [workerPort, serverPort]) {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        if (port === workerPort) workerReadyAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    temporalAddress: devServer.address,
    databaseUrl: postgres.url,
    serverUrl: `http://127.0.0.1:${serverPort}`,
    workerPids: [worker.pid!],
    serverPids: [server.pid!],
    temporalPid: () => childNamed('temporal'),
    workerReadySeconds: Math.round((workerReadyAt - spawnedAt) / 100) / 10,
    async stop() {
      for (const child of [server, worker]) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      postgres.stop();
      await devServer.stop();
    },
  };
}

/**
 * The cluster topology (cluster/topology.ts): PostgreSQL, the Temporal server on it, two `reflex
 * worker` (with the heap flags, through NODE_OPTIONS as docker-compose.yml sets them) and two `reflex
 * server`, the audit store on the same PostgreSQL.
 */
async function launchCluster(
  root: string,
  configFile: string,
  smtpPort: number,
  workerNodeOptions: NodeJS.ProcessEnv,
): Promise<RunningReflex> {
  const dir = join(root, 'cluster');
  mkdirSync(dir);
  chmodSync(root, 0o711); // PostgreSQL runs as its own user below it
  chmodSync(dir, 0o711);
  const cluster = await startCluster({
    dir,
    config: configFile,
    cli: join(__dirname, '../cli/main.js'),
    // Both kinds get the worker's heap flags: a server under the same cap is not short of memory.
    env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, LOG_LEVEL: 'warn', ...workerNodeOptions },
  });
  const pids = (ps: Array<{ pid: number | undefined }>) => ps.map((p) => p.pid!);
  return {
    temporalAddress: cluster.temporalAddress,
    databaseUrl: cluster.databaseUrl,
    serverUrl: cluster.servers[0]!.url,
    workerPids: pids(cluster.workers),
    serverPids: pids(cluster.servers),
    temporalPid: () => cluster.temporal.pid,
    async stop() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runBench(main);
