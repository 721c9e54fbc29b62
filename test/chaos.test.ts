// The chaos suite (`npm run chaos` runs it larger; `npm test` at a moderate size): real processes
// killed with SIGKILL while alerts arrive, then started again. Senders retry as SIEMs do (same
// delivery id, until a 202 or a 409 that names the incident). Counted for each kill: incidents lost
// (must be 0: every alert's account is signed out and on-call is told), Graph mutations and e-mails
// duplicated (only what was in flight at the kill), and the time until Reflex was ready again.
// 1. The embedded default (`reflex start`: server, worker and the Temporal dev server on its SQLite
//    file): the whole process group killed, twice, and the dev server alone once (Reflex starts it
//    again on the same file).
// 2. The production split (`reflex server` and `reflex worker` on a shared Temporal and PostgreSQL):
//    the worker killed at random points across the incidents, the server killed while alerts arrive.
// 3. SMTP down for a while: the notifications arrive after it recovers, their retries on the record.
// 4. A Graph 429 storm with Retry-After: the wait honoured by every incident, no call to Graph during
//    it, no retry storm.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DemoMailbox } from '../mail/demo-mailbox';
import { freshDatabaseUrl } from './helpers/postgres';
import { openDb } from '../storage/db';
import { freePort } from './helpers/ports';
import { TEST_SECRET } from './helpers/reflex';
import { configText, outcome, readyAt, setting, storm, until } from './helpers/chaos';

