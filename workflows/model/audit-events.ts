// The audit protocol: every kind of event on the tamper-evident record, with its typed content. One
// discriminated union, written by the workflow, the HTTP server, the intake and the worker, and read by
// the incident list, the timeline, the PDFs and the translations. Each reader switches over `kind`
// exhaustively, so a kind added here that some reader does not handle fails `tsc`.
import type { Entities, Severity } from './alert';
import type { IncidentStatus, Outcome, PinnedSignOff, StepStatus } from './incident';

/** What the record keeps of an alert (never its raw payload). */
interface AlertFacts {
  externalId: string;
  type: string;
  title: string;
  severity: Severity;
  occurredAt: string;
  entities: Entities;
}

interface StepRef {
  step: string;
  /** The catalog action, for action steps. */
  action?: string;
}

/** A DPO's decision for the breach register. */
export interface BreachDecision {
  authority: { reported: true; at: string; reference: string } | { reported: false; reason: string };
  subjects: { informed: true; at: string; how: string } | { informed: false; reason: string };
}

/** The content of each kind of event. */
export interface AuditContent {
  // --- alerts ------------------------------------------------------------------------------------
  /** The alert that opened the incident (authenticated before it got here). */
  'alert.received': AlertFacts & { auth: 'verified' };
  /** A repeat alert folded into the running incident (de-duplication). */
  'alert.joined': Pick<AlertFacts, 'externalId' | 'title' | 'severity'> & { alertCount: number };
  /** On the `intake` chain: a delivery refused for its credentials. */
  'alert.rejected': { reason: string; ip?: string; suppressedBefore?: number };
  /** On the `intake` chain: an authenticated alert no playbook takes. */
  'alert.unrouted': AlertFacts;
  /** On the `intake` chain: log records a source could not have evaluated (too long, unreadable). */
  'log.skipped': { source: string; records: number; reason: string };
  /** On the `intake` chain: log records dropped because the queue waiting for evaluation was full. */
  'log.dropped': { source: string; records: number; reason: string };

  // --- the incident ------------------------------------------------------------------------------
  'incident.started': {
    playbook: { id: string; version: number; title: string };
    description: string;
    /** The board's sign-off of the playbook as it stood at the start (`null`: none on record). */
    signOff?: PinnedSignOff | null;
  };
  /** Every step has finished. */
  'incident.contained': { steps: Array<{ id: string; status: StepStatus }> };
  'incident.closed': { status: IncidentStatus; note?: string };
  'drill.started': { note: string };
  'drill.finished': Record<string, never>;

  // --- steps -------------------------------------------------------------------------------------
  'step.started': StepRef & {
    kind: 'action' | 'notify' | 'wait' | 'parallel' | 'verify';
    description: string;
  };
  'step.succeeded': StepRef & { output?: unknown };
  'step.failed': StepRef & { error: string };
  'step.skipped': StepRef & { reason: string };
  'step.rejected': StepRef & { reason: string };
  /** Written by the worker before each later attempt of an action (Temporal retries unseen). */
  'step.retried': StepRef & { action: string; attempt: number };
  'step.compensated': StepRef & { action: string; reason: string; output?: unknown };
  'step.compensation-failed': StepRef & { action: string; error: string };

  // --- verification (a verify step) ------------------------------------------------------------
  /** No sign-in from outside the allowed addresses since the sign-out, for the whole window. */
  'verification.passed': StepRef & { user: string; since: string; until: string };
  /** A successful sign-in after the sign-out, and what Reflex did about it. */
  'verification.failed': StepRef & {
    user: string;
    since: string;
    signIn: { at: string; ip: string | null; app: string | null };
    blocked: boolean;
    revoked: boolean;
    told: boolean;
  };

  // --- approvals ---------------------------------------------------------------------------------
  'approval.requested': {
    step: string;
    approvers: string[];
    quorum: number;
    deadline: string;
    onTimeout: Outcome;
  };
  /** Someone (or a mail scanner) opened an approval link: it decides nothing. */
  'approval.viewed': { step: string; ip?: string; userAgent?: string };
  'approval.decided': {
    step: string;
    decision: 'approve' | 'reject';
    ip?: string;
    userAgent?: string;
    comment?: string;
    approvals: number;
    quorum: number;
  };
  'approval.escalated': { step: string; to: string[]; addresses: string[] };
  'approval.reminded': { step: string; addresses: string[] };
  'approval.timed-out': { step: string; outcome: Outcome };
  'approval.closed': { step: string; outcome: string };

  // --- the breach register (GDPR Art. 33(5)), on the incident's chain ------------------------------
  /** The DPO's decision: reported to the Autoriteit Persoonsgegevens or not, people informed or not. */
  'breach.decided': BreachDecision & { by: string };
  /** No decision was recorded near the 72-hour deadline: the DPO was reminded. */
  'breach.reminded': { to: string[]; deadline: string };

  // --- chat channels -----------------------------------------------------------------------------
  /** A message about the step was posted to a chat channel (besides its e-mail). */
  'chat.posted': { step: string; channel: string };
  /** Posting to a chat channel failed after its retries; the e-mail went out regardless. */
  'chat.failed': { step: string; channel: string; error: string };

  // --- the installation (`system` chain) ---------------------------------------------------------
  'config.loaded': { mode: string; playbooks: Array<{ id: string; version: number }> };

  // --- governance (`governance` chain) -----------------------------------------------------------
  /**
   * The board approved a playbook's exact content (its digest) in advance. `signature` is an HMAC
   * over the rest under the installation's sign-off key: a record edited or made without the key fails.
   */
  'playbook.signed-off': {
    playbook: string;
    version: number;
    title: string;
    digest: string;
    by: string;
    role: string;
    at: string;
    via: 'cli' | 'board';
    signature: string;
  };
}

export type AuditKind = keyof AuditContent;

/** One event as its writer hands it to the audit store. */
export type AuditEventInput = {
  [K in AuditKind]: {
    /** Idempotency key: the same id is written once, however often an activity retries. */
    eventId: string;
    chainId: string;
    at: string;
    kind: K;
    actor: string;
    content: AuditContent[K];
  };
}[AuditKind];

/** An event of one kind. */
export type AuditEventOf<K extends AuditKind> = Extract<AuditEventInput, { kind: K }>;

/** Builds an event with its content checked against its kind. */
export function auditEvent<K extends AuditKind>(
  kind: K,
  fields: { eventId: string; chainId: string; at: string; actor: string; content: AuditContent[K] },
): AuditEventOf<K> {
  return { ...fields, kind } as unknown as AuditEventOf<K>;
}
