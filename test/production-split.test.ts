// Production shape: `reflex worker` and `reflex server` as separate processes against one Temporal
// server and PostgreSQL, with mail through an SMTP relay. A webhook to the server is run by the worker;
// two servers on one PostgreSQL share their rate limits. The worker starts on the build's workflow bundle.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { freshDatabaseUrl } from './helpers/postgres';
import { DemoMailbox } from '../mail/demo-mailbox';
import { freePort } from './helpers/ports';
import { alertBody, postSigned, TEST_SECRET } from './helpers/reflex';

const CLI = join(__dirname, '../dist/cli/main.js');
const children: ChildProcess[] = [];
let relay: DemoMailbox;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await relay?.close();
});

function run(mode: 'worker' | 'server', env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, mode, '--config', env.REFLEX_CONFIG!], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    exited: new Promise<number | null>((done) => child.once('exit', done)),
  };
}

async function ready(url: string, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} never became ready`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a webhook to `reflex server` is run by a separate `reflex worker`; both stop on SIGTERM', async () => {
  relay ??= await DemoMailbox.start();
  const databaseUrl = await freshDatabaseUrl('split');
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'split-'));
  const configFile = join(dir, 'reflex.yaml');
  writeFileSync(
    configFile,
    `sources:\n  - name: siem\n    auth:\n      scheme: standard-webhooks\n      secrets: ['\${SIEM_SECRET}']\n` +
      `playbooks:\n  shipped: false\n  dirs: [${JSON.stringify(join(__dirname, 'fixtures/playbooks-split'))}]\n`,
  );
  const [serverPort, workerPort] = await Promise.all([freePort(), freePort()]);
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_CONFIG: configFile,
    SIEM_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `split-${randomUUID()}`,
    DATABASE_URL: databaseUrl,
    SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
    REFLEX_DATA_DIR: dir,
  };
  const worker = run('worker', { ...common, PORT: String(workerPort) });
  const server = run('server', { ...common, PORT: String(serverPort) });
  await Promise.all([ready(`http://127.0.0.1:${workerPort}`), ready(`http://127.0.0.1:${serverPort}`)]);
  // The worker runs the workflow bundle the build made (worker/bundle.ts), not one bundled at start.
  expect(worker.output()).toContain('"source":"prebuilt"');
  // The worker serves only health; the server serves webhooks.
  expect((await fetch(`http://127.0.0.1:${workerPort}/hooks/siem`, { method: 'POST' })).status).toBe(404);

  const response = await postSigned(`http://127.0.0.1:${serverPort}`, alertBody({ type: 'split-test' }));
  expect(response.status).toBe(202);
  const mail = await relay.waitFor(
    (m) => m.headers['x-reflex-incident'] === response.body.incidentId,
    30_000,
  );
  expect(mail.subject).toContain('[Reflex]');

  server.child.kill('SIGTERM');
  worker.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  expect(await worker.exited).toBe(0);
}, 120_000);

test('two `reflex server` processes on one PostgreSQL keep one budget between them, not one each', async () => {
  relay ??= await DemoMailbox.start();
  const databaseUrl = await freshDatabaseUrl('budgets');
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'budgets-'));
  const configFile = join(dir, 'reflex.yaml');
  writeFileSync(
    configFile,
    `sources:\n  - name: siem\n    ratePerMinute: 6\n    auth:\n      scheme: standard-webhooks\n      secrets: ['\${SIEM_SECRET}']\n` +
      `access:\n  attemptsPerMinute:\n    failedTokens: 4\n` +
      `playbooks:\n  shipped: false\n  dirs: [${JSON.stringify(join(__dirname, 'fixtures/playbooks-split'))}]\n`,
  );
  const ports = await Promise.all([freePort(), freePort()]);
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_CONFIG: configFile,
    SIEM_SECRET: TEST_SECRET,
    TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
    // No worker: the incidents are started and wait, which is all the budget is about.
    TEMPORAL_TASK_QUEUE: `budgets-${randomUUID()}`,
    DATABASE_URL: databaseUrl,
    SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
    REFLEX_DATA_DIR: dir,
  };
  const servers = ports.map((port) => run('server', { ...common, PORT: String(port) }));
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  await Promise.all(urls.map((url) => ready(url))).catch((e) => {
    throw new Error(`${e}\n${servers.map((s) => s.output()).join('\n---\n')}`);
  });

  // Ten alerts, every other one to the other server: six are accepted, four are told to wait.
  const alerts: number[] = [];
  for (let i = 0; i < 10; i++) {
    const body = alertBody({ type: 'budget-test', entities: { users: [`user-${i}@museum.example`] } });
    alerts.push((await postSigned(urls[i % 2]!, body)).status);
  }
  expect(alerts.filter((s) => s === 202)).toHaveLength(6);
  expect(alerts.filter((s) => s === 429)).toHaveLength(4);
  expect(alerts.slice(6)).toEqual([429, 429, 429, 429]);

  // Guessing tokens from one address: four wrong tries between both servers, then 429 on either.
  const guesses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const answer = await fetch(`${urls[i % 2]}/api/incidents`, {
      headers: { authorization: `Bearer wrong-token-${i}` },
    });
    guesses.push(answer.status);
  }
  expect(guesses).toEqual([401, 401, 401, 401, 429, 429]);

  for (const server of servers) server.child.kill('SIGTERM');
  expect(await Promise.all(servers.map((s) => s.exited))).toEqual([0, 0]);
}, 120_000);

test('`reflex worker` without TEMPORAL_ADDRESS or SMTP_URL refuses to start, naming the setting', async () => {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: '',
    SMTP_URL: '',
    REFLEX_DATA_DIR: mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'split-bad-')),
  };
  const noTemporal = run('worker', { ...env, REFLEX_CONFIG: '/dev/null' });
  expect(await noTemporal.exited).toBe(2);
  expect(noTemporal.output()).toContain('temporal.address (or TEMPORAL_ADDRESS) is required');
  const noSmtp = run('worker', { ...env, REFLEX_CONFIG: '/dev/null', TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(await noSmtp.exited).toBe(2);
  expect(noSmtp.output()).toContain('mail.smtpUrl (or SMTP_URL) is required');
});
