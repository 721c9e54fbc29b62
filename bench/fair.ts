// The fair benchmark (issue 14, item 1, in part): webhook → first containment call for the embedded
// default, against a bare Temporal workflow making the same Graph call, at several rates. Every party is
// its own process — this load generator, `reflex start` (server and worker in one process, as the
// embedded default runs; it starts its own Temporal dev server as a child on a fresh SQLite file), the
// Graph fake, and for the baseline a dev server on a fresh SQLite file with the same pragmas and a bare
// worker. A fresh Temporal and a fresh Graph fake for every phase. Latency: from just before the webhook
// POST (or `workflow.start`) to the Graph fake's report that revokeSignInSessions arrived.
// Then a burst (alerts durably accepted per second) and log line → first containment call, each on a
// fresh `reflex start`. Run: npm run bench:fair (knobs: BENCH_RATES=5,20,50 BENCH_SECONDS=15
// BENCH_PLAYBOOK=revoke-only BENCH_BURST=2000 BENCH_LOG_RATE=5 BENCH_PARTS=steady,burst,logs; the
// watch part, BENCH_PARTS=watch with BENCH_WATCHES=300 BENCH_WATCH_EVERY=10 BENCH_WATCH_SECONDS=120).
// BENCH_TOPOLOGY=cluster measures the same on the cluster topology (cluster/topology.ts: a fresh
// PostgreSQL and Temporal server per phase, two `reflex server` taking alerts in turn and two
// `reflex worker`; the log lines read by whichever server holds the log triggers' lease), the baseline
// on a fresh cluster of its own. BENCH_PROFILE=<dir>: V8 CPU profiles of the Reflex processes.
// Each steady phase also reports the CPU per incident of each party (from /proc; a single process's
// split by thread, a cluster party's as a process tree), and the burst how busy each party was.
// BENCH_PG_STATEMENTS=1 (cluster): the burst also says which PostgreSQL statements it cost, by database
// (bench/pg-statements.ts).
// Writes the `fair` entry of bench-results.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../common/logger';
import { percentile } from './stats';
import { childNamed, cpuSeconds, cpuSecondsByThread, cpuSecondsOfTree } from './proc';
import { machine, readResults, runBench, saveResult } from './results';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { embeddedSqlitePragmas } from '../startup/temporal';
import { TOOLS_DIR } from '../startup/project';
import { startCluster } from '../cluster/topology';
import { statementLedger, type StatementLedger } from './pg-statements';
import { CLIENT_ID, CLIENT_SECRET, TENANT } from '../test/fakes/entra-fake';
import { freePort } from '../common/ports';
import { signedHeaders, TEST_SECRET } from '../test/helpers/reflex';

const RATES = (process.env.BENCH_RATES ?? '5,20,50').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PLAYBOOK = process.env.BENCH_PLAYBOOK ?? 'compromised-account';
/** embedded: `reflex start` and its SQLite dev server; cluster: cluster/topology.ts. */
const TOPOLOGY = process.env.BENCH_TOPOLOGY === 'cluster' ? 'cluster' : 'embedded';
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const LOG_RATE = Number(process.env.BENCH_LOG_RATE ?? 5);
/** BENCH_OPENINGS=<n>: the intake's own openings in flight (server.journal.openingsInFlight), for A/B runs. */
const JOURNAL = process.env.BENCH_OPENINGS
  ? `, journal: { openingsInFlight: ${Number(process.env.BENCH_OPENINGS)} }`
  : '';
/**
 * The watch part (not run by default): BENCH_WATCHES incidents, each watching its account's sign-ins
 * every BENCH_WATCH_EVERY seconds, and the CPU that costs over BENCH_WATCH_SECONDS.
 */
const WATCHES = Number(process.env.BENCH_WATCHES ?? 300);
const WATCH_EVERY = Number(process.env.BENCH_WATCH_EVERY ?? 10);
const WATCH_SECONDS = Number(process.env.BENCH_WATCH_SECONDS ?? 120);
/** The watch part's alerts a second, the idle time measured before them, the pause after them. */
const [WATCH_RATE, WATCH_IDLE_S, WATCH_SETTLE_S] = [20, 30, 15];
/** Long enough that every watch outlasts the measurement, with a minute to spare. */
const watchWindowSeconds = () => Math.ceil(WATCHES / WATCH_RATE) + WATCH_SETTLE_S + WATCH_SECONDS + 60;
/** Which parts run: the steady rates, the burst, the log lines, the sign-in watch (`watch`). */
/** On the cluster: which PostgreSQL statements the burst costs (pg_stat_statements). */
const PG_STATEMENTS = TOPOLOGY === 'cluster' && process.env.BENCH_PG_STATEMENTS === '1';
const PARTS = new Set((process.env.BENCH_PARTS ?? 'steady,burst,logs').split(','));
const WARM = 20;
/** BENCH_PROFILE=<dir>: V8 flags for a CPU profile of each Reflex process, written there when it stops. */
const PROFILE = process.env.BENCH_PROFILE
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
  : [];
