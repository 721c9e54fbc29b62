// Types shared by the interpreter workflow and the code that starts and reads it. Pure data only.
import type { Alert } from '../triggers/alert';

/** An action step, fully resolved at load time (its `with` may still hold `{{templates}}`). */
export interface ActionStep {
  id: string;
  kind: 'action';
  /** A name from the action catalog, e.g. `notify.email`. */
  action: string;
  /** Plain-language purpose, shown on timelines. */
  description: string;
  with: Record<string, unknown>;
  /** Activity timeout in seconds. */
  timeoutSeconds: number;
  /** Attempts before the step fails. */
  maxAttempts: number;
}

export type Step = ActionStep;

/** The playbook an incident runs, pinned at start: later edits never change a running incident. */
export interface ResolvedPlaybook {
  id: string;
  version: number;
  title: string;
  description: string;
  steps: Step[];
}

export interface Contacts {
  onCall: string[];
  dpo: string;
}

export interface IncidentInput {
  incidentId: string;
  playbook: ResolvedPlaybook;
  alert: Alert;
  contacts: Contacts;
  /** A drill: actions take their dry-run path and the timeline is marked DRILL. */
  drill: boolean;
}

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepRecord {
  id: string;
  action: string;
  description: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  output?: unknown;
  error?: string;
}

export type IncidentStatus = 'running' | 'completed' | 'failed';

/** What the `incidentState` query returns. */
export interface IncidentState {
  incidentId: string;
  status: IncidentStatus;
  drill: boolean;
  playbook: { id: string; version: number; title: string };
  startedAt: string;
  alerts: Alert[];
  steps: StepRecord[];
}

/** An audit event as the workflow hands it to the audit store. */
export interface AuditEventInput {
  /** Idempotency key: the same id is written once, however often an activity retries. */
  eventId: string;
  chainId: string;
  at: string;
  kind: string;
  actor: string;
  content: Record<string, unknown>;
}