const CLI = join(__dirname, '../dist/cli/main.js');
const INCIDENTS = Number(process.env.CHAOS_INCIDENTS ?? 24);
const RATE = Number(process.env.CHAOS_RATE ?? 3); // alerts a second
const RESULTS = join(__dirname, '../test-artifacts/chaos.json');
const figures: Record<string, unknown> = {};

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.pid) killGroup(child);
  mkdirSync(join(RESULTS, '..'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify({ incidents: INCIDENTS, rate: RATE, ...figures }, null, 2)}\n`);
});

/** The phases of a start, from the process's `Reflex is up` log line (JSON lines). */
function startupPhases(output: string): Record<string, number> | undefined {
  const line = output.split('\n').find((l) => l.includes('"Reflex is up"'));
  return line ? (JSON.parse(line) as { startupMs?: Record<string, number> }).startupMs : undefined;
}

/** SIGKILL for the child and everything it started (its own process group). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  // Its own process group, so a kill takes whatever it started (the embedded dev server) with it.
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output, exited: new Promise((done) => child.once('exit', done)) };
}

test(`embedded default: the whole reflex start process group killed twice, and Temporal alone once, while ${INCIDENTS} alerts arrive`, async () => {
  const { fake, relay, users, dir, config } = await setting('embedded', INCIDENTS);
  const port = await freePort();
  // Temporal's ports 0: each start draws free ones; a supervised restart of Temporal keeps them.
  writeFileSync(config, configText(`temporal:\n  devServer:\n    port: 0\n    uiPort: 0\n`, fake));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_DATA_DIR: dir,
    PORT: String(port),
    SIEM_SECRET: TEST_SECRET,
    TEMPORAL_CLI_PATH: process.env.REFLEX_TEST_TEMPORAL_CLI,
    TEMPORAL_ADDRESS: '',
    DATABASE_URL: '',
    SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    let reflex = run(['start', '--config', config], env);
    await until('the first start', () => readyAt(url));
    // The embedded server keeps its file in write-ahead-log mode (startup/temporal.ts).
    expect(existsSync(join(dir, 'temporal.sqlite-wal'))).toBe(true);
    const alerts = storm(() => url, users, RATE);
    const recoveries: Array<[string, number]> = [];
    /** Each restarted process's own account of its start (the `Reflex is up` line). */
    const startups: Array<Record<string, number> | undefined> = [];
    // At random moments while the alerts arrive: the whole process group twice, Temporal alone once.
    const storming = (INCIDENTS / RATE) * 1000;
    const began = Date.now();
    const kills = [
      ['reflex start', 0.1 + Math.random() * 0.2],
      ['Temporal dev server', 0.4 + Math.random() * 0.15],
      ['reflex start', 0.65 + Math.random() * 0.2],
    ] as const;
    for (const [victim, share] of kills) {
      await new Promise((r) => setTimeout(r, Math.max(0, began + share * storming - Date.now())));
      const killed = Date.now();
      if (victim === 'reflex start') {
        killGroup(reflex.child);
        await reflex.exited;
        reflex = run(['start', '--config', config], env);
      } else {
        // Only Temporal: Reflex starts it again on the same file, and its worker reconnects. Ready
        // again: /readyz answers 200 once the new dev server runs (a probe during the short outage
        // may itself wait for Temporal, up to its 3 s, and answer 200 without ever showing 503).
        const pidFile = join(dir, 'temporal.pid');
        const pid = Number(readFileSync(pidFile, 'utf8'));
        process.kill(pid, 'SIGKILL');
        await until('the dev server to be gone', () => (existsSync(`/proc/${pid}`) ? undefined : true));
        await until('Reflex to start the dev server again', () => {
          const now = Number(readFileSync(pidFile, 'utf8'));
          return now !== pid && existsSync(`/proc/${now}`) ? true : undefined;
        });
      }
      recoveries.push([victim, (await until('readiness after the kill', () => readyAt(url))) - killed]);
      if (victim === 'reflex start') startups.push(startupPhases(reflex.output()));
    }
    const accepted = await alerts.done;
    const result = await outcome(fake, relay, users, [...new Set(accepted.map((a) => a.incidentId))]);
    figures.embedded = {
      kills: kills.map(([victim]) => victim),
      ...result,
      readyAgainMs: recoveries,
      startupMs: startups,
      retriesBySenders: accepted.reduce((n, a) => n + a.attempts - 1, 0),
    };
    expect(result.incidentsLost).toBe(0);
    // Only what was in flight at a kill can run twice.
    expect(result.graphMutationsDuplicated).toBeLessThanOrEqual(INCIDENTS);
    reflex.child.kill('SIGTERM');
    await reflex.exited;
  } finally {
    await fake.stop();
    await relay.close();
  }
}, 600_000);

test(`production split: the worker killed at random points and the server killed while ${INCIDENTS} alerts arrive`, async () => {
  const { fake, relay, users, dir, config } = await setting('split', INCIDENTS);
  writeFileSync(config, configText('', fake));
  const [serverPort, workerPort] = await Promise.all([freePort(), freePort()]);
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_DATA_DIR: dir,
    SIEM_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
    DATABASE_URL: await freshDatabaseUrl('chaos'),
    SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
  };
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const worker = () => run(['worker', '--config', config], { ...common, PORT: String(workerPort) });
  const server = () => run(['server', '--config', config], { ...common, PORT: String(serverPort) });
  try {
    let w = worker();
    let s = server();
    await Promise.all([
      until('the worker', () => readyAt(workerUrl)),
      until('the server', () => readyAt(serverUrl)),
    ]);
    const alerts = storm(() => serverUrl, users, RATE);
    const recoveries: Record<string, number[]> = { worker: [], server: [] };
    // At random moments while the alerts arrive: the server once, the worker twice.
    const storming = (INCIDENTS / RATE) * 1000;
    const kills = (
      [
        ['worker', 0.1 + Math.random() * 0.2],
        ['server', 0.35 + Math.random() * 0.2],
        ['worker', 0.6 + Math.random() * 0.3],
      ] as Array<['worker' | 'server', number]>
    ).map(([which, at]) => [which, Math.round(at * storming)] as const);
    const began = Date.now();
    for (const [which, at] of kills) {
      await new Promise((r) => setTimeout(r, Math.max(0, began + at - Date.now())));
      const victim = which === 'worker' ? w : s;
      killGroup(victim.child);
      await victim.exited;
      const restarted = Date.now();
      if (which === 'worker') w = worker();
      else s = server();
      recoveries[which]!.push(
        (await until(`the ${which} again`, () => readyAt(which === 'worker' ? workerUrl : serverUrl))) -
          restarted,
      );
    }
    const accepted = await alerts.done;
    const result = await outcome(fake, relay, users, [...new Set(accepted.map((a) => a.incidentId))]);
    figures.split = {
      kills: kills.map(([which, at]) => `${which} at ${at} ms`),
      ...result,
      readyAgainMs: recoveries,
      retriesBySenders: accepted.reduce((n, a) => n + a.attempts - 1, 0),
    };
    expect(result.incidentsLost).toBe(0);
    expect(result.graphMutationsDuplicated).toBeLessThanOrEqual(INCIDENTS);
    w.child.kill('SIGTERM');
    s.child.kill('SIGTERM');
    await Promise.all([w.exited, s.exited]);
  } finally {
    await fake.stop();
    await relay.close();
  }
}, 600_000);

test('SMTP down for a while: every notification arrives after it recovers, and the timeline says it was retried', async () => {
  const { fake, relay: unused, users, dir, config } = await setting('smtp', INCIDENTS);
  await unused.close(); // this test brings its own relay, later
  const smtpPort = await freePort();
  writeFileSync(config, configText('', fake));
  const serverPort = await freePort();
  const databaseUrl = await freshDatabaseUrl('chaos');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_DATA_DIR: dir,
    SIEM_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
    DATABASE_URL: databaseUrl,
    // Nothing listens here until the relay comes back.
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    PORT: String(serverPort),
  };
  const url = `http://127.0.0.1:${serverPort}`;
  const reflex = run(['start', '--config', config], env);
  const db = await openDb({ url: databaseUrl });
  let relay: DemoMailbox | undefined;
  const few = users.slice(0, Math.min(users.length, 10));
  try {
    await until('Reflex', () => readyAt(url));
    const accepted = await storm(() => url, few, RATE).done;
    const incidents = [...new Set(accepted.map((a) => a.incidentId))];
    // Every account is signed out at once; the e-mails wait for the relay.
    await until('every sign-out', () =>
      few.every((u) =>
        fake
          .graphCalls()
          .some((c) => decodeURIComponent(c.path).endsWith(`/users/${u}/revokeSignInSessions`)),
      )
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 8000));
    relay = await DemoMailbox.start({ port: smtpPort });
    const back = Date.now();
    const arrived = new Map<string, number>();
    await until('every notification', () => {
      for (const m of relay!.list()) {
        const id = m.headers['x-reflex-incident'];
        if (id && !arrived.has(id)) arrived.set(id, Date.now());
      }
      return incidents.every((i) => arrived.has(i)) ? true : undefined;
    });
    const retried = await db.query<{ n: string }>(
      `select count(distinct chain_id) as n from audit_events where kind = 'step.retried' and content like '%tell-on-call%'`,
    );
    const latest = Math.max(...[...arrived.values()].map((t) => t - back));
    figures.smtpDown = {
      incidents: incidents.length,
      downForMs: 8000,
      lost: incidents.length - arrived.size,
      incidentsWithRetriesOnTheTimeline: Number(retried[0]!.n),
      lastNotificationAfterRecoveryMs: latest,
    };
    expect(arrived.size).toBe(incidents.length);
    // The delay is on the record: each incident's timeline has its notification's retries.
    expect(Number(retried[0]!.n)).toBe(incidents.length);
    reflex.child.kill('SIGTERM');
    await reflex.exited;
  } finally {
    await db.close();
    await fake.stop();
    await relay?.close();
  }
}, 300_000);

