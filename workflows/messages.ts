// Queries and updates of the incident workflow, defined once and shared with the HTTP server.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Alert } from './model/alert';
import type { IncidentState } from './model/incident';

export const incidentStateQuery = defineQuery<IncidentState>('incidentState');

export interface DecideApprovalInput {
  stepId: string;
  /** The approver's address, as the approval link was issued to. */
  approver: string;
  decision: 'approve' | 'reject';
  comment?: string;
  ip?: string;
  userAgent?: string;
}
export interface DecideApprovalResult {
  /** The step's approval outcome so far: pending until quorum or a rejection. */
  outcome: 'pending' | 'approved' | 'rejected';
  approvals: number;
  quorum: number;
}
/** An approver's decision on a step waiting for approval. */
export const decideApprovalUpdate = defineUpdate<DecideApprovalResult, [DecideApprovalInput]>(
  'decideApproval',
);

/**
 * Joins a repeat alert (from de-duplication) onto the running incident. The intake signals: a signal
 * is durable once Temporal accepts it and needs no workflow task, so an alert storm of a thousand
 * joins is acknowledged at Temporal's write speed. (The Update form stays for callers that want the count.)
 * `intakeId` is the intake journal row the alert came from: a join with an id the incident has seen
 * (a row drained again after a crash) is the same alert again and is dropped.
 */
export const alertJoinedSignal = defineSignal<[alert: Alert, intakeId?: string]>('alertJoined');
export const attachAlertUpdate = defineUpdate<{ alertCount: number }, [Alert]>('attachAlert');

export interface CloseInput {
  by: string;
  note?: string;
}
/** Stops the incident: in-flight steps are cancelled and completed ones compensated in reverse. */
export const abortIncidentUpdate = defineUpdate<IncidentState, [CloseInput]>('abortIncident');

/** Closes the incident as contained, or as a false positive (which compensates completed steps). */
export const resolveIncidentUpdate = defineUpdate<
  IncidentState,
  [CloseInput & { as: 'contained' | 'false-positive' }]
>('resolveIncident');
