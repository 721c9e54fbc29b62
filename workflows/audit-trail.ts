// Queues audit events in workflow order and writes them through one activity at a time, so the
// hash chain follows the incident's order and audit writes never hold up a containment step.
import { CancellationScope, condition } from '@temporalio/workflow';
import type { AuditContent, AuditEventInput, AuditKind } from './model/audit-events';

export type RecordEvents = (events: AuditEventInput[]) => Promise<void>;

export interface AuditTrailOptions {
  /** Numbering carried over from the previous run (continue-as-new). */
  startSeq?: number;
  /**
   * Whether a batch waits for the rest of the workflow task's work before it is written, so the events
   * one alert, step or decision produces go in one write (patch `audit-batches-coalesced`).
   */
  coalesce?: boolean;
}

export class AuditTrail {
  private readonly pending: AuditEventInput[] = [];
  private flushing: Promise<void> | undefined;
  private seq: number;
  private readonly coalesce: boolean;

  /**
   * @param chainId the incident id: every incident has its own hash chain
   * @param runId the workflow run id: with it, ids stay unique even when a workflow id is reused
   */
  constructor(
    private readonly chainId: string,
    private readonly runId: string,
    private readonly record: RecordEvents,
    options: AuditTrailOptions = {},
  ) {
    this.seq = options.startSeq ?? 0;
    this.coalesce = options.coalesce ?? false;
  }

  /** How many events this trail has numbered (carried across continue-as-new). */
  get sequence(): number {
    return this.seq;
  }

  /** Adds an event; it is written in the background, in order. */
  add<K extends AuditKind>(kind: K, actor: string, content: AuditContent[K]): void {
    this.seq += 1;
    this.pending.push({
      // Deterministic: a replay or an activity retry produces the same id, and the store writes it once.
      eventId: `${this.chainId}:${this.runId}:${this.seq}`,
      chainId: this.chainId,
      at: new Date().toISOString(),
      kind,
      actor,
      content,
    } as AuditEventInput);
    // Outside the caller's cancellation scope: closing an incident cancels its running steps, and a
    // write those steps started must still land (a cancelled write was lost, and its rejection failed
    // the workflow task over and over, so the close never got through).
    this.flushing ??= CancellationScope.nonCancellable(() => this.flush());
  }

  /** Resolves once every added event has been written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    if (this.coalesce) await workflowTaskSettled();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.pending.length);
      await this.record(batch);
    }
    this.flushing = undefined;
  }
}

/**
 * Resolves once the work the current workflow task set off has run as far as it can without new
 * input (the SDK evaluates blocked conditions only after the workflow's promise callbacks have all run).
 * No command and nothing in the history: only the order of the workflow's own code changes, the
 * same on every replay.
 */
async function workflowTaskSettled(): Promise<void> {
  // Off the caller's synchronous path first: a condition made there is looked at again right after
  // the job that runs it, before the promise callbacks it set off.
  await Promise.resolve();
  let evaluated = false;
  await condition(() => {
    const later = evaluated;
    evaluated = true;
    return later; // false when made (its eager check), true at the next look
  });
}
