// Benchmark: from a signed webhook to the first containment call (revokeSignInSessions arriving at the
// Graph fake), at a steady rate; the same for a bare Temporal workflow making the same call; and how
// many alerts per second are durably accepted. Run: npm run bench (see docs/BENCHMARKS.md).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker, NativeConnection } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { configSchema } from '../config/schema';
import { createLogger } from '../common/logger';
import { percentile } from './stats';
import { runBench } from './results';
import { runReflex } from '../startup/run';
import { createGraphClient } from '../startup/graph-client';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { EntraFake, TENANT, CLIENT_ID, CLIENT_SECRET } from '../test/fakes/entra-fake';
import { signedHeaders, TEST_SECRET } from '../test/helpers/reflex';
import { createBareActivities } from './bare-activities';

const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 3000);
const log = createLogger({ level: 'warn' });

function summary(name: string, values: number[]) {
  return {
    name,
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

/** Calls `fire(i)` RATE times a second for SECONDS seconds. */
async function steady(fire: (i: number) => Promise<void>): Promise<void> {
  const total = RATE * SECONDS;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(fire(i));
  }
  await Promise.all(pending);
}

/** Waits until the fake has seen a revoke for `user`; returns when (performance.now clock). */
function arrivals(fake: EntraFake) {
  const seen = new Map<string, number>();
  const waiting = new Map<string, (t: number) => void>();
  const original = fake.calls.push.bind(fake.calls);
  fake.calls.push = (...items) => {
    for (const call of items) {
      const m = call.path.match(/\/users\/([^/]+)\/revokeSignInSessions$/);
      if (m) {
        const user = decodeURIComponent(m[1]!);
        const now = performance.now();
        seen.set(user, now);
        waiting.get(user)?.(now);
      }
    }
    return original(...items);
  };
  return (user: string) =>
    new Promise<number>((done) => (seen.has(user) ? done(seen.get(user)!) : waiting.set(user, done)));
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'reflex-bench-'));
  const cliPath = await ensureTemporalCli(join(__dirname, '../../.tools'), log);
  const devServer = await startDevServer({ cliPath, log });
  const fake = await new EntraFake().start();
  const arrived = arrivals(fake);
  const entra = {
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorityHost: fake.url,
    graphBaseUrl: fake.url,
  };
  const config = configSchema.parse({
    dataDir: join(root, 'data'),
    server: { port: 0 },
    temporal: { address: devServer.address, taskQueue: 'bench' },
    database: { url: process.env.BENCH_DATABASE_URL },
    mail: { demoMailbox: { smtpPort: 0 } },
    entra,
    sources: [
      {
        name: 'siem',
        format: 'generic',
        auth: { scheme: 'standard-webhooks', secrets: [TEST_SECRET] },
        // The burst measures Temporal's acceptance, not the per-source limit.
        ratePerMinute: 1_000_000,
      },
    ],
  });
  // BENCH_PLAYBOOK=revoke-only measures the intake path alone: a playbook whose only step is the call.
  let playbooksDir: string | undefined;
  if (process.env.BENCH_PLAYBOOK === 'revoke-only') {
    playbooksDir = join(root, 'playbooks');
    mkdirSync(playbooksDir);
    writeFileSync(
      join(playbooksDir, 'revoke-only.yaml'),
      [
        'id: revoke-only',
        'version: 1',
        'title: Revoke only',
        'description: Benchmark playbook whose only step is the first containment call.',
        'triggers:',
        '  - types: [risky-sign-in]',
        'steps:',
        '  - id: revoke-sessions',
        '    description: Sign the account out everywhere',
        '    action: entra.revokeSessions',
        "    with: { user: '{{entities.users.0}}' }",
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(playbooksDir, 'fallback.yaml'),
      [
        'id: fallback',
        'version: 1',
        'title: Fallback',
        'description: Burst target.',
        'fallback: true',
        'triggers:',
        "  - source: '*'",
        'steps:',
        '  - id: wait',
        '    description: Nothing',
        '    wait: 1s',
        '',
      ].join('\n'),
    );
  }
  const reflex = await runReflex({
    mode: 'start',
    config: playbooksDir
      ? { ...config, playbooks: { ...config.playbooks, shipped: false, dirs: [playbooksDir] } }
      : config,
    log,
  });
  const post = async (user: string, type = 'risky-sign-in') => {
    const body = JSON.stringify({
      id: randomUUID(),
      type,
      title: 'bench',
      severity: 'high',
      entities: { users: [user] },
    });
    const response = await fetch(`${reflex.url}/hooks/siem`, {
      method: 'POST',
      headers: signedHeaders(body),
      body,
    });
    await response.arrayBuffer();
    return response.status;
  };

  // Warm up: the first incidents pay for connections and the token.
  for (let i = 0; i < 20; i++) {
    const user = `warm${i}@bench.example`;
    fake.addUser({ userPrincipalName: user });
    await post(user);
    await arrived(user);
  }

  // 1. Reflex: webhook → first containment call, at RATE/s.
  const reflexLatency: number[] = [];
  await steady(async (i) => {
    const user = `r${i}@bench.example`;
    fake.addUser({ userPrincipalName: user });
    const t0 = performance.now();
    const status = await post(user);
    if (status !== 202) throw new Error(`webhook answered ${status}`);
    reflexLatency.push((await arrived(user)) - t0);
  });

  // 2. Bare: client start → the same call, at RATE/s, on its own worker (same server, same Graph client).
  const connection = await NativeConnection.connect({ address: devServer.address });
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-bare',
    workflowsPath: require.resolve('./bare-workflow'),
    activities: createBareActivities(createGraphClient(entra)!),
  });
  const running = worker.run();
  const client = new Client({ connection });
  for (let i = 0; i < 20; i++) {
    const user = `bwarm${i}@bench.example`;
    fake.addUser({ userPrincipalName: user });
    await client.workflow.start('bareRevoke', {
      workflowId: `bare-warm-${i}`,
      taskQueue: 'bench-bare',
      args: [user],
      requestEagerStart: true,
    });
    await arrived(user);
  }
  const bareLatency: number[] = [];
  await steady(async (i) => {
    const user = `b${i}@bench.example`;
    fake.addUser({ userPrincipalName: user });
    const t0 = performance.now();
    await client.workflow.start('bareRevoke', {
      workflowId: `bare-${i}`,
      taskQueue: 'bench-bare',
      args: [user],
      requestEagerStart: true,
    });
    bareLatency.push((await arrived(user)) - t0);
  });
  worker.shutdown();
  await running;

  // 3. Accepted alerts per second: a burst, 64 at a time, each a new incident (fallback playbook).
  let accepted = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < BURST) {
        const i = next++;
        if ((await post(`burst${i}@bench.example`, 'bench-burst')) === 202) accepted++;
      }
    }),
  );
  const burstSeconds = (performance.now() - t0) / 1000;

  const results = {
    rate: RATE,
    seconds: SECONDS,
    playbook: process.env.BENCH_PLAYBOOK ?? 'compromised-account (shipped)',
    database: process.env.BENCH_DATABASE_URL ? 'postgres' : 'embedded',
    reflex: summary('webhook → first containment call (ms)', reflexLatency),
    bare: summary('bare workflow start → same call (ms)', bareLatency),
    ratioP99: percentile(reflexLatency, 99) / percentile(bareLatency, 99),
    burst: { alerts: BURST, accepted, seconds: burstSeconds, perSecond: accepted / burstSeconds },
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  await connection.close();
  await reflex.stop();
  await fake.stop();
  await devServer.stop();
  rmSync(root, { recursive: true, force: true });
}

runBench(main);
