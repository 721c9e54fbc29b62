// Log triggers at run time: tail files and listen for syslog, feed the records through the rules,
// deliver each firing through the same routing and de-duplication as a webhook, then store the file
// checkpoints and the rule state together. A firing is claimed by its id before delivery, so a batch
// read again after a crash cannot raise it twice; a batch that could not be delivered is read again.
// Attackers write the records: one that cannot be evaluated is skipped and recorded, never retried
// forever, and the syslog queue is bounded, its drops counted and recorded. A cycle runs every
// `pollMs`, and sooner when a syslog message arrives or a tailed file changes (at most one cycle per
// WAKE_MS then): a log line reaches its playbook without waiting for the next poll.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Alert } from '../../workflows/model/alert';
import { RuleEngine, type EngineState, type Firing, type LogRecord } from './engine';
import type { LoadedRule } from './rules';
import { FileTail, type FileSourceOptions } from './file-source';
import { SyslogListener, type SyslogOptions } from './syslog';

export interface LogState {
  engine?: EngineState;
  /** Where each pulled source is: a file's inode and offset, a Graph log's cursor. */
  checkpoints: Record<string, unknown>;
}

/** A source Reflex reads from (a file, a Graph log), with a position it can store and return to. */
export interface PullSource {
  readonly name: string;
  poll(): Promise<LogRecord[]>;
  readonly position: unknown;
  reset(position: unknown): void;
  /** What it skipped since the last call (a line too long to read), for the record. */
  takeSkipped?(): { records: number; reason: string } | undefined;
}

/**
 * The right to read the logs, when several servers could (the cluster): only its holder runs the
 * sources. Renewed every `renewMs`; it lapses when its holder stops renewing (a dead server), and
 * another takes it over from the saved checkpoints.
 */
export interface LogLease {
  /** Takes or renews the lease; true while this process holds it. */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
  readonly renewMs: number;
}

/** Records a source's trouble on the intake chain: records skipped, or dropped from a full queue. */
export type TroubleRecorder = (trouble: {
  kind: 'skipped' | 'dropped';
  source: string;
  records: number;
  reason: string;
}) => Promise<void>;

export interface LogStateStore {
  load(): Promise<LogState | undefined>;
  save(state: LogState): Promise<void>;
}

export interface FiringSink {
  /**
   * Records the firing id; false when it was delivered before. Throws while an earlier attempt may
   * still be delivering it (the batch is read again later).
   */
  claim(firingId: string): Promise<boolean>;
  release(firingId: string): Promise<void>;
  /** Delivers the firing's alert and records that it was delivered. */
  deliver(alert: Alert, drill: boolean, firingId: string): Promise<unknown>;
}

export interface LogTriggerOptions {
  rules: readonly LoadedRule[];
  files: ReadonlyArray<FileSourceOptions & { drill: boolean }>;
  syslog?: SyslogOptions & { drill: boolean };
  /** Other pulled sources (Graph logs), with whether their alerts are drills. */
  pulled?: ReadonlyArray<{ source: PullSource; drill: boolean }>;
  store: LogStateStore;
  sink: FiringSink;
  log: Logger;
  pollMs: number;
  /** Every firing, after delivery (for tests and metrics). */
  onFiring?: (firing: Firing) => void;
  /** Records skipped and dropped records (the intake chain). */
  onTrouble?: TroubleRecorder;
  /** Syslog records waiting for the next cycle, at most; beyond it new ones are dropped and counted. @default 10000 */
  maxQueuedRecords?: number;
  /** The rule engine; by default one over `rules`. */
  engine?: RuleEngine;
  /** Records arrived from a source (for silent sources). */
  onRecords?: (source: string) => void;
  /** Without one the sources run at once (one process has the database: the embedded default). */
  lease?: LogLease;
}

/** The shortest gap between cycles that arriving records ask for: a flood is batched, not a cycle each. */
export const WAKE_MS = 50;

export class LogTriggers {
  private readonly engine: RuleEngine;
  private readonly sources: PullSource[];
  private readonly drill = new Map<string, boolean>();
  private syslog?: SyslogListener;
  private pendingSyslog: LogRecord[] = [];
  private droppedSyslog = 0;
  /** The engine's group evictions already recorded. */
  private evictionsReported = 0;
  private saved: LogState = { checkpoints: {} };
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** A cycle is running; `wanted`: records arrived meanwhile, so the next one comes soon. */
  private busy = false;
  private wanted = false;
  private readonly watchers: FSWatcher[] = [];
  private cycles: Promise<void> = Promise.resolve();
  /** The sources run (this process holds the lease, or needs none). */
  private active = false;
  private leaseTimer?: NodeJS.Timeout;
  /** A take-or-renew in flight: stop waits for it, so a lease won meanwhile is given up too. */
  private holding?: Promise<void>;

