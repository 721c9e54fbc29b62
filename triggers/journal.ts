// The intake journal (docs/decisions/004-intake-journal.md): an authenticated, routed alert is written
// to the audit database before the 202, so the answer no longer waits for Temporal's start. When
// Temporal keeps up, the intake opens the incident at once, as before; during a storm, or while
// Temporal is down, the drainer opens the journalled alerts, oldest first, on every server.
import type { Alert } from '../workflows/model/alert';
import type { LoadedPlaybook } from '../playbooks/load';
import type { IncidentGateway, IncidentRef } from '../temporal/incident-gateway';
import type { Logger } from '../common/logger';
import { TemporalUnavailableError } from '../common/errors';

/** A journalled alert, as the drainer reads it back. */
export interface JournalEntry {
  id: string;
  source: string;
  alert: Alert;
  drill: boolean;
  /** The playbooks it was routed to at intake. */
  playbooks: string[];
  /** The (first) incident it was expected to open or join at intake: its dedup key. */
  incidentId: string;
  /** How many times it has been handed out (to the intake's own attempt or a drainer). */
  attempts: number;
}

/** Where the journal is kept (storage/intake-journal.ts). */
export interface JournalStore {
  /**
   * Writes the alert durably, in one statement with its delivery id's claim: `insert` claims the id
   * already settled with `incidentId` (undefined and nothing written when the id was claimed before),
   * `settle` settles a claim taken before, `none`: no delivery id. `deferred`: the intake will not
   * open it itself, so a drainer may take it now; otherwise it is leased to the intake's own attempt
   * for `leaseMs`.
   */
  append(entry: {
    claim: 'insert' | 'settle' | 'none';
    source: string;
    deliveryId?: string;
    alert: Alert;
    drill: boolean;
    playbooks: string[];
    incidentId: string;
    deferred: boolean;
    leaseMs: number;
  }): Promise<string | undefined>;
  /** Marks alerts opened (their incidents started or joined), in one statement. */
  opened(rows: ReadonlyArray<{ id: string; incidentIds: string[] }>): Promise<void>;
  /** Hands the alert back to the drainers after `delayMs` (its attempt failed). */
  retry(id: string, delayMs: number): Promise<void>;
  /** Gives up on an alert that cannot be opened (its playbooks are gone, or it failed too often). */
  fail(id: string, reason: string): Promise<void>;
  /** Takes up to `limit` alerts no attempt holds, oldest first, leased for `leaseMs`. */
  take(limit: number, leaseMs: number): Promise<JournalEntry[]>;
  /** Alerts not opened yet, and the age of the oldest. */
  backlog(): Promise<{ pending: number; oldestSeconds: number }>;
  /** Alerts given up on (kept until retried), and when the first of them arrived. */
  failures(): Promise<{ failed: number; firstAt?: string }>;
  /** Hands every failed alert back to the drainers with its attempts reset; how many. */
  requeueFailed(): Promise<number>;
  /** Forgets opened alerts older than `days` (failed ones stay until retried). */
  prune(days?: number): Promise<number>;
}

/**
 * How long the intake waits for its own attempt before answering "journalled, opening shortly": the
 * gateway's deadline for one call, so whenever Temporal answers at all the 202 says what it did.
 */
export const OPEN_WAIT_MS = 5_000;
/**
 * An attempt's lease, after which a drainer takes the alert over (its server died, or Temporal is
 * slow). Shorter than the gateway's longest open (3 calls × 5 s) on purpose: a second attempt of the
 * same alert opens nothing twice (the journal id), so a short lease only costs a repeated call.
 */
export const ATTEMPT_LEASE_MS = 10_000;

/**
 * How long opened marks gather before one statement writes them. Off the answer's path and far under
 * the attempt's lease, so the only cost of a longer window is marks a crash loses (each a repeated,
 * no-op opening); at 20 alerts/s 250 ms makes one statement of about five marks where 50 ms made one
 * of each (docs/BENCHMARKS.md, "Mail in a storm").
 */
export const MARK_WINDOW_MS = 250;

/** Openings the intake runs itself at once; beyond that an alert is left to the drainers. */
export const OPENINGS_IN_FLIGHT = 16;
/** Attempts before an alert is given up on (about an hour of Temporal being down, with back-off). */
export const MAX_ATTEMPTS = 120;

export interface JournalOptions {
  store: JournalStore;
  gateway: Pick<IncidentGateway, 'open'>;
  playbooks: () => readonly LoadedPlaybook[];
  log: Logger;
  /** Journalled alerts above which the intake answers 503 (a flood cannot fill the disk). @default 100000 */
  maxPending?: number;
  /** Openings the intake runs itself at once; beyond them an alert is left to the drainer. @default 256 */
  openingsInFlight?: number;
  /** Openings in flight below which the intake's answer waits for Temporal's. @default 16 */
  answerWaitsBelow?: number;
  /** How often a drainer looks for alerts it may take when nobody wakes it. @default 1000 */
  pollMs?: number;
  /** Openings a drainer runs at once. @default 16 */
  concurrency?: number;
  /** Told the backlog after each look (for /metrics). */
  onBacklog?: (backlog: { pending: number; oldestSeconds: number }) => void;
}

/**
 * Opens journalled alerts. One per server process: the intake hands it alerts it will not open
 * itself, and it takes over those whose attempt died (a crash, Temporal down) when their lease ends.
 */
