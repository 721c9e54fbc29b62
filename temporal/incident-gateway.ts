// The one gateway between Reflex and Temporal about incidents: open (start or join), drills, decisions,
// resolutions, aborts, state, listing and history. It owns workflow ids, memo, deadlines, eager start
// and the opened-at cache, and turns the client's errors into a few domain errors (common/errors.ts)
// that every caller maps in one place. Nothing else in Reflex calls `client.workflow`.
import { createHash, randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { runPlaybook } from '../workflows';
import {
  abortIncidentUpdate,
  alertJoinedSignal,
  decideApprovalUpdate,
  incidentStateQuery,
  resolveIncidentUpdate,
  type CloseInput,
  type DecideApprovalInput,
  type DecideApprovalResult,
} from '../workflows/messages';
import type { Alert } from '../workflows/model/alert';
import type {
  Contacts,
  IncidentInput,
  IncidentState,
  Organisation,
  ResolvedPlaybook,
} from '../workflows/model/incident';
import { toMs } from '../workflows/model/durations';
import { render } from '../workflows/model/template';
import type { LoadedPlaybook } from '../playbooks/load';
import {
  IncidentClosedError,
  IncidentNotFoundError,
  IncidentRefusedError,
  TemporalUnavailableError,
} from '../common/errors';

export interface IncidentGatewayOptions {
  client: Client;
  taskQueue: string;
  /** The address book every incident carries, pinned at its start. */
  contacts: Contacts;
  /** The organisation every incident carries; `publicUrl` goes into e-mailed links. */
  organisation: Organisation;
  /**
   * This process runs a worker on the client's own connection: ask Temporal to hand the first
   * workflow task back in the start response (one round trip fewer on the hot path). @default false
   */
  eagerStart?: boolean;
  /**
   * How long a start, join or describe may take before the caller is told to retry; queries and an
   * Update's acceptance, which need a worker, get three times as long. @default 5000
   */
  deadlineMs?: number;
  /**
   * The playbook as an incident pins it: by default as loaded; the server adds the board's sign-off
   * (and, for a playbook changed since, the approvals the configuration asks). In memory: no round trip.
   */
  pin?: (playbook: LoadedPlaybook) => ResolvedPlaybook;
}

/** Where an alert went. */
export interface IncidentRef {
  incidentId: string;
  playbook: string;
  deduplicated: boolean;
  /** For a duplicate: joined onto the running incident's timeline (always, when answered). */
  joined?: boolean;
}

/** What Temporal knows of an incident now. */
export interface LiveIncident {
  workflow: {
    /** The workflow type: `runPlaybook`. */
    type: string;
    status: string;
    runId: string;
    startTime: string;
    closeTime?: string;
    /** What the start wrote: playbook id and version, drill, openedAt (the dedup window's start). */
    memo: Record<string, unknown>;
  };
  /** The workflow's own view; absent when no worker answered in time. */
  state?: IncidentState;
}

/** A row of {@link IncidentGateway.list}. */
export interface IncidentListing {
  incidentId: string;
  status: string;
  startTime: string;
  playbookId?: string;
  drill: boolean;
}

/** What an incident id looks like (a playbook id, a dash, a digest or a drill's random part). */
export const INCIDENT_ID = /^[a-z0-9][a-z0-9-]{0,127}$/;

/** Open incidents one dedup key may have side by side (each past the previous one's window). */
const MAX_INCIDENTS_PER_KEY = 50;
/** Opened-at times remembered (one describe per incident otherwise). */
const OPENED_CACHE = 10_000;

/**
 * The incident id for `alert` under `playbook`: the playbook id plus a digest of its rendered
 * dedup key, so the same key always lands on the same workflow id.
 */
export function incidentIdFor(alert: Alert, playbook: LoadedPlaybook): string {
  const key = String(render(playbook.definition.dedup.key, { alert, entities: alert.entities }));
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 20);
  return `${playbook.definition.id}-${digest}`;
}

export class IncidentGateway {
  private readonly client: Client;
  private readonly deadlineMs: number;
  /** When running incidents were opened, learned at start or from their memo. */
  private readonly opened = new Map<string, number>();

  constructor(private readonly options: IncidentGatewayOptions) {
    this.client = options.client;
    this.deadlineMs = options.deadlineMs ?? 5_000;
  }

