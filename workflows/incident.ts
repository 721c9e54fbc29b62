// The state of one running incident and the few things every step needs: its audit trail, the
// template context, the compensation stack and the address book.
import { workflowInfo, type CancellationScope } from '@temporalio/workflow';
import { AuditTrail, type RecordEvents } from './audit-trail';
import type { Alert } from './model/alert';
import type { ActionInput } from '../activities';
import type { CarriedState, IncidentInput, IncidentState, StepRecord, Step } from './model/incident';

/** Alerts kept in the state; the count goes on. Bounds the state (and history) of an alert storm. */
export const MAX_KEPT_ALERTS = 50;
/**
 * Intake journal rows remembered: a row is drained again only after a crash between Temporal's answer
 * and the row's mark, seconds later, so the last few hundred are enough.
 */
export const MAX_KEPT_INTAKE_IDS = 256;

export interface CloseRequest {
  as: 'contained' | 'false-positive' | 'aborted';
  by: string;
  note?: string;
}

export class Incident {
  readonly state: IncidentState;
  readonly audit: AuditTrail;
  readonly context: Record<string, unknown> & { steps: Record<string, { output?: unknown; status: string }> };
  compensations: CarriedState['compensations'];
  /** Where the playbook's steps run, so an abort can cancel them. */
  stepsScope?: CancellationScope;
  closeRequest?: CloseRequest;
  private readonly records = new Map<string, StepRecord>();
  private readonly intakeIds: string[];

  /** @param coalesceAudit audit events of one workflow task in one write (see AuditTrailOptions) */
  constructor(
    readonly input: IncidentInput,
    recordAudit: RecordEvents,
    coalesceAudit = false,
  ) {
    const { incidentId, playbook, alert, drill, carried } = input;
    this.state = carried?.state ?? {
      incidentId,
      status: 'running',
      drill,
      playbook: { id: playbook.id, version: playbook.version, title: playbook.title },
      startedAt: new Date().toISOString(),
      alerts: [alert],
      alertCount: 1,
      steps: flatten(playbook.steps).map((s) => ({
        id: s.id,
        kind: s.kind,
        description: s.description,
        action: s.kind === 'action' ? s.action : undefined,
        status: 'pending',
      })),
    };
    for (const record of this.state.steps) this.records.set(record.id, record);
    this.compensations = carried?.compensations ?? [];
    this.intakeIds = carried?.intakeIds ?? (input.intakeId ? [input.intakeId] : []);
    this.audit = new AuditTrail(incidentId, workflowInfo().runId, recordAudit, {
      startSeq: carried?.auditSeq ?? 0,
      coalesce: coalesceAudit,
    });
    this.context = {
      incident: {
        id: incidentId,
        drill,
        startedAt: this.state.startedAt,
        url: `${input.organisation.publicUrl}/incidents/${incidentId}`,
        alertCount: this.state.alertCount,
      },
      alert,
      entities: alert.entities,
      contacts: input.contacts,
      organisation: input.organisation,
      steps: Object.fromEntries(
        this.state.steps
          .filter((r) => r.status !== 'pending')
          .map((r) => [r.id, { output: r.output, status: r.status }]),
      ),
    };
  }

  get closed(): boolean {
    return ['resolved', 'false-positive', 'aborted'].includes(this.state.status);
  }

  record(stepId: string): StepRecord {
    return this.records.get(stepId)!;
  }

  /** Addresses for approver groups; in a drill, the drill recipients stand in for everyone. */
  addressesOf(groups: readonly string[]): string[] {
    if (this.input.drill) return [...this.input.contacts.drillRecipients];
    return [...new Set(groups.flatMap((g) => this.input.contacts.groups[g] ?? []))];
  }

  /**
   * What an activity of this incident receives. In a drill, whatever an action would send to people
   * goes to the drill recipients instead.
   */
  actionInput(stepId: string, args: Record<string, unknown>): ActionInput {
    const { incidentId, drill } = this.state;
    return drill
      ? { incidentId, stepId, drill, args, drillRecipients: this.input.contacts.drillRecipients }
      : { incidentId, stepId, drill, args };
  }

  /**
   * Whether the intake journal row `intakeId` is already on the incident (then the join is the same
   * alert again); remembers it otherwise.
   */
  seen(intakeId: string): boolean {
    if (this.intakeIds.includes(intakeId)) return true;
    this.intakeIds.push(intakeId);
    if (this.intakeIds.length > MAX_KEPT_INTAKE_IDS) this.intakeIds.shift();
    return false;
  }

  /** Joins a repeat alert. */
  attach(alert: Alert): void {
    this.state.alertCount += 1;
    this.state.alerts.push(alert);
    if (this.state.alerts.length > MAX_KEPT_ALERTS) this.state.alerts.splice(1, 1); // keep the first
    (this.context.incident as { alertCount: number }).alertCount = this.state.alertCount;
  }

  carry(): CarriedState {
    return {
      state: this.state,
      compensations: this.compensations,
      auditSeq: this.audit.sequence,
      // Only when there are any: a run carried without them reads exactly as before the journal.
      ...(this.intakeIds.length > 0 ? { intakeIds: [...this.intakeIds] } : {}),
    };
  }
}

/** Every step, parallel branches included, in document order. */
export function flatten(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => (s.kind === 'parallel' ? [s, ...flatten(s.parallel)] : [s]));
}
