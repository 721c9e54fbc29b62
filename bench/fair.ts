// The fair benchmark (issue 14, item 1, in part): webhook → first containment call for the embedded
// default, against a bare Temporal workflow making the same Graph call, at several rates. Every party is
// its own process — this load generator, `reflex start` (server and worker in one process, as the
// embedded default runs; it starts its own Temporal dev server as a child on a fresh SQLite file), the
// Graph fake, and for the baseline a dev server on a fresh SQLite file with the same pragmas and a bare
// worker. A fresh Temporal and a fresh Graph fake for every phase. Latency: from just before the webhook
// POST (or `workflow.start`) to the Graph fake's report that revokeSignInSessions arrived.
// Run: npm run bench:fair (knobs: BENCH_RATES=5,20,50 BENCH_SECONDS=15 BENCH_PLAYBOOK=revoke-only).
// Writes the `fair` entry of bench-results.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../common/logger';
import { percentile } from './stats';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { embeddedSqlitePragmas } from '../startup/temporal';
import { TOOLS_DIR } from '../startup/project';
import { CLIENT_ID, CLIENT_SECRET, TENANT } from '../test/fakes/entra-fake';
import { freePort } from '../test/helpers/ports';
import { signedHeaders, TEST_SECRET } from '../test/helpers/reflex';

const RATES = (process.env.BENCH_RATES ?? '5,20,50').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PLAYBOOK = process.env.BENCH_PLAYBOOK ?? 'compromised-account';
const WARM = 20;
const ROOT = join(__dirname, '../..');
const log = createLogger({ level: 'warn' });
const env = {
  ...process.env,
  NODE_EXTRA_CA_CERTS: join(ROOT, 'test/fixtures/tls/ca.pem'),
  REFLEX_TLS_DIR: join(ROOT, 'test/fixtures/tls'),
};

const stats = (values: number[], elapsedS: number) => ({
  n: values.length,
  p50Ms: Math.round(percentile(values, 50)),
  p95Ms: Math.round(percentile(values, 95)),
  p99Ms: Math.round(percentile(values, 99)),
  completedPerSec: Math.round((values.length / elapsedS) * 10) / 10,
});

