// Acceptance for `reflex start` as a real process: embedded Temporal dev server, demo mailbox, the demo
// drill end to end, state that survives SIGKILL, and a graceful SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './helpers/ports';

const CLI = join(__dirname, '../dist/cli/main.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startReflex(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  printed = () => output;
  exitCode = () => child.exitCode;
  return { child, output: () => output, exited };
}

let printed: () => string = () => '';
let exitCode: () => number | null = () => null;

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 90_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (exitCode() !== null)
      throw new Error(`reflex exited (${exitCode()}) before ${what}; it printed:\n${printed().slice(-6000)}`);
    if (Date.now() > deadline)
      // What the process printed last says why (a red CI run is otherwise a bare timeout).
      throw new Error(`timed out waiting for ${what}; reflex printed:\n${printed().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function ready(url: string): Promise<true | undefined> {
  const response = await fetch(`${url}/readyz`);
  return response.status === 200 ? true : undefined;
}

const started: ChildProcess[] = [];
afterAll(() => {
  // A failed assertion must not leave a Reflex (and its dev server) running.
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

test('reflex start --demo runs the drill end to end, survives SIGKILL, and stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'start-'));
  const [port, smtpPort] = await Promise.all([freePort(), freePort()]);
  const configFile = join(dataDir, 'reflex.yaml');
  // `reflex start` without configured tokens makes an admin token in the data directory.
  const admin = () => ({
    authorization: `Bearer ${readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()}`,
  });
  writeFileSync(
    configFile,
    // Temporal's ports 0: Reflex draws free ones (and draws again if another process takes one first).
    `temporal:\n  devServer:\n    port: 0\n    uiPort: 0\nmail:\n  demoMailbox:\n    smtpPort: ${smtpPort}\n`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REFLEX_DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_CLI_PATH: process.env.REFLEX_TEST_TEMPORAL_CLI,
    TEMPORAL_ADDRESS: '',
    SMTP_URL: '',
    DATABASE_URL: '',
  };
  const url = `http://127.0.0.1:${port}`;
  // Before any start, a command has no embedded Temporal to find, and says so.
  const early = spawnSync(process.execPath, [CLI, 'approve', 'x', 'y', '--as', 'z', '--config', configFile], {
    env,
    encoding: 'utf8',
  });
  expect(early.status).not.toBe(0);
  expect(early.stderr).toContain(
    `temporal.devServer.port is 0 and ${join(dataDir, 'temporal.address')} does not exist: start Reflex`,
  );

  // 1. First start, with the demo drill. The approval below finds its drawn Temporal port.
  const first = startReflex(['start', '--demo', '--config', configFile], env);
  // A cold start bundles the workflows and starts Temporal: on a loaded 2-core CI machine (the chaos
  // suite beside it) that has taken over 90 s.
  const incidentId = await waitFor(
    'the demo drill',
    () => first.output().match(/opened incident (\S+)\./)?.[1],
    180_000,
  );
  await waitFor('the demo e-mail', () => (first.output().includes('E-mail sent:') ? true : undefined));
  // The demo alert is a risky sign-in: compromised-account asks on-call to approve blocking the account.
  const approveHint = await waitFor(
    'the approval hint',
    () => first.output().match(/npm run reflex -- (approve \S+ \S+ --as \S+)/)?.[1],
  );
  const approve = spawnSync(process.execPath, [CLI, ...approveHint.split(' '), '--config', configFile], {
    env,
    encoding: 'utf8',
  });
  expect(approve.stdout).toContain('step disable-account is now approved');
  expect(await ready(url)).toBe(true);
  expect(first.output()).toContain(`Demo mailbox:  ${url}/mailbox`);
  expect(first.output()).toContain(
    `Sign in:       ${url}/login with the admin token in ${join(dataDir, 'admin.token')}`,
  );
  // Without a token the board and the API are closed.
  expect((await fetch(`${url}/api/incidents/${incidentId}`)).status).toBe(401);
  const temporalUi = first
    .output()
    .match(/Temporal: +127\.0\.0\.1:\d+ +Web UI: (http:\/\/127\.0\.0\.1:\d+)\n/)?.[1];
  expect(temporalUi).toBeDefined();

  const incident = await waitFor('containment', async () => {
    const body = (await (await fetch(`${url}/api/incidents/${incidentId}`, { headers: admin() })).json()) as {
      workflow: { status: string };
      state: { status: string; drill: boolean };
      timeline: Array<{ kind: string }>;
    };
    return body.state.status === 'contained' && body.timeline.some((e) => e.kind === 'incident.contained')
      ? body
      : undefined;
  });
  expect(incident.workflow.status).toBe('RUNNING'); // contained, waiting for a responder to close it
  expect(incident.state.drill).toBe(true); // the demo is a drill
  expect(incident.timeline.map((e) => e.kind)).toEqual(
    expect.arrayContaining(['drill.started', 'step.succeeded']),
  );

  // The mailbox page lists the e-mail, and its page links back to Reflex.
  const mailbox = await (await fetch(`${url}/mailbox`, { headers: admin() })).text();
  expect(mailbox).toContain('[DRILL]');
  // The workflow is visible through the Temporal Web UI's own API.
  const ui = await fetch(`${temporalUi}/api/v1/namespaces/default/workflows/${incidentId}`);
  expect(ui.status).toBe(200);
  expect(JSON.stringify(await ui.json())).toContain('runPlaybook');

  // 2. SIGKILL: no chance to clean up; the dev server child is orphaned.
  const devServerPid = Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8'));
  first.child.kill('SIGKILL');
  await first.exited;

  // 3. Start again: the orphan is stopped, and the incident is still there.
  const second = startReflex(['start', '--config', configFile], env);
  await waitFor('readiness after restart', () => ready(url), 180_000);
  expect(existsSync(`/proc/${devServerPid}`)).toBe(false);
  const again = (await (
    await fetch(`${url}/api/incidents/${incidentId}`, { headers: admin() })
  ).json()) as typeof incident;
  expect(again.workflow.status).toBe('RUNNING');
  expect(again.timeline).toEqual(incident.timeline);
  // The mailbox kept its messages too.
  expect(await (await fetch(`${url}/mailbox`, { headers: admin() })).text()).toContain('[DRILL]');
  // The start says how long each part took (Temporal opens beside the database).
  expect(second.output()).toMatch(/Reflex is up/);
  expect(second.output()).toMatch(
    /"startupMs":\{[^}]*"temporal":\d+[^}]*"storage":\d+|"startupMs":\{[^}]*"storage":\d+[^}]*"temporal":\d+/,
  );

  // 3b. A second `reflex start` on the same data directory (its own ports) is refused before it starts
  // anything: the running one's Temporal dev server is left alone.
  const runningDevServerPid = Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8'));
  const [port2, smtpPort2] = await Promise.all([freePort(), freePort()]);
  const configFile2 = join(dataDir, 'reflex-2.yaml');
  writeFileSync(
    configFile2,
    `temporal:\n  devServer:\n    port: 0\n    uiPort: 0\nmail:\n  demoMailbox:\n    smtpPort: ${smtpPort2}\n`,
  );
  const intruder = spawnSync(process.execPath, [CLI, 'start', '--config', configFile2], {
    env: { ...env, PORT: String(port2) },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(intruder.status).not.toBe(0);
  expect(`${intruder.stdout}${intruder.stderr}`).toContain(`is in use by process ${second.child.pid}`);
  expect(Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8'))).toBe(runningDevServerPid);
  expect(existsSync(`/proc/${runningDevServerPid}`)).toBe(true);
  expect(await ready(url)).toBe(true);

  // 4. SIGTERM: graceful stop, exit 0, and the dev server child is gone.
  const secondDevServerPid = Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8'));
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(second.output()).toContain('shutting down');
  expect(existsSync(`/proc/${secondDevServerPid}`)).toBe(false);
  expect(existsSync(join(dataDir, 'temporal.pid'))).toBe(false);
  expect(existsSync(join(dataDir, 'temporal.address'))).toBe(false);
}, 420_000);
