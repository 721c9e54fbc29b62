// The cluster's processes: each in its own process group (so SIGKILL takes whatever it started), its
// output kept in a file and its tail in memory, and started again with the same arguments on demand.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Its stdout and stderr, appended across restarts. */
  logFile: string;
}

export class Managed {
  private child?: ChildProcess;
  private exitedPromise: Promise<number | null> = Promise.resolve(null);
  private tail = '';

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last 20,000 characters it wrote. */
  output(): string {
    return this.tail;
  }

  start(): this {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    const log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(this.spec.command, this.spec.args, {
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      this.tail = (this.tail + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exitedPromise = new Promise((done) =>
      child.once('exit', (code) => {
        log.end();
        done(code);
      }),
    );
    this.child = child;
    return this;
  }

  exited(): Promise<number | null> {
    return this.exitedPromise;
  }

  /** SIGKILL for it and its process group; resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(-this.child!.pid!, 'SIGKILL');
    } catch {
      /* gone already */
    }
    await this.exitedPromise;
  }

  /** `signal` (SIGTERM) to its process group, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(-this.child!.pid!, signal);
    } catch {
      /* gone already */
    }
    const timer = setTimeout(() => void this.kill(), graceMs);
    await this.exitedPromise;
    clearTimeout(timer);
  }
}

/** Polls `probe` every 200 ms until it is true; throws naming `what` (and the process's output) after `ms`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  ms: number,
  process?: Managed,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (process && !process.running)
      throw new Error(`${what}: ${process.spec.name} exited\n${process.output().slice(-4000)}`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${process?.output().slice(-4000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
