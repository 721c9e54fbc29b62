// Types shared by the interpreter workflow and the code that starts and reads it. Pure data only.
import type { Alert } from './alert';
import type { Condition } from './conditions';
import type { Locale } from './locale';
import type { Encoding } from './template';

export type Outcome = 'proceed' | 'skip' | 'abort';

export interface ApprovalPolicy {
  approvers: string[];
  quorum: number;
  timeout: string;
  escalation: Array<{ after: string; approvers: string[] }>;
  remindEvery?: string;
  onTimeout: Outcome | { when: Condition; then: Outcome; otherwise: Outcome };
}

interface StepCommon {
  id: string;
  description: string;
  when?: Condition;
}

export interface ActionStep extends StepCommon {
  kind: 'action';
  /** A name from the action catalog, e.g. `entra.disableAccount`. */
  action: string;
  /** The catalog's plain-language line for the action. */
  actionDescription: string;
  /** Whether the action changes anything (drills take its dry-run path). */
  mutates: boolean;
  with: Record<string, unknown>;
  /** How values rendered into each argument are encoded (the action's own; absent in older pins). */
  encode?: Record<string, Encoding>;
  /** Runs the action once per item of this rendered list; `item` is the current one. */
  forEach?: string;
  timeoutSeconds: number;
  maxAttempts: number;
  approval: 'none' | ApprovalPolicy;
  compensate?: { action: string; with: Record<string, unknown>; encode?: Record<string, Encoding> };
  onFailure: 'continue' | 'abort';
}

export interface NotifyStep extends StepCommon {
  kind: 'notify';
  /** Template name, e.g. `dpo-art33`. */
  notify: string;
  to: string | string[];
  locale: Locale;
  with: Record<string, unknown>;
}

export interface WaitStep extends StepCommon {
  kind: 'wait';
  wait: string;
}

export interface ParallelStep extends StepCommon {
  kind: 'parallel';
  parallel: Step[];
}

/**
 * Watches an account's sign-ins after a sign-out or block, for as long as Microsoft may take to make
 * it hold (Continuous Access Evaluation: up to 15 minutes). A successful sign-in from an address the
 * playbook does not allow escalates as `onSignIn` says.
 */
export interface VerifyStep extends StepCommon {
  kind: 'verify';
  verify: 'sign-out';
  /** The account, a template such as `{{entities.users.0}}`. */
  user: string;
  /** The earlier step whose end is the time of the sign-out. */
  after: string;
  window: string;
  every: string;
  /** Sign-ins from these addresses are expected (the office), not an attacker. */
  allow: { ips: string[] };
  onSignIn: { block: boolean; revoke: boolean; notify: boolean };
  locale: Locale;
  /** The catalog actions it calls (pinned with the playbook, like every step's action). */
  actions: { check: string; block: string; unblock: string; revoke: string };
}

export type Step = ActionStep | NotifyStep | WaitStep | ParallelStep | VerifyStep;

/** The playbook an incident runs, pinned at start: later edits never change a running incident. */
export interface ResolvedPlaybook {
  id: string;
  version: number;
  title: string;
  description: string;
  /** How long after opening the incident takes in repeat alerts. */
  dedupWindow: string;
  steps: Step[];
  /**
   * The board's sign-off of this playbook when the incident started; `null`: none on record.
   * Absent in incidents started before sign-offs existed.
   */
  signOff?: PinnedSignOff | null;
}

/** What an incident keeps of its playbook's sign-off, to quote it on the timeline. */
export interface PinnedSignOff {
  version: number;
  by: string;
  role: string;
  at: string;
  /** The playbook's content differs from what was signed off. */
  changed: boolean;
  /** Changed, and the configuration made every pre-approved step ask on-call first. */
  approvalRequired?: boolean;
}

export interface Contacts {
  onCall: string[];
  dpo: string;
  ncsc?: string;
  owner?: string;
  /** Approver groups by name, expanded to addresses; always has `on-call` and `dpo`. */
  groups: Record<string, string[]>;
  /** Who receives notifications and approval requests during a drill. */
  drillRecipients: string[];
  /** Chat channels by group: a group's approval requests and notifications also go there (absent in older pins). */
  channels?: Record<string, string[]>;
}

export interface Organisation {
  name: string;
  /** Where people reach Reflex, for links in e-mails. */
  publicUrl: string;
}

export interface IncidentInput {
  incidentId: string;
  playbook: ResolvedPlaybook;
  alert: Alert;
  contacts: Contacts;
  organisation: Organisation;
  /** A drill: actions take their dry-run path and the timeline is marked DRILL. */
  drill: boolean;
  /**
   * The intake journal row the incident was opened from (absent for log rules, drills and incidents
   * opened before the journal): a join carrying the same id is the same alert again and is dropped.
   */
  intakeId?: string;
  /** Set by continue-as-new: the state carried over from the previous run. */
  carried?: CarriedState;
}

export type StepStatus =
  | 'pending'
  | 'awaiting-approval'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'rejected'
  | 'compensated';

export interface Decision {
  approver: string;
  decision: 'approve' | 'reject';
  at: string;
  ip?: string;
  userAgent?: string;
  comment?: string;
}

export interface ApprovalState {
  /** Addresses that may decide now (grows with escalation). */
  allowed: string[];
  quorum: number;
  deadline: string;
  decisions: Decision[];
  escalations: number;
  /** What happens if nobody answers by the deadline. */
  onTimeout?: Outcome;
  outcome?: 'approved' | 'rejected' | 'timed-out';
}

export interface StepRecord {
  id: string;
  kind: Step['kind'];
  description: string;
  action?: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  output?: unknown;
  error?: string;
  approval?: ApprovalState;
  /** Why a step was skipped. */
  reason?: string;
}

export const INCIDENT_STATUSES = ['running', 'contained', 'resolved', 'false-positive', 'aborted'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What the `incidentState` query returns. */
export interface IncidentState {
  incidentId: string;
  status: IncidentStatus;
  drill: boolean;
  playbook: { id: string; version: number; title: string };
  startedAt: string;
  /** When every step had finished (time to full containment). */
  containedAt?: string;
  closedAt?: string;
  /** The first alert and the most recent joined ones (at most 50 kept). */
  alerts: Alert[];
  alertCount: number;
  steps: StepRecord[];
  resolution?: { by: string; at: string; as: 'contained' | 'false-positive' | 'aborted'; note?: string };
}

/** What continue-as-new carries into the next run. */
export interface CarriedState {
  state: IncidentState;
  compensations: Array<{ stepId: string; action: string; args: Record<string, unknown> }>;
  auditSeq: number;
  /** The intake journal rows already on the incident (newest last, bounded). */
  intakeIds?: string[];
}