export class IntakeJournal {
  readonly store: JournalStore;
  private readonly maxPending: number;
  private pending = 0;
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private wakeAgain = false;
  private stopped = false;
  /** Opened alerts whose mark is not written yet (written together, off the answer's path). */
  private marks: Array<{ id: string; incidentIds: string[] }> = [];
  private marking?: Promise<void>;

  constructor(private readonly options: JournalOptions) {
    this.store = options.store;
    this.maxPending = options.maxPending ?? 100_000;
  }

  /** The backlog, as last measured, is at its bound: the intake refuses new alerts. */
  get full(): boolean {
    return this.pending >= this.maxPending;
  }

  /** Whether the intake's answer should wait for Temporal's (few openings in flight: no storm). */
  get answerWaits(): boolean {
    return this.inFlight < (this.options.answerWaitsBelow ?? 16);
  }

  /** Takes a slot for the intake's own opening; false when enough are in flight (leave it to the drainer). */
  acquire(): boolean {
    if (this.inFlight >= (this.options.openingsInFlight ?? 256)) return false;
    this.inFlight += 1;
    return true;
  }

  release(): void {
    this.inFlight -= 1;
  }

  /** Opens `entry`'s incidents; a duplicate of an alert already opened changes nothing (the journal id). */
  async open(
    entry: Pick<JournalEntry, 'id' | 'alert' | 'drill'>,
    playbooks: readonly LoadedPlaybook[],
  ): Promise<IncidentRef[]> {
    return Promise.all(
      playbooks.map((p) => this.options.gateway.open(p, entry.alert, entry.drill, entry.id)),
    );
  }

  /**
   * Marks an alert opened. Marks are written together, at most MARK_WINDOW_MS later: a mark lost to a
   * crash only means the alert is opened once more, which the journal id turns into a no-op.
   */
  opened(id: string, incidentIds: string[]): Promise<void> {
    this.marks.push({ id, incidentIds });
    this.marking ??= new Promise<void>((resolve) => setTimeout(resolve, MARK_WINDOW_MS)).then(() =>
      this.writeMarks(),
    );
    return this.marking;
  }

  private async writeMarks(): Promise<void> {
    const rows = this.marks.splice(0, this.marks.length);
    this.marking = undefined;
    await this.store
      .opened(rows)
      .catch((err: unknown) =>
        this.options.log.warn(
          { err, rows: rows.length },
          'intake journal: marks not written; those alerts are opened again',
        ),
      );
  }

  /** Starts the drainer: it looks every `pollMs`, and at once when woken. */
  start(): void {
    const poll = () => {
      this.timer = setTimeout(() => {
        this.wake();
        poll();
      }, this.options.pollMs ?? 1_000);
      this.timer.unref();
    };
    poll();
    this.wake();
  }

  /** Drains now (or right after the pass under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.options.log.warn({ err }, 'intake journal: drain failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.wakeAgain) {
          this.wakeAgain = false;
          this.wake();
        }
      });
  }

  /** Stops looking; waits for the pass under way and writes the last marks. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.marking;
  }

  private async drain(): Promise<void> {
    const concurrency = this.options.concurrency ?? 16;
    for (;;) {
      const backlog = await this.store.backlog();
      this.pending = backlog.pending;
      this.options.onBacklog?.(backlog);
      if (backlog.pending === 0 || this.stopped) return;
      const entries = await this.store.take(concurrency * 4, ATTEMPT_LEASE_MS);
      if (entries.length === 0) return;
      // One dedup key's alerts in their order (a join after its start); different keys side by side.
      const byKey = new Map<string, JournalEntry[]>();
      for (const entry of entries)
        byKey.set(entry.incidentId, [...(byKey.get(entry.incidentId) ?? []), entry]);
      const queues = [...byKey.values()];
      await Promise.all(
        Array.from({ length: Math.min(concurrency, queues.length) }, async () => {
          for (let queue = queues.shift(); queue; queue = queues.shift()) {
            for (const entry of queue) await this.drainOne(entry);
          }
        }),
      );
      if (this.stopped) return;
    }
  }

  private async drainOne(entry: JournalEntry): Promise<void> {
    const all = this.options.playbooks();
    const playbooks = entry.playbooks.flatMap((id) => all.filter((p) => p.resolved.id === id));
    if (playbooks.length === 0) {
      await this.store.fail(entry.id, `no playbook ${entry.playbooks.join(', ')} is loaded any more`);
      this.options.log.error(
        { journal: entry.id, playbooks: entry.playbooks },
        'intake journal: an alert routed to a playbook that is no longer loaded was not opened',
      );
      return;
    }
    try {
      const refs = await this.open(entry, playbooks);
      void this.opened(
        entry.id,
        refs.map((r) => r.incidentId),
      );
    } catch (err) {
      if (entry.attempts >= MAX_ATTEMPTS) {
        await this.store.fail(entry.id, (err as Error).message);
        this.options.log.error(
          { journal: entry.id, attempts: entry.attempts, err },
          'intake journal: an alert could not be opened after every attempt; it is kept as failed',
        );
        return;
      }
      // Temporal down or slow: back off (up to 30 s) and try again; anything else is logged.
      if (!(err instanceof TemporalUnavailableError)) {
        this.options.log.warn({ journal: entry.id, err }, 'intake journal: opening an alert failed');
      }
      await this.store.retry(entry.id, Math.min(30_000, 500 * 2 ** Math.min(entry.attempts, 6)));
    }
  }
}
