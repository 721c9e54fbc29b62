// Runs `temporal server start-dev` as a child process, with its state in a SQLite file, and starts it
// again when it dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { freePort } from '../common/ports';

export interface DevServerOptions {
  /** Path of the `temporal` binary. */
  cliPath: string;
  /** SQLite file; the server's state survives restarts. In-memory when absent. */
  dbFile?: string;
  /** @default '127.0.0.1' */
  ip?: string;
  /**
   * The gRPC port. Absent or 0: a free one, drawn again when another process takes it before the
   * server binds it. The server keeps the port it started on through restarts.
   */
  port?: number;
  /** The Web UI's port, drawn like `port` when absent or 0. false: no Web UI (`--headless`). */
  uiPort?: number | false;
  /**
   * Records the child's pid. A dev server left running by a killed Reflex (SIGKILL gives the parent
   * no chance to stop it) is found through this file and stopped before a new one starts.
   */
  pidFile?: string;
  /** SQLite pragmas for the file (`name=value`), e.g. journal_mode=wal. */
  sqlitePragmas?: readonly string[];
  /** Extra dynamic configuration, e.g. lower history limits in tests. */
  dynamicConfig?: Record<string, unknown>;
  /** Namespaces besides `default` to create. */
  namespaces?: string[];
  /** How long to wait for the server to answer, in ms. @default 60000 */
  startTimeoutMs?: number;
  log: Logger;
}

export interface DevServer {
  readonly address: string;
  /** Absent when it runs without a Web UI. */
  readonly uiUrl?: string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

export class DevServerStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}${output ? `\n--- temporal server output ---\n${output}` : ''}`);
    this.name = 'DevServerStartError';
  }
}

/** Starts the dev server and resolves once it answers gRPC calls. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const common = [
    '--ip',
    ip,
    '--log-level',
    'warn',
    '--log-format',
    'json',
    // Let Reflex's own process start workflows eagerly on its local worker (fewer round trips).
    '--dynamic-config-value',
    'system.enableEagerWorkflowStart=true',
    // And hand the activities a workflow task schedules straight back to the worker that completed it,
    // when it has a free slot (the server's default is off): no trip through the task queue.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
  ];
  if (options.uiPort === false) common.push('--headless');
  for (const ns of options.namespaces ?? []) common.push('--namespace', ns);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    common.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    common.push('--db-filename', options.dbFile);
    for (const pragma of options.sqlitePragmas ?? []) common.push('--sqlite-pragma', pragma);
  }
  if (options.pidFile) await stopOrphan(options.pidFile, options.log);
  const draw = async (chosen: number | undefined) => chosen || (await freePort({ host: ip }));
  const choosePorts = async () => {
    const port = await draw(options.port);
    const uiPort = options.uiPort === false ? undefined : await draw(options.uiPort);
    const ui = uiPort ? ['--ui-port', String(uiPort)] : [];
    return {
      address: `${ip}:${port}`,
      uiUrl: uiPort ? `http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${uiPort}` : undefined,
      args: ['server', 'start-dev', '--port', String(port), ...ui, ...common],
    };
  };
  let launch = await choosePorts();
  const pidFile = options.pidFile;
  let current = spawnServer(options.cliPath, launch.args, pidFile);
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await stopChild(current.child, current.exited);
    if (pidFile) rmSync(pidFile, { force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let rebinds = 0;
  for (;;) {
    if (current.gone()) {
      // A free port is free when someone looks: another process can take it before the server binds it
      // (seen in CI, with parallel test servers). The CLI picks its HTTP API and metrics ports itself
      // and picks again; the ports drawn here are drawn again. A port the caller chose is the caller's.
      if (rebinds < 3 && /address already in use/.test(current.output())) {
        rebinds += 1;
        launch = await choosePorts();
        options.log.warn(
          { attempt: rebinds },
          'Temporal dev server lost a port to another process; starting it again',
        );
        current = spawnServer(options.cliPath, launch.args, pidFile);
        continue;
      }
      throw new DevServerStartError(`temporal server start-dev exited early`, current.output());
    }
    if (Date.now() > deadline) {
      await stop();
      throw new DevServerStartError(
        `temporal server start-dev did not answer on ${launch.address} in time`,
        current.output(),
      );
    }
    if (await answers(launch.address)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const { args, address, uiUrl } = launch;
  options.log.info({ address, ui: uiUrl, dbFile: options.dbFile }, 'Temporal dev server is up');

  // Supervised: a dev server that dies (killed, out of memory) is started again on the same file and
  // port; the worker and clients reconnect by themselves, and nothing it had committed is lost.
  // One that ran for a minute counts as healthy: its next failure starts the back-off from the beginning.
  const supervise = (server: RunningServer, restarts: number) => {
    void server.exited.then(async (code) => {
      if (stopping) return;
      const attempt = Date.now() - server.startedAt > 60_000 ? 0 : restarts;
      const wait = Math.min(500 * 2 ** attempt, 30_000);
      options.log.error(
        { code, output: server.output().slice(-2000), restartInMs: wait },
        'the Temporal dev server stopped unexpectedly; starting it again on the same file',
      );
      await new Promise((r) => setTimeout(r, wait));
      if (stopping) return;
      current = spawnServer(options.cliPath, args, pidFile);
      supervise(current, attempt + 1);
    });
  };
  supervise(current, 0);
  return { address, uiUrl, stop };
}

interface RunningServer {
  child: ChildProcess;
  startedAt: number;
  exited: Promise<number | null>;
  gone(): boolean;
  /** Its last output (for errors). */
  output(): string;
}

function spawnServer(cliPath: string, args: readonly string[], pidFile: string | undefined): RunningServer {
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (pidFile && child.pid) writeFileSync(pidFile, String(child.pid));
  // The first 2,000 characters (a panic's message) and the last 6,000 (its stack's end, or the latest lines).
  let head = '';
  let tail = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    if (head.length < 2000) head += text.slice(0, 2000 - head.length);
    tail = (tail + text).slice(-6000);
  };
  const output = () => (tail.startsWith(head) || head.length < 2000 ? tail : `${head}\n…\n${tail}`);
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let gone = false;
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      gone = true;
      done(code);
    }),
  );
  child.once('error', (err) => keep(Buffer.from(String(err))));
  return { child, startedAt: Date.now(), exited, gone: () => gone, output };
}

async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Stops a dev server that an earlier, killed Reflex left behind (only if it is one). */
async function stopOrphan(pidFile: string, log: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // gone already
  }
  if (!cmdline.includes('start-dev')) return; // the pid was reused by something else
  log.warn({ pid }, 'stopping a Temporal dev server left running by an earlier Reflex');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  while (existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 50));
}
