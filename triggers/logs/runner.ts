// Log triggers at run time: tail files and listen for syslog, feed the records through the rules,
// deliver each firing through the same routing and de-duplication as a webhook, then store the file
// checkpoints and the rule state together. A firing is claimed by its id before delivery, so a batch
// read again after a crash cannot raise it twice; a batch that could not be delivered is read again.
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
}

export interface LogStateStore {
  load(): Promise<LogState | undefined>;
  save(state: LogState): Promise<void>;
}

export interface FiringSink {
  /** Records the firing id; false when it was delivered before. */
  claim(firingId: string): Promise<boolean>;
  release(firingId: string): Promise<void>;
  deliver(alert: Alert, drill: boolean): Promise<unknown>;
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
}

export class LogTriggers {
  private readonly engine: RuleEngine;
  private readonly sources: PullSource[];
  private readonly drill = new Map<string, boolean>();
  private syslog?: SyslogListener;
  private pendingSyslog: LogRecord[] = [];
  private saved: LogState = { checkpoints: {} };
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: LogTriggerOptions) {
    this.engine = new RuleEngine(options.rules);
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

  async start(): Promise<void> {
    this.saved = (await this.options.store.load()) ?? { checkpoints: {} };
    this.restore();
    if (this.options.syslog) {
      this.syslog = new SyslogListener(
        this.options.syslog,
        (record) => this.pendingSyslog.push(record),
        (reason) => this.options.log.debug({ reason }, 'syslog message skipped'),
      );
      await this.syslog.start();
    }
    const tick = () => {
      if (this.stopped) return;
      this.running = this.cycle()
        .catch((err: unknown) =>
          this.options.log.warn({ err }, 'log triggers: batch not delivered; will retry'),
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.syslog?.stop();
  }

  /** Runs one read–evaluate–deliver–save cycle now (also what the timer does). */
  async cycle(): Promise<void> {
    const records: LogRecord[] = [];
    for (const source of this.sources) {
      try {
        records.push(...(await source.poll()));
      } catch (err) {
        // One unreadable source (a Graph permission missing, a file gone) does not stop the others.
        this.options.log.warn({ err, source: source.name }, 'log source could not be read; will retry');
      }
    }
    const syslog = this.pendingSyslog.splice(0);
    records.push(...syslog);
    if (records.length === 0) return;
    try {
      for (const record of records) {
        for (const firing of this.engine.process(record)) await this.deliver(firing, record);
      }
    } catch (err) {
      // Not delivered: go back to the stored place, so the same records are read and evaluated again.
      this.restore();
      this.pendingSyslog.unshift(...syslog);
      throw err;
    }
    this.saved = {
      engine: structuredClone(this.engine.exportState()),
      checkpoints: Object.fromEntries(this.sources.map((s) => [s.name, s.position])),
    };
    await this.options.store.save(this.saved);
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
      await sink.deliver(firing.alert, this.drill.get(record.source) ?? false);
    } catch (err) {
      await sink.release(firing.firingId).catch(() => undefined);
      throw err;
    }
    log.info({ rule: firing.ruleId, group: firing.group, why: firing.why }, 'rule fired');
    this.options.onFiring?.(firing);
  }
}