/** The load generator's callback: the Graph fake reports each revoke here. */
async function callbacks() {
  const seen = new Map<string, number>();
  const waiting = new Map<string, (t: number) => void>();
  const http = createServer((req, res) => {
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

/** RATE calls a second for SECONDS; resolves with the latencies and the elapsed seconds. */
async function steady(rate: number, call: (i: number) => Promise<number>) {
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * SECONDS; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(call(i).then((ms) => void latencies.push(ms)));
  }
  await Promise.all(pending);
  return { latencies, elapsed: (performance.now() - started) / 1000 };
}

async function reflexPhase(rate: number) {
  const cb = await callbacks();
  const users = WARM + rate * SECONDS;
  const fake = await spawnNode([join(__dirname, 'graph-fake-process.js'), cb.url, String(users)]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-reflex-'));
  const [port, temporalPort, uiPort, smtpPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  let playbooks = `  shipped: [${PLAYBOOK}]\n`;
  if (PLAYBOOK === 'revoke-only') {
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(
      join(dir, 'playbooks', 'revoke-only.yaml'),
      "id: revoke-only\nversion: 1\ntitle: Revoke only\ndescription: The first containment call alone.\ntriggers:\n  - types: [risky-sign-in]\nsteps:\n  - id: revoke-sessions\n    description: Sign the account out\n    action: entra.revokeSessions\n    with: { user: '{{entities.users.0}}' }\n",
    );
    playbooks = `  shipped: false\n  dirs: [${join(dir, 'playbooks')}]\n`;
  }
  const config = join(dir, 'reflex.yaml');
  writeFileSync(
    config,
    [
      `dataDir: ${join(dir, 'data')}`,
      `server: { port: ${port}, readinessCheckMinutes: 0 }`,
      `temporal:\n  devServer: { port: ${temporalPort}, uiPort: ${uiPort} }`,
      `mail:\n  demoMailbox: { smtpPort: ${smtpPort} }`,
      `contacts: { onCall: [oncall@bench.example, second@bench.example], dpo: dpo@bench.example }`,
      `entra: { tenantId: ${TENANT}, clientId: ${CLIENT_ID}, clientSecret: ${CLIENT_SECRET}, authorityHost: '${fake.line}', graphBaseUrl: '${fake.line}' }`,
      `sources:\n  - name: siem\n    format: generic\n    auth: { scheme: standard-webhooks, secrets: ['${TEST_SECRET}'] }\n    ratePerMinute: 1000000`,
      `playbooks:\n${playbooks}`,
    ].join('\n'),
  );
  const reflex = spawn(process.execPath, [join(__dirname, '../cli/main.js'), 'start', '--config', config], {
    env: { ...env, TEMPORAL_ADDRESS: '', SMTP_URL: '', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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
  const call = async (i: number) => {
    const user = `u${i}@bench.example`;
    const body = JSON.stringify({
      id: randomUUID(),
      type: 'risky-sign-in',
      title: 'bench',
      severity: 'high',
      entities: { users: [user] },
    });
    const came = cb.arrived(user);
    const t0 = performance.now();
    const response = await fetch(`${url}/hooks/siem`, { method: 'POST', headers: signedHeaders(body), body });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
    return (await came) - t0;
  };
  for (let i = 0; i < WARM; i++) await call(i);
  const { latencies, elapsed } = await steady(rate, (i) => call(WARM + i));
  await stop(reflex);
  await stop(fake.child);
  await cb.close();
  return stats(latencies, elapsed);
}

async function barePhase(rate: number, cliPath: string) {
  const cb = await callbacks();
  const users = WARM + rate * SECONDS;
  const fake = await spawnNode([join(__dirname, 'graph-fake-process.js'), cb.url, String(users)]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-bare-'));
  const server = await startDevServer({
    cliPath,
    dbFile: join(dir, 'temporal.sqlite'),
    sqlitePragmas: embeddedSqlitePragmas('full'),
    port: await freePort(),
    uiPort: await freePort(),
    log,
  });
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
  const { latencies, elapsed } = await steady(rate, (i) => call(WARM + i));
  await stop(worker.child);
  await connection.close();
  await server.stop();
  await stop(fake.child);
  await cb.close();
  return stats(latencies, elapsed);
}

async function main(): Promise<void> {
  const cliPath = await ensureTemporalCli(TOOLS_DIR, log, process.env);
  const results: Array<Record<string, unknown>> = [];
  for (const rate of RATES) {
    const bare = await barePhase(rate, cliPath);
    const reflex = await reflexPhase(rate);
    const result = {
      rate,
      topology:
        'embedded default (reflex start + its SQLite dev server) vs bare worker on the same kind of server',
      webhookToAction: reflex,
      bareTemporal: bare,
      ratioP50: Math.round((reflex.p50Ms / bare.p50Ms) * 100) / 100,
      ratioP95: Math.round((reflex.p95Ms / bare.p95Ms) * 100) / 100,
      ratioP99: Math.round((reflex.p99Ms / bare.p99Ms) * 100) / 100,
    };
    results.push(result);
    console.log(JSON.stringify(result));
  }
  const holds = (key: 'webhookToAction' | 'bareTemporal') =>
    Math.max(
      0,
      ...results.filter((r) => (r[key] as { p99Ms: number }).p99Ms < 1000).map((r) => r.rate as number),
    );
  const file = join(process.cwd(), 'bench-results.json');
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        ...previous,
        // One entry per playbook measured: the shipped one, and revoke-only (the intake path alone).
        fair: {
          ...((previous.fair as Record<string, unknown> | undefined) ?? {}),
          [PLAYBOOK]: {
            command: `BENCH_RATES=${RATES.join(',')} BENCH_SECONDS=${SECONDS} BENCH_PLAYBOOK=${PLAYBOOK} npm run bench:fair`,
            at: new Date().toISOString(),
            machine: {
              cpus: cpus().length,
              memoryGiB: Math.round(totalmem() / 2 ** 30),
              node: process.version,
            },
            playbook: PLAYBOOK,
            highestRateUnder1sP99: { reflex: holds('webhookToAction'), bare: holds('bareTemporal') },
            results,
          },
        },
      },
      null,
      2,
    )}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