const ROOT = join(__dirname, '../..');
const log = createLogger({ level: 'warn' });
const env = {
  ...process.env,
  NODE_EXTRA_CA_CERTS: join(ROOT, 'test/fixtures/tls/ca.pem'),
  REFLEX_TLS_DIR: join(ROOT, 'test/fixtures/tls'),
};

/** A process whose CPU is counted (its own threads only), or the trees under some processes. */
type Party = number | { trees: number[] };

const cpuSecondsOf = (party: Party) =>
  typeof party === 'number'
    ? cpuSeconds(party)
    : party.trees.reduce((a, pid) => a + cpuSecondsOfTree(pid), 0);

/**
 * The CPU a party's processes used over a steady phase, per incident: on this shared host a figure
 * that other load barely moves, where latency does (bench/proc.ts). On the cluster each party is a
 * process tree: the two servers, the two workers, the Temporal server, PostgreSQL with its backends.
 */
async function cpuPerIncident<T>(
  parties: Readonly<Record<string, Party | undefined>>,
  count: number,
  phase: () => Promise<T>,
) {
  const named = Object.entries(parties).filter((p): p is [string, Party] => p[1] !== undefined);
  const used = () => named.map(([, party]) => cpuSecondsOf(party));
  // Threads of single processes only (a process tree's are its processes').
  const threads = () =>
    named.map(([, party]) => (typeof party === 'number' ? cpuSecondsByThread(party) : {}));
  const before = used();
  const threadsBefore = threads();
  const result = await phase();
  await new Promise((r) => setTimeout(r, 2000)); // the last incidents' remaining work
  if (named.length === 0) return { result, cpuMsPerIncident: undefined, cpuMsByProcess: undefined };
  const threadsAfter = threads();
  const ms = (seconds: number) => Math.round((seconds * 10_000) / count) / 10;
  const perIncident = used().map((s, i) => ms(s - before[i]!));
  return {
    result,
    cpuMsPerIncident: Math.round(perIncident.reduce((a, b) => a + b, 0) * 10) / 10,
    cpuMsByProcess: Object.fromEntries(named.map(([name], i) => [name, perIncident[i]])),
    cpuMsByThread: Object.fromEntries(
      named.flatMap(([name, party], i) =>
        typeof party === 'number'
          ? [[name, byThread(threadsBefore[i]!, threadsAfter[i]!, perIncident[i]!, ms)]]
          : [],
      ),
    ),
  };
}

/**
 * A process's CPU per incident by thread kind; what its threads that ended during the phase used (the
 * rest of the process's figure: Node's per-call watchdog threads in a Temporal worker, for one) as
 * `(ended threads)`.
 */