  constructor(private readonly options: LogTriggerOptions) {
    this.engine = options.engine ?? new RuleEngine(options.rules);
    this.sources = [
      ...options.files.map((f) => new FileTail(f)),
      ...(options.pulled ?? []).map((p) => p.source),
    ];
    for (const f of options.files) this.drill.set(f.name, f.drill);
    for (const p of options.pulled ?? []) this.drill.set(p.source.name, p.drill);
    if (options.syslog) this.drill.set(options.syslog.name, options.syslog.drill);
  }

  get syslogPorts() {
    return { udp: this.syslog?.udpPort, tcp: this.syslog?.tcpPort };
  }

  /** Starts reading, or, with a lease, tries to take it now and then every `renewMs`. */
  async start(): Promise<void> {
    if (this.options.lease) await (this.holding = this.hold(this.options.lease));
    else await this.begin();
  }

  /** Takes or renews the lease; starts the sources when it is won, stops them when it is lost. */
  private async hold(lease: LogLease): Promise<void> {
    let held = false;
    try {
      held = await lease.acquire();
    } catch (err) {
      this.options.log.warn({ err }, 'log triggers: the lease could not be renewed');
    }
    if (this.stopped) return;
    if (held && !this.active) {
      this.options.log.info('log triggers: this process holds the lease; reading the logs');
      await this.begin();
    } else if (!held && this.active) {
      // Another process has them now (or the database is away): reading on could only repeat its work.
      this.options.log.warn('log triggers: the lease is lost; no longer reading the logs');
      await this.end();
    }
    if (!this.stopped)
      this.leaseTimer = setTimeout(() => void (this.holding = this.hold(lease)), lease.renewMs);
  }

  private async begin(): Promise<void> {
    this.active = true;
    this.saved = (await this.options.store.load()) ?? { checkpoints: {} };
    this.restore();
    if (this.options.syslog) {
      this.syslog = new SyslogListener(
        this.options.syslog,
        (record) => {
          // Bounded: a flood (or a stuck delivery) cannot grow the queue without end.
          if (this.pendingSyslog.length >= (this.options.maxQueuedRecords ?? 10_000)) this.droppedSyslog += 1;
          else this.pendingSyslog.push(record);
          this.wake();
        },
        (reason) => this.options.log.debug({ reason }, 'syslog message skipped'),
      );
      await this.syslog.start();
    }
    for (const file of this.options.files) this.watchFile(file.path);
    this.tick();
  }

  /** One cycle now (unless one is running); then the next after `pollMs`, or sooner if woken. */
  private readonly tick = (): void => {
    if (this.stopped || !this.active) return;
    clearTimeout(this.timer);
    this.busy = true;
    this.wanted = false;
    let delivered = true;
    this.running = this.cycle()
      .catch((err: unknown) => {
        delivered = false;
        this.options.log.warn({ err }, 'log triggers: batch not delivered; will retry');
      })
      .finally(() => {
        this.busy = false;
        if (this.stopped || !this.active) return;
        // After a failed delivery the retry waits a whole poll, however much arrives.
        this.timer = setTimeout(this.tick, this.wanted && delivered ? WAKE_MS : this.options.pollMs);
      });
  };