  /**
   * Starts the playbook's incident for `alert`, or joins the running one with the same dedup key
   * while its window lasts. Resolves only once Temporal has durably recorded the start or the join;
   * anything else throws {@link TemporalUnavailableError}, so a sender retries and nothing is lost.
   * `intakeId` names the intake journal row the alert came from: opening the same row twice (drained
   * again after a crash) starts nothing new and puts the alert on the timeline once.
   */
  async open(
    playbook: LoadedPlaybook,
    alert: Alert,
    drill: boolean,
    intakeId?: string,
  ): Promise<IncidentRef> {
    const base = incidentIdFor(alert, playbook);
    const windowMs = toMs(playbook.resolved.dedupWindow);
    const ref = (incidentId: string, deduplicated: boolean) => ({
      incidentId,
      playbook: playbook.resolved.id,
      deduplicated,
    });
    // The first incident for a dedup key has the plain id; once its window has passed while it still
    // runs, a repeat opens the next one (`-2`, `-3`, …), which then takes in repeats for its own window.
    for (let n = 1; n <= MAX_INCIDENTS_PER_KEY; n++) {
      const incidentId = n === 1 ? base : `${base}-${n}`;
      if (await this.start(incidentId, playbook, alert, drill, intakeId)) return ref(incidentId, false);
      if (Date.now() - (await this.openedAt(incidentId)) <= windowMs) {
        await this.join(incidentId, alert, intakeId);
        return { ...ref(incidentId, true), joined: true };
      }
    }
    throw new TemporalUnavailableError(
      new Error(`more than ${MAX_INCIDENTS_PER_KEY} open incidents for one dedup key`),
    );
  }

  /** Starts `playbook` as a drill under a fresh id: dry-run actions, DRILL on the timeline. */
  async drill(playbook: LoadedPlaybook, alert: Alert): Promise<string> {
    const incidentId = `${playbook.definition.id}-drill-${randomBytes(6).toString('hex')}`;
    await this.start(incidentId, playbook, alert, true);
    return incidentId;
  }

  /** An approver's decision on a step waiting for approval. */
  decide(incidentId: string, input: DecideApprovalInput): Promise<DecideApprovalResult> {
    return this.update(incidentId, decideApprovalUpdate, input);
  }

  /** Closes a contained incident, or marks it a false positive (which undoes what Reflex did). */
  resolve(
    incidentId: string,
    input: CloseInput & { as: 'contained' | 'false-positive' },
  ): Promise<IncidentState> {
    return this.update(incidentId, resolveIncidentUpdate, input);
  }

  /** Stops the incident and undoes what Reflex did. */
  abort(incidentId: string, input: CloseInput): Promise<IncidentState> {
    return this.update(incidentId, abortIncidentUpdate, input);
  }