function byThread(
  before: Record<string, number>,
  after: Record<string, number>,
  total: number,
  ms: (seconds: number) => number,
): Record<string, number> {
  const kinds = Object.keys(after)
    .map((kind) => [kind, ms(after[kind]! - (before[kind] ?? 0))] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  const ended = Math.round((total - kinds.reduce((a, [, v]) => a + v, 0)) * 10) / 10;
  return Object.fromEntries([...kinds, ...(ended > 0 ? [['(ended threads)', ended] as const] : [])]);
}

const stats = (
  values: number[],
  elapsedS: number,
  cpu: {
    cpuMsPerIncident?: number;
    cpuMsByProcess?: Record<string, number | undefined>;
    cpuMsByThread?: Record<string, Record<string, number>>;
  } = {},
) => ({
  ...cpu,
  n: values.length,
  p50Ms: Math.round(percentile(values, 50)),
  p95Ms: Math.round(percentile(values, 95)),
  p99Ms: Math.round(percentile(values, 99)),
  completedPerSec: Math.round((values.length / elapsedS) * 10) / 10,
});

/**
 * The load generator's callback: the Graph fake reports each revoke here, and once a second how many
 * sign-in log reads it has answered (`/reads/<n>`).
 */
async function callbacks() {
  const seen = new Map<string, number>();
  const waiting = new Map<string, (t: number) => void>();
  let reads = 0;
  const http = createServer((req, res) => {
    if (req.url!.startsWith('/reads/')) {
      reads = Math.max(reads, Number(req.url!.slice('/reads/'.length)) || 0);
      return void res.end();
    }
    const user = decodeURIComponent(req.url!.slice('/called/'.length));
    const now = performance.now();
    seen.set(user, now);
    waiting.get(user)?.(now);
    res.end();
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(http.address() as { port: number }).port}`,
    arrived: (user: string) =>
      new Promise<number>((done) => (seen.has(user) ? done(seen.get(user)!) : waiting.set(user, done))),
    /** Sign-in log reads the Graph fake had answered at its last report (at most a second old). */
    reads: () => reads,
    close: () => new Promise<void>((done) => http.close(() => done())),
  };
}

/** Spawns a node script and resolves with its first line of output. */
function spawnNode(
  args: string[],
  extra: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, {
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done, fail) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        done({ child, line: out.slice(0, nl).trim() });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${args[0]} exited (${code}) before it was ready`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** `rate` calls a second for SECONDS; resolves with the latencies and the elapsed seconds. */
function steady(rate: number, call: (i: number) => Promise<number>) {
  return steadyAt(rate, rate * SECONDS, call);
}

/** `count` calls at `rate` a second. */
async function steadyAt(rate: number, count: number, call: (i: number) => Promise<number>) {
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(call(i).then((ms) => void latencies.push(ms)));
  }
  await Promise.all(pending);
  return { latencies, elapsed: (performance.now() - started) / 1000 };
}

interface RunningReflex {
  /** Where alerts go: one server, or each of the cluster's servers in turn. */
  urls: string[];
  /** The processes whose CPU is counted, by name (looked up once ready). */
  parties(): Record<string, Party | undefined>;
  dir: string;
  cb: Awaited<ReturnType<typeof callbacks>>;
  /** The cluster's PostgreSQL statements (BENCH_PG_STATEMENTS=1). */
  statements?: StatementLedger;
  stop(): Promise<void>;
}

/** A playbook for risky-sign-in alerts: sign the account out, then the steps in `more`. */
const signOutPlaybook = (id: string, title: string, more: string[] = []) =>
  [
    `id: ${id}`,
    'version: 1',
    `title: ${title}`,
    `description: ${title}, for the benchmark.`,
    'triggers:',
    '  - types: [risky-sign-in]',
    'steps:',
    '  - id: revoke-sessions',
    '    description: Sign the account out',
    '    action: entra.revokeSessions',
    "    with: { user: '{{entities.users.0}}' }",
    ...more,
    '',
  ].join('\n');

/** Playbooks the benchmark writes itself, by id (any other id is a shipped playbook). */
const OWN_PLAYBOOKS: Record<string, () => string> = {
  /** The first containment call alone: the intake path. */
  'revoke-only': () => signOutPlaybook('revoke-only', 'The first containment call alone'),
  /** The call, then the shipped playbook's sign-in watch at WATCH_EVERY, for the whole watch part. */
  'bench-watch': () =>
    signOutPlaybook('bench-watch', 'The first containment call, then the sign-in watch', [
      '  - id: verify-sign-out',
      '    description: Watch the sign-ins',
      '    verify: sign-out',
      "    user: '{{entities.users.0}}'",
      '    after: revoke-sessions',
      `    window: ${watchWindowSeconds()}s`,
      `    every: ${WATCH_EVERY}s`,
    ]),
};

/** reflex.yaml's lines every topology shares: contacts, Graph (the fake at `graph`), the source, playbooks. */
function reflexSettings(dir: string, graph: string, playbook: string): string[] {
  let playbooks = `  shipped: [${playbook}]\n`;
  const own = OWN_PLAYBOOKS[playbook];
  if (own) {
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(join(dir, 'playbooks', `${playbook}.yaml`), own());
    playbooks = `  shipped: false\n  dirs: [${join(dir, 'playbooks')}]\n`;
  }
  return [
    `contacts: { onCall: [oncall@bench.example, second@bench.example], dpo: dpo@bench.example }`,
    `entra: { tenantId: ${TENANT}, clientId: ${CLIENT_ID}, clientSecret: ${CLIENT_SECRET}, authorityHost: '${graph}', graphBaseUrl: '${graph}' }`,
    `sources:\n  - name: siem\n    format: generic\n    auth: { scheme: standard-webhooks, secrets: ['${TEST_SECRET}'] }\n    ratePerMinute: 1000000`,
    `playbooks:\n${playbooks}`,
  ];
}

/**
 * `reflex start` on a fresh data directory (its own SQLite dev server), with a fresh Graph fake that
 * knows `users` accounts u<i>@bench.example; `extra` adds lines to its reflex.yaml.
 */
async function launchReflex(
  users: number,
  extra: (dir: string) => string[] = () => [],
  playbook = PLAYBOOK,
): Promise<RunningReflex> {
  const cb = await callbacks();
  const fake = await spawnNode([join(__dirname, 'graph-fake-process.js'), cb.url, String(users)]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-reflex-'));
  const [port, smtpPort] = [await freePort(), await freePort()];
  const config = join(dir, 'reflex.yaml');
  writeFileSync(
    config,
    [
      `dataDir: ${join(dir, 'data')}`,
      `server: { port: ${port}, readinessCheckMinutes: 0${JOURNAL} }`,
      `temporal:\n  devServer: { port: 0, uiPort: 0 }`,
      `mail:\n  demoMailbox: { smtpPort: ${smtpPort} }`,
      ...reflexSettings(dir, fake.line, playbook),
      ...extra(dir),
    ].join('\n'),
  );
  const reflex = spawn(
    process.execPath,
    [...PROFILE, join(__dirname, '../cli/main.js'), 'start', '--config', config],
    {
      env: { ...env, TEMPORAL_ADDRESS: '', SMTP_URL: '', DATABASE_URL: '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 600 || reflex.exitCode !== null) throw new Error('reflex start did not become ready');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    urls: [url],
    parties: () => ({ 'reflex start': reflex.pid, 'dev server': childNamed('temporal', reflex.pid) }),
    dir,
    cb,
    stop: async () => {
      await stop(reflex);
      await stop(fake.child);
      await cb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The cluster topology (cluster/topology.ts) on a fresh folder: PostgreSQL, the Temporal server, two
 * `reflex worker` and two `reflex server` processes; the Graph fake and the mail relay in processes of
 * their own.
 */
async function launchCluster(
  users: number,
  extra: (dir: string) => string[] = () => [],
  playbook = PLAYBOOK,
): Promise<RunningReflex> {
  const cb = await callbacks();
  const fake = await spawnNode([join(__dirname, 'graph-fake-process.js'), cb.url, String(users)]);
  const relay = await spawnNode([join(__dirname, 'mailbox-process.js')]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-cluster-'));
  chmodSync(dir, 0o711); // PostgreSQL runs as its own user below it
  const config = join(dir, 'reflex.yaml');
  writeFileSync(
    config,
    [
      `server: { readinessCheckMinutes: 0${JOURNAL} }`,
      ...reflexSettings(dir, fake.line, playbook),
      ...extra(dir),
    ].join('\n'),
  );
  const cluster = await startCluster({
    dir,
    config,
    cli: join(__dirname, '../cli/main.js'),
    env: {
      ...env,
      SMTP_URL: `smtp://127.0.0.1:${relay.line}`,
      // The cluster starts each server and worker itself: the profile's flags go in their environment.
      ...(PROFILE.length > 0 ? { NODE_OPTIONS: PROFILE.join(' ') } : {}),
    },
    postgresStatements: PG_STATEMENTS,
  });
  const statements = PG_STATEMENTS ? await statementLedger(cluster.postgres.url('postgres')) : undefined;
  return {
    urls: cluster.servers.map((s) => s.url),
    statements,
    parties: () =>
      clusterParties(cluster, {
        'reflex servers': { trees: cluster.servers.map((s) => s.pid!) },
        'reflex workers': { trees: cluster.workers.map((w) => w.pid!) },
      }),
    dir,
    cb,
    stop: async () => {
      await statements?.close();
      await cluster.stop();
      await stop(relay.child);
      await stop(fake.child);
      await cb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The cluster's Temporal server and PostgreSQL (with its backends), beside `reflex`'s own parties. */
const clusterParties = (
  cluster: Awaited<ReturnType<typeof startCluster>>,
  reflex: Record<string, Party> = {},
): Record<string, Party | undefined> => ({
  ...reflex,
  'temporal server': cluster.temporal.pid === undefined ? undefined : { trees: [cluster.temporal.pid] },
  postgresql:
    cluster.postgres.process.pid === undefined ? undefined : { trees: [cluster.postgres.process.pid] },
});

const launch = (users: number, extra?: (dir: string) => string[], playbook?: string) =>
  TOPOLOGY === 'cluster' ? launchCluster(users, extra, playbook) : launchReflex(users, extra, playbook);

/** Posts a signed alert for `user`; resolves with the answer's status. */
async function postAlert(url: string, user: string): Promise<number> {
  const body = JSON.stringify({
    id: randomUUID(),
    type: 'risky-sign-in',
    title: 'bench',
    severity: 'high',
    entities: { users: [user] },
  });
  const response = await fetch(`${url}/hooks/siem`, { method: 'POST', headers: signedHeaders(body), body });
  await response.arrayBuffer();
  return response.status;
}

/** Alert `i` (for u<i>, a new incident): milliseconds from the POST to its first containment call. */
async function alertToAction(reflex: RunningReflex, i: number): Promise<number> {
  const user = `u${i}@bench.example`;
  const came = reflex.cb.arrived(user);
  const t0 = performance.now();
  const status = await postAlert(reflex.urls[i % reflex.urls.length]!, user);
  if (status !== 202) throw new Error(`webhook answered ${status}`);
  return (await came) - t0;
}

async function reflexPhase(rate: number) {
  const reflex = await launch(WARM + rate * SECONDS);
  const call = (i: number) => alertToAction(reflex, i);
  for (let i = 0; i < WARM; i++) await call(i);
  const { result, ...cpu } = await cpuPerIncident(reflex.parties(), rate * SECONDS, () =>
    steady(rate, (i) => call(WARM + i)),
  );
  await reflex.stop();
  return stats(result.latencies, result.elapsed, cpu);
}

/**
 * Alerts durably accepted per second: BURST alerts, each a new incident, from 64 senders at once; an
 * alert counts when its 202 arrived (sent once the alert is journalled). Refusals (429/503, which a
 * SIEM retries) are counted, not retried. Then: how long until every accepted alert's first
 * containment call reached the Graph fake (the journal drained into Temporal), at most 5 minutes.
 */
async function burstPhase() {
  const reflex = await launch(BURST);
  const named = Object.entries(reflex.parties()).filter((p): p is [string, Party] => p[1] !== undefined);
  const used = () => named.map(([, party]) => cpuSecondsOf(party));
  let next = 0;
  const statuses = new Map<number, number>();
  const contained: Promise<number>[] = [];
  await reflex.statements?.reset();
  const cpuAtStart = used();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async (_, sender) => {
      while (next < BURST) {
        const url = reflex.urls[sender % reflex.urls.length]!;
        const user = `u${next++}@bench.example`;
        const came = reflex.cb.arrived(user);
        const status = await postAlert(url, user);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) contained.push(came);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpuAccepted = used();
  const statementsAccepting = await reflex.statements?.read();
  const all = await Promise.race([
    Promise.all(contained),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 300_000)),
  ]);
  const cpuContained = used();
  const containedWall = (performance.now() - t0) / 1000;
  const statementsUntilContained = await reflex.statements?.read(15);
  /** Each party's share of a core (1 = one core busy) between the burst's start and `at`. */
  const cores = (at: number[], wall: number) =>
    Object.fromEntries(
      named.map(([name], i) => [name, Math.round(((at[i]! - cpuAtStart[i]!) / wall) * 100) / 100]),
    );
  // The verify step's looks made while the storm was being contained (the shipped playbook's watch).
  const signInReads = reflex.cb.reads();
  await reflex.stop();
  const accepted = statuses.get(202) ?? 0;
  const containedSeconds = all ? (Math.max(...all) - t0) / 1000 : undefined;
  return {
    alerts: BURST,
    accepted,
    statuses: Object.fromEntries(statuses),
    seconds: Math.round(seconds * 10) / 10,
    acceptedPerSec: Math.round(accepted / seconds),
    /** From the first alert to the last accepted alert's first containment call (undefined: > 5 min). */
    allContainedSeconds: containedSeconds === undefined ? undefined : Math.round(containedSeconds * 10) / 10,
    containedPerSec: containedSeconds === undefined ? undefined : Math.round(accepted / containedSeconds),
    /** Sign-in log reads until the last containment (or the 5 minutes): the sign-in watch's looks. */
    signInReads,
    /**
     * How busy each party was, in cores: while the alerts were being accepted, and from the first
     * alert until the last containment (or the 5 minutes). On the cluster, what 500/s would need.
     */
    coresAccepting: cores(cpuAccepted, seconds),
    coresUntilContained: cores(cpuContained, containedWall),
    /** PostgreSQL's statements, commits and log syncs, in the same two windows (BENCH_PG_STATEMENTS=1). */
    ...(statementsAccepting
      ? { postgres: { accepting: statementsAccepting, untilContained: statementsUntilContained } }
      : {}),
  };
}

/**
 * What the sign-in watch costs (a verify step): WATCHES incidents of the bench-watch playbook (the
 * call, then a watch looking every WATCH_EVERY s) started at WATCH_RATE a second; once all are
 * contained and WATCH_SETTLE_S more have passed, the CPU the Reflex processes use over WATCH_SECONDS,
 * less what they used idle (WATCH_IDLE_S before the first alert), per look the Graph fake answered in
 * that time. A steady rate, so CPU, not a storm's noisy clock, tells two designs apart.
 */
async function watchPhase() {
  const reflex = await launch(WATCHES, undefined, 'bench-watch');
  const named = Object.entries(reflex.parties()).filter((p): p is [string, Party] => p[1] !== undefined);
  const used = () => named.map(([, party]) => cpuSecondsOf(party));
  const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  let before = used();
  let t0 = performance.now();
  await pause(WATCH_IDLE_S);
  const idle = used().map((s, i) => (s - before[i]!) / ((performance.now() - t0) / 1000));
  await steadyAt(WATCH_RATE, WATCHES, (i) => alertToAction(reflex, i));
  await pause(WATCH_SETTLE_S);
  const firstReads = reflex.cb.reads();
  before = used();
  t0 = performance.now();
  await pause(WATCH_SECONDS);
  const seconds = (performance.now() - t0) / 1000;
  const busy = used().map((s, i) => s - before[i]!);
  const looks = reflex.cb.reads() - firstReads;
  await reflex.stop();
  const round = (n: number) => Math.round(n * 10) / 10;
  const perLook = busy.map((s, i) => (looks > 0 ? ((s - idle[i]! * seconds) * 1000) / looks : NaN));
  return {
    watches: WATCHES,
    everySeconds: WATCH_EVERY,
    seconds: Math.round(seconds),
    looks,
    /** The looks a punctual watch would have made in that time. */
    expectedLooks: Math.round((WATCHES * seconds) / WATCH_EVERY),
    cpuMsPerLook: named.length > 0 ? round(perLook.reduce((a, b) => a + b, 0)) : undefined,
    cpuMsPerLookByProcess: Object.fromEntries(named.map(([name], i) => [name, round(perLook[i]!)])),
    /** Each process's CPU while watching and while idle, in % of one core. */
    cpuPercent: Object.fromEntries(
      named.map(([name], i) => [
        name,
        { watching: round((busy[i]! / seconds) * 100), idle: round(idle[i]! * 100) },
      ]),
    ),
  };
}

/**
 * Log line → first containment call: a rule that fires on one record, fed LOG_RATE lines a second for
 * SECONDS through a JSON-lines file (read every `pollMs`, the default 1000) and then through syslog over
 * TCP. The clock runs from just before the line is written to the Graph fake's report.
 */
async function logPhase() {
  const count = LOG_RATE * SECONDS;
  const syslogPort = await freePort();
  // On the cluster both servers run the same log triggers; the one holding the lease reads them.
  const reflex = await launch(2 * (WARM + count), (dir) => {
    writeFileSync(
      join(dir, 'bench-rule.yaml'),
      [
        'id: bench-risky',
        'version: 1',
        'title: A benchmark line',
        'description: One line names a risky sign-in.',
        'kind: match',
        'kinds: [bench]',
        'where: { event: { equals: risky } }',
        'alert:',
        '  type: risky-sign-in',
        "  title: 'Risky sign-in for {{user}}'",
        '  severity: high',
        "  entities: { users: ['{{user}}'] }",
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'bench.jsonl'), '');
    return [
      'logs:',
      '  shippedRules: false',
      `  rules: [${join(dir, 'bench-rule.yaml')}]`,
      `  files: [{ name: bench-file, path: ${join(dir, 'bench.jsonl')}, format: jsonl, kind: bench }]`,
      `  syslog: { name: bench-syslog, host: 127.0.0.1, tcpPort: ${syslogPort}, kind: bench }`,
    ];
  });
  const line = (user: string) => JSON.stringify({ event: 'risky', user, time: new Date().toISOString() });
  const measure = async (write: (user: string) => void, offset: number) => {
    const call = async (i: number) => {
      const user = `u${offset + i}@bench.example`;
      const came = reflex.cb.arrived(user);
      const t0 = performance.now();
      write(user);
      return (await came) - t0;
    };
    for (let i = 0; i < WARM; i++) await call(i);
    const { latencies, elapsed } = await steadyAt(LOG_RATE, count, (i) => call(WARM + i));
    const { p50Ms, p95Ms, p99Ms, n } = stats(latencies, elapsed);
    return { n, p50Ms, p95Ms, p99Ms };
  };
  const file = join(reflex.dir, 'bench.jsonl');
  const fromFile = await measure((user) => appendFileSync(file, `${line(user)}\n`), 0);
  const socket = await new Promise<Socket>((done, fail) => {
    const s = connect(syslogPort, '127.0.0.1', () => done(s));
    s.once('error', fail);
  });
  const fromSyslog = await measure(
    (user) => socket.write(`<134>1 ${new Date().toISOString()} bench reflex-bench - - - ${line(user)}\n`),
    WARM + count,
  );
  socket.end();
  await reflex.stop();
  return { rate: LOG_RATE, file: { pollMs: 1000, ...fromFile }, syslogTcp: fromSyslog };
}

/**
 * A fresh Temporal of the topology's kind with nothing of Reflex on it: a dev server on a SQLite file
 * with the embedded default's pragmas, or the cluster's PostgreSQL and Temporal server.
 */
async function bareTemporal(
  cliPath: string,
): Promise<{ address: string; parties?: Record<string, Party | undefined>; stop(): Promise<void> }> {
  if (TOPOLOGY === 'cluster') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-fair-bare-cluster-'));
    chmodSync(dir, 0o711);
    writeFileSync(join(dir, 'reflex.yaml'), '');
    const cluster = await startCluster({ dir, config: join(dir, 'reflex.yaml'), workers: 0, servers: 0 });
    return {
      address: cluster.temporalAddress,
      parties: clusterParties(cluster),
      stop: async () => {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-bare-'));
  const devServer = await startDevServer({
    cliPath,
    dbFile: join(dir, 'temporal.sqlite'),
    sqlitePragmas: embeddedSqlitePragmas('full'),
    log,
  });
  return {
    address: devServer.address,
    stop: async () => {
      await devServer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function barePhase(rate: number, cliPath: string) {
  const cb = await callbacks();
  const users = WARM + rate * SECONDS;
  const fake = await spawnNode([join(__dirname, 'graph-fake-process.js'), cb.url, String(users)]);
  const server = await bareTemporal(cliPath);
  const taskQueue = 'bench-fair-bare';
  const worker = await spawnNode([
    join(__dirname, 'bare-graph-worker.js'),
    server.address,
    taskQueue,
    fake.line,
  ]);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const call = async (i: number) => {
    const user = `u${i}@bench.example`;
    const came = cb.arrived(user);
    const t0 = performance.now();
    await client.workflow.start('bareRevoke', { workflowId: `bare-${i}`, taskQueue, args: [user] });
    return (await came) - t0;
  };
  for (let i = 0; i < WARM; i++) await call(i);
  // The bare worker and its dev server (this process's child named temporal), or the cluster's
  // Temporal server and PostgreSQL.
  const parties: Record<string, Party | undefined> = {
    'bare worker': worker.child.pid,
    ...(server.parties ?? { 'dev server': childNamed('temporal') }),
  };
  const { result, ...cpu } = await cpuPerIncident(parties, rate * SECONDS, () =>
    steady(rate, (i) => call(WARM + i)),
  );
  await stop(worker.child);
  await connection.close();
  await server.stop();
  await stop(fake.child);
  await cb.close();
  return stats(result.latencies, result.elapsed, cpu);
}

async function main(): Promise<void> {
  const cliPath = await ensureTemporalCli(TOOLS_DIR, log, process.env);
  const results: Array<Record<string, unknown>> = [];
  for (const rate of PARTS.has('steady') ? RATES : []) {
    const bare = await barePhase(rate, cliPath);
    const reflex = await reflexPhase(rate);
    const result = {
      rate,
      topology:
        TOPOLOGY === 'cluster'
          ? 'cluster (2 reflex servers, 2 reflex workers, Temporal server 1.29.1 on PostgreSQL) vs bare worker on a fresh cluster'
          : 'embedded default (reflex start + its SQLite dev server) vs bare worker on the same kind of server',
      webhookToAction: reflex,
      bareTemporal: bare,
      ratioP50: Math.round((reflex.p50Ms / bare.p50Ms) * 100) / 100,
      ratioP95: Math.round((reflex.p95Ms / bare.p95Ms) * 100) / 100,
      ratioP99: Math.round((reflex.p99Ms / bare.p99Ms) * 100) / 100,
      ratioCpu:
        reflex.cpuMsPerIncident && bare.cpuMsPerIncident
          ? Math.round((reflex.cpuMsPerIncident / bare.cpuMsPerIncident) * 100) / 100
          : undefined,
    };
    results.push(result);
    console.log(JSON.stringify(result));
  }
  const burst = PARTS.has('burst') ? await burstPhase() : undefined;
  if (burst) console.log(JSON.stringify({ burst }));
  const logs = PARTS.has('logs') ? await logPhase() : undefined;
  if (logs) console.log(JSON.stringify({ logs }));
  const watch = PARTS.has('watch') ? await watchPhase() : undefined;
  if (watch) console.log(JSON.stringify({ watch }));
  const holds = (key: 'webhookToAction' | 'bareTemporal') =>
    Math.max(
      0,
      ...results.filter((r) => (r[key] as { p99Ms: number }).p99Ms < 1000).map((r) => r.rate as number),
    );
  const previous = readResults();
  // The parts not run this time keep their last figures.
  const key = TOPOLOGY === 'cluster' ? `cluster:${PLAYBOOK}` : PLAYBOOK;
  const command = `BENCH_TOPOLOGY=${TOPOLOGY} BENCH_RATES=${RATES.join(',')} BENCH_SECONDS=${SECONDS} BENCH_PLAYBOOK=${PLAYBOOK} BENCH_BURST=${BURST} BENCH_LOG_RATE=${LOG_RATE}${PARTS.has('watch') ? ` BENCH_WATCHES=${WATCHES} BENCH_WATCH_EVERY=${WATCH_EVERY} BENCH_WATCH_SECONDS=${WATCH_SECONDS}` : ''} BENCH_PARTS=${[...PARTS].join(',')}${PG_STATEMENTS ? ' BENCH_PG_STATEMENTS=1' : ''} npm run bench:fair`;
  const before = ((previous.fair as Record<string, Record<string, unknown>> | undefined) ?? {})[key] ?? {};
  // One entry per playbook and topology measured: the shipped playbook and revoke-only (the
  // intake path alone) on the embedded default, `cluster:<playbook>` on the cluster.
  saveResult('fair', {
    ...((previous.fair as Record<string, unknown> | undefined) ?? {}),
    [key]: {
      ...before,
      command,
      at: new Date().toISOString(),
      // Which command (and when) produced each part's figures: parts not run keep theirs.
      parts: {
        ...((before.parts as Record<string, unknown> | undefined) ?? {}),
        ...Object.fromEntries([...PARTS].map((part) => [part, { command, at: new Date().toISOString() }])),
      },
      machine: machine(),
      playbook: PLAYBOOK,
      topology: TOPOLOGY,
      ...(results.length > 0
        ? {
            highestRateUnder1sP99: { reflex: holds('webhookToAction'), bare: holds('bareTemporal') },
            results,
          }
        : {}),
      ...(burst ? { sustainedAlertsPerSec: burst.acceptedPerSec, burst } : {}),
      ...(watch ? { watch } : {}),
      ...(logs
        ? {
            logLineToAction: {
              p50Ms: logs.syslogTcp.p50Ms,
              p99Ms: logs.syslogTcp.p99Ms,
              via: 'syslog over TCP',
            },
            logs,
          }
        : {}),
    },
  });
}

runBench(main);