test('a Graph 429 storm with Retry-After: every incident waits it out, and nothing calls Graph meanwhile', async () => {
  const { fake, relay, users, dir, config } = await setting('throttle', INCIDENTS);
  const few = users.slice(0, Math.min(users.length, 12));
  writeFileSync(config, configText('', fake));
  const retryAfterMs = 4000;
  // From its first sign-out, Graph throttles the app for 3 s, each answer asking for 4 s of quiet.
  fake.fail({
    method: 'POST',
    path: /revokeSignInSessions$/,
    status: 429,
    code: 'TooManyRequests',
    retryAfter: retryAfterMs / 1000,
    forMs: 3000,
  });
  const serverPort = await freePort();
  const databaseUrl = await freshDatabaseUrl('chaos');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_DATA_DIR: dir,
    SIEM_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
    DATABASE_URL: databaseUrl,
    SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
    PORT: String(serverPort),
  };
  const url = `http://127.0.0.1:${serverPort}`;
  const reflex = run(['start', '--config', config], env);
  const db = await openDb({ url: databaseUrl });
  try {
    await until('Reflex', () => readyAt(url));
    const accepted = await storm(() => url, few, RATE).done;
    const incidents = [...new Set(accepted.map((a) => a.incidentId))];
    const result = await outcome(fake, relay, few, incidents);
    const revokes = fake
      .graphCalls()
      .filter((c) => c.method === 'POST' && c.path.endsWith('/revokeSignInSessions'));
    const throttled = revokes.filter((c) => c.status === 429);
    const first = throttled[0]!.at;
    // Honoured by the whole worker: between the first 429 and the end of its Retry-After, no call
    // reached Graph (a call already on its way when the 429 came back is allowed 150 ms).
    const duringTheWait = revokes.filter((c) => c.at > first + 150 && c.at < first + retryAfterMs - 150);
    const perUser = few.map(
      (u) =>
        revokes.filter((c) => decodeURIComponent(c.path).endsWith(`/users/${u}/revokeSignInSessions`)).length,
    );
    const waited = await db.query<{ n: string }>(
      `select count(distinct chain_id) as n from audit_events where kind = 'step.retried' and content like '%revokeSessions%'`,
    );
    figures.graphThrottled = {
      incidents: incidents.length,
      lost: result.incidentsLost,
      graphCalls: revokes.length,
      answered429: throttled.length,
      callsDuringTheWait: duringTheWait.length,
      mostCallsForOneAccount: Math.max(...perUser),
      incidentsWithTheWaitOnTheTimeline: Number(waited[0]!.n),
    };
    expect(result.incidentsLost).toBe(0);
    expect(throttled.length).toBeGreaterThan(0);
    expect(duringTheWait).toEqual([]);
    // No retry storm: an account's sign-out is tried at most once more than it succeeded.
    expect(Math.max(...perUser)).toBeLessThanOrEqual(2);
    // The wait is on the record of every incident that was held back (at least the throttled one).
    expect(Number(waited[0]!.n)).toBeGreaterThanOrEqual(throttled.length);
    reflex.child.kill('SIGTERM');
    await reflex.exited;
  } finally {
    await db.close();
    await fake.stop();
    await relay.close();
  }
}, 300_000);
