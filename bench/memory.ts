// Benchmark: worker memory with many incidents waiting for approval. Runs `reflex worker` as its own
// process (PostgreSQL audit store, an SMTP sink), starts BENCH_INCIDENTS incidents of a playbook that
// waits for approval, and reads the worker's RSS from /proc. Run: npm run bench:memory.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { freePort } from '../test/helpers/ports';
import { startPostgres } from '../test/helpers/postgres';
import { IncidentGateway } from '../temporal/incident-gateway';

const COUNT = Number(process.env.BENCH_INCIDENTS ?? 10_000);
const log = createLogger({ level: 'warn' });

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024);
};

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'reflex-membench-'));
  const cliPath = await ensureTemporalCli(join(__dirname, '../../.tools'), log);
  const devServer = await startDevServer({ cliPath, port: await freePort(), uiPort: await freePort(), log });
  const postgres = await startPostgres();
  // A sink that accepts mail without parsing or keeping it (the demo mailbox would hold 10,000 messages).
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
    `temporal:\n  maxCachedWorkflows: ${Number(process.env.BENCH_MAX_CACHED ?? 500)}\nplaybooks:\n  shipped: false\n  dirs: [${JSON.stringify(playbooksDir)}]\n`,
  );
  const workerPort = await freePort();
  const worker = spawn(process.execPath, [join(__dirname, '../cli/main.js'), 'worker'], {
    env: {
      ...process.env,
      REFLEX_CONFIG: configFile,
      TEMPORAL_ADDRESS: devServer.address,
      DATABASE_URL: postgres.url,
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      REFLEX_DATA_DIR: join(root, 'data'),
      PORT: String(workerPort),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${workerPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const idle = rssMiB(worker.pid!);
  const connection = await Connection.connect({ address: devServer.address });
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
        await gateway.open(playbook!, alert, false);
      }
    }),
  );
  // Wait until every incident is waiting for approval (its approval request was mailed).
  const { Client: Pg } = await import('pg');
  const pg = new Pg({ connectionString: postgres.url });
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
  const result = {
    incidents: COUNT,
    secondsToAllWaiting: Math.round(seconds),
    workerRssIdleMiB: idle,
    workerRssWaitingMiB: rssMiB(worker.pid!),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await pg.end();
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await connection.close();
  await sink.close();
  postgres.stop();
  await devServer.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
