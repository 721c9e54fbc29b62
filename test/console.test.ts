// A console for people (issue 15, item 5): on a terminal Reflex's log lines are readable and the
// workflow bundler's report is not among them; piped, the same lines are JSON for machines; long
// commands show progress on a terminal and print nothing extra when piped.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './helpers/ports';
import { progress } from '../common/progress';

const CLI = join(__dirname, '../dist/cli/main.js');
const dir = () => mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'console-'));
const { NODE_EXTRA_CA_CERTS: _ca, LOG_FORMAT: _format, ...env } = process.env;

const SOCKET = `reflex-console-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

/** Reflex as a person starts it (without a prebuilt workflow bundle): its environment for this test. */
async function startEnv(cwd: string) {
  const [port, smtp] = await Promise.all([freePort(), freePort()]);
  return {
    port,
    vars: {
      PORT: String(port),
      TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_TASK_QUEUE: `console-${port}`,
      REFLEX_DATA_DIR: join(cwd, 'data'),
      SMTP_URL: `smtp://127.0.0.1:${smtp}`,
    },
  };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('on a terminal: readable lines, no bundler report; then Ctrl-C stops it', async () => {
  const cwd = dir();
  const { vars } = await startEnv(cwd);
  const exports = Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  tmux(
    'new-session',
    '-d',
    '-s',
    'start',
    '-x',
    '220',
    '-y',
    '200',
    '-c',
    cwd,
    `env ${exports} ${process.execPath} ${CLI} start; sleep 600`,
  );
  const screen = await until('Reflex to start', () => {
    const s = tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'start');
    // Up, and its worker has said so in a log line.
    return s.includes('Reflex is running (start).') && /Worker state changed/.test(s) ? s : undefined;
  });
  const logLines = screen.split('\n').filter((l) => /^\[\d\d:\d\d:\d\d\] /.test(l));
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.some((l) => /^\[\d\d:\d\d:\d\d\] INFO: /.test(l))).toBe(true);
  expect(screen).not.toMatch(/^\{"level"/m);
  // webpack's report (asset sizes, module trees) is debug-level detail.
  expect(screen).not.toMatch(/modules by path|webpack \d+\.\d+\.\d+ compiled|Workflow bundle created/);
  tmux('send-keys', '-t', 'start', 'C-c');
  await until('Reflex to stop', () => {
    const s = tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'start');
    return /shutting down/.test(s) ? s : undefined;
  });
});

test('piped: JSON lines, and the worker on the build’s workflow bundle (no bundler at start)', async () => {
  const cwd = dir();
  const { vars, port } = await startEnv(cwd);
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd,
    env: { ...env, ...vars, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  try {
    await until('Reflex to start', () => (output.includes('Reflex is running') ? true : undefined));
    void port;
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    const parsed = lines.map(
      (l) => JSON.parse(l) as { level: number; msg: string; component?: string; source?: string },
    );
    expect(parsed.length).toBeGreaterThan(1);
    expect(parsed).toContainEqual(expect.objectContaining({ msg: 'workflow bundle', source: 'prebuilt' }));
    // The bundler's report (when a worker bundles at start) is test/workflow-bundle.test.ts's.
    expect(parsed.filter((l) => l.component === 'bundler')).toEqual([]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
  }
});

test('a long `rules test` shows its progress on a terminal, and nothing extra when piped', () => {
  const cwd = dir();
  const file = join(cwd, 'big.jsonl');
  const line = (i: number) =>
    JSON.stringify({
      createdDateTime: new Date(Date.UTC(2026, 2, 2, 8, 0, i)).toISOString(),
      userPrincipalName: `user${i % 500}@museum.example`,
      ipAddress: `192.0.2.${i % 250}`,
      status: { errorCode: 50126 },
    });
  writeFileSync(file, Array.from({ length: 150_000 }, (_, i) => line(i)).join('\n'));
  // `script` gives the command a terminal and records what it wrote to it, \r and all.
  const onTerminal = execFileSync(
    'script',
    ['-q', '-e', '-c', `${process.execPath} ${CLI} rules test ${file}`, '/dev/null'],
    {
      cwd,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  expect(onTerminal).toMatch(/\r\x1b\[2Kreading .*big\.jsonl: [\d,]+ of 150,000 lines \(\d+%\)/);
  expect(onTerminal).toMatch(/150,000 records|150000 records/);
  const piped = spawnSync(process.execPath, [CLI, 'rules', 'test', file], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(piped.status).toBe(0);
  expect(piped.stderr).not.toContain('reading');
  expect(piped.stdout).not.toContain('\r');
});

test('progress writes one line in place on a terminal and clears it; nothing elsewhere', () => {
  let written = '';
  const tty = { isTTY: true, write: (t: string) => (written += t) };
  const realNow = Date.now;
  let now = 1_000_000;
  Date.now = () => now;
  try {
    const p = progress('verifying the audit trail', 4000, 'chains', tty);
    now += 300;
    p.tick(1000);
    now += 100; // too soon: not shown
    p.tick(1500);
    now += 300;
    p.tick(3000);
    p.end();
  } finally {
    Date.now = realNow;
  }
  expect(written).toBe(
    '\r\x1b[2Kverifying the audit trail: 1,000 of 4,000 chains (25%)' +
      '\r\x1b[2Kverifying the audit trail: 3,000 of 4,000 chains (75%)' +
      '\r\x1b[2K',
  );
  let piped = '';
  const p = progress('x', 10, 'y', { isTTY: false, write: (t: string) => (piped += t) });
  p.tick(5);
  p.end();
  expect(piped).toBe('');
});
