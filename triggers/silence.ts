// Silent sources: a webhook sender or a log source that says how often it speaks (`expectEvery`) and
// then stops is the failure people learn about during an attack. Deliveries are noted in memory (no
// database work on the intake path) and flushed every few seconds; a watcher compares each watched
// source's last delivery with its period and raises one alert when it falls silent and one when it
// speaks again. The alerts go through the same routing as any other (the shipped notify-on-call
// playbook takes them), so they are durable, e-mailed and on the record.
import type { Logger } from 'pino';
import type { Alert } from '../workflows/model/alert';
import { toMs } from '../workflows/model/durations';
import { entitiesSchema } from './alert-schema';

/** A source Reflex expects to hear from, and how often at least. */
export interface WatchedSource {
  name: string;
  /** webhook, file or syslog: said in the message. */
  kind: 'webhook' | 'file' | 'syslog';
  expectEvery: string;
}

/** One source's record (storage/source-activity.ts). */
export interface SourceActivityRow {
  source: string;
  /** When Reflex first watched it: a source never heard from is silent one period after this. */
  firstExpectedAt: string;
  lastSeenAt?: string;
  silentSince?: string;
}

/** The store of last deliveries and silences; its claims are atomic across servers. */
export interface SourceActivityStore {
  /** Records the newest delivery per source (never moves a time back). */
  record(seen: ReadonlyMap<string, Date>): Promise<void>;
  /** Rows for `sources`, created now for those never watched before. */
  watch(sources: readonly string[]): Promise<SourceActivityRow[]>;
  list(): Promise<SourceActivityRow[]>;
  /** Marks the source silent if it still is and nobody marked it; the row, or undefined. */
  claimSilence(source: string, heardBefore: Date): Promise<SourceActivityRow | undefined>;
  /** Clears the silence if it spoke since; the silence's start, or undefined. */
  claimRecovery(source: string): Promise<{ silentSince: string; lastSeenAt: string } | undefined>;
  /** Puts a claim back (its alert could not be delivered; the next check tries again). */
  unclaim(source: string, silentSince: string | null): Promise<void>;
}

/** The one place deliveries are noted: in memory, flushed by the watcher. */
export class SourceActivity {
  private pending = new Map<string, Date>();

  seen(source: string, at = new Date()): void {
    const before = this.pending.get(source);
    if (!before || before < at) this.pending.set(source, at);
  }

  /** What was seen since the last call. */
  take(): Map<string, Date> {
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  /** Puts back what could not be written. */
  restore(seen: ReadonlyMap<string, Date>): void {
    for (const [source, at] of seen) this.seen(source, at);
  }
}

/** The alert that says a source fell silent, or spoke again. */
export function silenceAlert(
  source: WatchedSource,
  event:
    { kind: 'silent'; since: string; lastSeenAt?: string } | { kind: 'recovered'; since: string; at: string },
): Alert {
  const now = new Date().toISOString();
  const what = source.kind === 'webhook' ? 'webhook source' : `${source.kind} log source`;
  const last = event.kind === 'silent' ? event.lastSeenAt : undefined;
  return {
    source: 'reflex',
    externalId: `source-${event.kind}:${source.name}:${event.since}`,
    type: event.kind === 'silent' ? 'source-silent' : 'source-recovered',
    typeReason: 'Reflex watches the sources that say how often they speak (expectEvery)',
    title:
      event.kind === 'silent'
        ? `The ${what} "${source.name}" has been silent: ${last ? `nothing since ${last}` : 'never heard from'}, expected every ${source.expectEvery}`
        : `The ${what} "${source.name}" speaks again (at ${event.at}; silent since ${event.since})`,
    severity: event.kind === 'silent' ? 'medium' : 'informational',
    occurredAt: now,
    receivedAt: now,
    entities: entitiesSchema.parse({}),
    raw: { ...event, source: source.name, sourceKind: source.kind, expectEvery: source.expectEvery },
  };
}

export interface SilenceWatcherOptions {
  sources: readonly WatchedSource[];
  activity: SourceActivity;
  store: SourceActivityStore;
  /** Delivers an alert (routing, incident); throws when it was not accepted. */
  deliver: (alert: Alert) => Promise<unknown>;
  /** Each check's outcome, for the metrics. */
  onChecked?: (rows: readonly SourceActivityRow[]) => void;
  log: Logger;
  everyMs: number;
}

/** Checks the watched sources every `everyMs`; one server's claim wins each silence and recovery. */
export class SilenceWatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly byName: Map<string, WatchedSource>;

  constructor(private readonly options: SilenceWatcherOptions) {
    this.byName = new Map(options.sources.map((s) => [s.name, s]));
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.check()
        .catch((err: unknown) => this.options.log.warn({ err }, 'silent sources: check failed; will retry'))
        .finally(() => {
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.options.everyMs);
            this.timer.unref();
          }
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.flush().catch(() => undefined);
  }

  async flush(): Promise<void> {
    const seen = this.options.activity.take();
    if (seen.size === 0) return;
    try {
      await this.options.store.record(seen);
    } catch (err) {
      this.options.activity.restore(seen);
      throw err;
    }
  }

  /** One check: flush what was seen, then raise what fell silent and what spoke again. */
  async check(now = new Date()): Promise<void> {
    await this.flush();
    const rows = await this.options.store.watch([...this.byName.keys()]);
    for (const row of rows) {
      const source = this.byName.get(row.source);
      if (!source) continue;
      if (row.silentSince) {
        if (row.lastSeenAt && row.lastSeenAt > row.silentSince) await this.recovered(source);
        continue;
      }
      const heard = Date.parse(row.lastSeenAt ?? row.firstExpectedAt);
      if (now.getTime() - heard > toMs(source.expectEvery)) {
        await this.silent(source, new Date(now.getTime() - toMs(source.expectEvery)));
      }
    }
    this.options.onChecked?.(await this.options.store.list());
  }

  private async silent(source: WatchedSource, heardBefore: Date): Promise<void> {
    const claimed = await this.options.store.claimSilence(source.name, heardBefore);
    if (!claimed?.silentSince) return;
    try {
      await this.options.deliver(
        silenceAlert(source, { kind: 'silent', since: claimed.silentSince, lastSeenAt: claimed.lastSeenAt }),
      );
      this.options.log.warn({ source: source.name }, 'source is silent: on-call is told');
    } catch (err) {
      await this.options.store.unclaim(source.name, null);
      throw err;
    }
  }

  private async recovered(source: WatchedSource): Promise<void> {
    const claimed = await this.options.store.claimRecovery(source.name);
    if (!claimed) return;
    try {
      await this.options.deliver(
        silenceAlert(source, { kind: 'recovered', since: claimed.silentSince, at: claimed.lastSeenAt }),
      );
      this.options.log.info({ source: source.name }, 'source speaks again: on-call is told');
    } catch (err) {
      await this.options.store.unclaim(source.name, claimed.silentSince);
      throw err;
    }
  }
}