  /** Records are waiting: run a cycle soon rather than at the next poll. */
  private wake(): void {
    if (this.stopped || !this.active) return;
    if (this.busy) {
      this.wanted = true;
      return;
    }
    if (this.wanted) return; // a wake-up is already on its way
    this.wanted = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, WAKE_MS);
  }

  /**
   * Wakes the cycle when the file (or a file that replaces it) changes. Only a hint: polling still
   * reads every file every `pollMs`, so a missed or unsupported notification costs latency, not records.
   */
  private watchFile(path: string): void {
    try {
      const watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(path)) this.wake();
      });
      watcher.on('error', () => watcher.close());
      this.watchers.push(watcher);
    } catch {
      // The folder is not there (yet): polling finds the file when it comes.
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.leaseTimer);
    await this.holding;
    await this.end();
    await this.options.lease?.release().catch(() => undefined);
  }

  /** Stops the sources (the process stops, or lost the lease); the saved checkpoints stay. */
  private async end(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    for (const watcher of this.watchers.splice(0)) watcher.close();
    await this.running;
    await this.syslog?.stop();
    this.syslog = undefined;
    this.pendingSyslog = [];
  }

  /**
   * Runs one read–evaluate–deliver–save cycle (also what the timer does); one at a time, so a call
   * while one runs waits for it and then runs its own.
   */
  cycle(): Promise<void> {
    const next = this.cycles.then(() => this.readEvaluateDeliver());
    this.cycles = next.catch(() => undefined);
    return next;
  }

  private async readEvaluateDeliver(): Promise<void> {
    const records: LogRecord[] = [];
    const trouble: Array<Parameters<TroubleRecorder>[0]> = [];
    for (const source of this.sources) {
      try {
        records.push(...(await source.poll()));
      } catch (err) {
        // One unreadable source (a Graph permission missing, a file gone) does not stop the others.
        this.options.log.warn({ err, source: source.name }, 'log source could not be read; will retry');
      }
      const skipped = source.takeSkipped?.();
      if (skipped) trouble.push({ kind: 'skipped', source: source.name, ...skipped });
    }
    const syslog = this.pendingSyslog.splice(0);
    records.push(...syslog);
    for (const source of new Set(records.map((r) => r.source))) this.options.onRecords?.(source);
    if (this.droppedSyslog > 0 && this.options.syslog) {
      trouble.push({
        kind: 'dropped',
        source: this.options.syslog.name,
        records: this.droppedSyslog,
        reason: 'the queue of records waiting to be evaluated was full',
      });
      this.droppedSyslog = 0;
    }
    const unevaluated = new Map<string, { records: number; reason: string }>();
    try {
      for (const record of records) {
        let firings: Firing[];
        try {
          firings = this.engine.process(record);
        } catch (err) {
          // A record that cannot be evaluated is skipped, not retried forever: the next ones go on.
          const entry = unevaluated.get(record.source) ?? { records: 0, reason: (err as Error).message };
          entry.records += 1;
          unevaluated.set(record.source, entry);
          continue;
        }
        for (const firing of firings) await this.deliver(firing, record);
      }
    } catch (err) {
      // Not delivered: go back to the stored place, so the same records are read and evaluated again.
      this.restore();
      this.pendingSyslog.unshift(...syslog);
      await this.report(trouble);
      throw err;
    }
    for (const [source, { records: n, reason }] of unevaluated) {
      trouble.push({
        kind: 'skipped',
        source,
        records: n,
        reason: `could not be evaluated: ${reason.slice(0, 200)}`,
      });
    }
    const evicted = this.engine.evicted - this.evictionsReported;
    if (evicted > 0) {
      trouble.push({
        kind: 'dropped',
        source: 'rules',
        records: evicted,
        reason: 'rule groups forgotten, oldest first: a rule held more groups than its cap',
      });
      this.evictionsReported = this.engine.evicted;
    }
    await this.report(trouble);
    const checkpoints = Object.fromEntries(this.sources.map((s) => [s.name, s.position]));
    // Nothing read and no source moved (an empty blob or a skipped one moves a cursor): nothing to save.
    if (records.length === 0 && JSON.stringify(checkpoints) === JSON.stringify(this.saved.checkpoints))
      return;
    this.saved = { engine: structuredClone(this.engine.exportState()), checkpoints };
    await this.options.store.save(this.saved);
  }

  /** Logs and records a cycle's trouble; a failed record never stops the cycle. */
  private async report(trouble: ReadonlyArray<Parameters<TroubleRecorder>[0]>): Promise<void> {
    for (const t of trouble) {
      this.options.log.warn(t, t.kind === 'dropped' ? 'log records dropped' : 'log records skipped');
      await this.options
        .onTrouble?.(t)
        .catch((err: unknown) => this.options.log.warn({ err }, 'could not record skipped log records'));
    }
  }

  private restore(): void {
    this.engine.importState(this.saved.engine);
    for (const source of this.sources) source.reset(this.saved.checkpoints[source.name]);
  }

  private async deliver(firing: Firing, record: LogRecord): Promise<void> {
    const { sink, log } = this.options;
    if (!(await sink.claim(firing.firingId))) {
      log.info({ rule: firing.ruleId, firingId: firing.firingId }, 'rule firing already delivered');
      return;
    }
    try {
      await sink.deliver(firing.alert, this.drill.get(record.source) ?? false, firing.firingId);
    } catch (err) {
      await sink.release(firing.firingId).catch(() => undefined);
      throw err;
    }
    log.info({ rule: firing.ruleId, group: firing.group, why: firing.why }, 'rule fired');
    this.options.onFiring?.(firing);
  }
}