  /**
   * The workflow's own view of the incident. A query needs a worker: after a worker restart Temporal
   * first waits out the old worker's sticky queue (5 s), so a query's deadline is longer than a start's.
   */
  async state(incidentId: string): Promise<IncidentState> {
    try {
      return await this.client.withDeadline(Date.now() + this.deadlineMs * 3, () =>
        this.client.workflow.getHandle(incidentId).query(incidentStateQuery),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new IncidentNotFoundError(incidentId);
      throw new TemporalUnavailableError(err);
    }
  }

  /** What Temporal knows of the incident; undefined when it holds no such workflow. */
  async get(incidentId: string): Promise<LiveIncident | undefined> {
    const description = await this.describe(incidentId);
    if (!description) return undefined;
    const state = await this.state(incidentId).catch(() => undefined);
    return {
      workflow: {
        type: description.type,
        status: description.status.name,
        runId: description.runId,
        startTime: description.startTime.toISOString(),
        closeTime: description.closeTime?.toISOString(),
        memo: description.memo ?? {},
      },
      state,
    };
  }

  /**
   * Incidents on this task queue, newest first, from Temporal's visibility store: every run (a
   * continued-as-new incident has several), or only running ones, or only those of one incident id.
   */
  async list(
    options: { running?: boolean; incidentId?: string; limit?: number } = {},
  ): Promise<IncidentListing[]> {
    const quoted = (value: string) => `'${value.replace(/[^A-Za-z0-9._-]/g, '')}'`;
    const query = [
      `WorkflowType = 'runPlaybook'`,
      `TaskQueue = ${quoted(this.options.taskQueue)}`,
      ...(options.running ? [`ExecutionStatus = 'Running'`] : []),
      ...(options.incidentId ? [`WorkflowId = ${quoted(options.incidentId)}`] : []),
    ].join(' AND ');
    const found: IncidentListing[] = [];
    try {
      for await (const w of this.client.workflow.list({ query, pageSize: 100 })) {
        found.push({
          incidentId: w.workflowId,
          status: w.status.name,
          startTime: w.startTime.toISOString(),
          playbookId: typeof w.memo?.playbookId === 'string' ? w.memo.playbookId : undefined,
          drill: w.memo?.drill === true,
        });
        if (found.length >= (options.limit ?? 100)) break;
      }
    } catch (err) {
      throw new TemporalUnavailableError(err);
    }
    return found;
  }

  /** The incident's workflow history (for the stored-history replay test and investigators). */
  async history(incidentId: string): Promise<History> {
    try {
      return await this.client.workflow.getHandle(incidentId).fetchHistory();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new IncidentNotFoundError(incidentId);
      throw new TemporalUnavailableError(err);
    }
  }

  /** Starts one incident workflow; false when one with that id is already running. */
  private async start(
    incidentId: string,
    playbook: LoadedPlaybook,
    alert: Alert,
    drill: boolean,
    intakeId?: string,
  ): Promise<boolean> {
    const openedAt = new Date().toISOString();
    const input: IncidentInput = {
      incidentId,
      playbook: this.options.pin?.(playbook) ?? playbook.resolved,
      alert,
      contacts: playbook.contacts ?? this.options.contacts,
      organisation: this.options.organisation,
      drill,
      ...(intakeId !== undefined ? { intakeId } : {}),
    };
    try {
      // A bounded wait: a sender gets a prompt 503 rather than a hung request when Temporal is down.
      await this.bounded(() =>
        this.client.workflow.start(runPlaybook, {
          workflowId: incidentId,
          taskQueue: this.options.taskQueue,
          args: [input],
          // openedAt travels through continue-as-new (memos are carried over): the dedup window's start.
          memo: {
            playbookId: playbook.resolved.id,
            playbookVersion: playbook.resolved.version,
            drill,
            openedAt,
          },
          requestEagerStart: this.options.eagerStart ?? false,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      // Anything else means the alert is not durably recorded: the sender must retry, never a 2xx.
      throw new TemporalUnavailableError(err);
    }
    this.remember(incidentId, Date.parse(openedAt));
    return true;
  }

  /**
   * Puts a repeat alert on the running incident's timeline with a signal, which Temporal writes to
   * the incident's history before it answers. Anything but acceptance (Temporal slow or down, or the
   * incident finished a moment ago) throws, so the sender retries: a 2xx always means it is on record.
   */
  private async join(incidentId: string, alert: Alert, intakeId?: string): Promise<void> {
    const handle = this.client.workflow.getHandle(incidentId);
    try {
      await this.bounded(() =>
        intakeId !== undefined
          ? handle.signal(alertJoinedSignal, alert, intakeId)
          : handle.signal(alertJoinedSignal, alert),
      );
    } catch (err) {
      throw new TemporalUnavailableError(err);
    }
  }

  private async openedAt(incidentId: string): Promise<number> {
    const known = this.opened.get(incidentId);
    if (known !== undefined) return known;
    const description = await this.describe(incidentId);
    if (!description) throw new TemporalUnavailableError(new Error(`incident ${incidentId} vanished`));
    // Incidents opened before the memo carried openedAt: their run's start time.
    const memo = description.memo?.openedAt;
    const at = typeof memo === 'string' ? Date.parse(memo) : description.startTime.getTime();
    this.remember(incidentId, at);
    return at;
  }

  private remember(incidentId: string, at: number): void {
    this.opened.set(incidentId, at);
    if (this.opened.size > OPENED_CACHE) this.opened.delete(this.opened.keys().next().value!);
  }

  /** The workflow's description; undefined when Temporal holds no workflow by that id. */
  private async describe(incidentId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.bounded(() => this.client.workflow.getHandle(incidentId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw new TemporalUnavailableError(err);
    }
  }

  /**
   * Runs an Update and translates its failures: the incident refused (its validator's reason), the
   * incident is closed (Updates reach only running workflows) or unknown, or Temporal is unreachable.
   * Acceptance is bounded in time (a caller learns at once when Temporal or the worker is away); the
   * outcome is not, since closing an incident waits for its compensations.
   */
  private async update<Ret, Arg>(
    incidentId: string,
    definition: UpdateDefinition<Ret, [Arg]>,
    input: Arg,
  ): Promise<Ret> {
    try {
      // Acceptance needs a worker, like a query: the longer deadline.
      const accepted = await this.client.withDeadline(Date.now() + this.deadlineMs * 3, () =>
        this.client.workflow
          .getHandle(incidentId)
          .startUpdate(definition, { args: [input], waitForStage: WorkflowUpdateStage.ACCEPTED }),
      );
      return await accepted.result();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = (err.cause as Error | undefined)?.message ?? 'refused by the incident';
        throw new IncidentRefusedError(incidentId, reason);
      }
      if (err instanceof WorkflowNotFoundError) {
        // Tell a finished incident from one that never was.
        if (await this.describe(incidentId)) throw new IncidentClosedError(incidentId);
        throw new IncidentNotFoundError(incidentId);
      }
      throw new TemporalUnavailableError(err);
    }
  }

  private bounded<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.deadlineMs, fn);
  }
}
