// The one Alert model every format adapter and log rule normalises to, as it travels into a workflow.
// Pure data: shared by the sandbox, the intake and the board.

export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The kinds of entity an alert names. */
export const ENTITY_KINDS = ['users', 'ips', 'hosts', 'apps', 'files'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];
export type Entities = Record<EntityKind, string[]>;

/** A normalised alert, as it travels into a workflow. */
export interface Alert {
  /** The configured source name it arrived through. */
  source: string;
  /** The sender's own id for the alert (or the delivery id when it has none). */
  externalId: string;
  /** A short machine-friendly kind, e.g. `risky-sign-in`. */
  type: string;
  /** Why it is that type, in words (the sender said so, a MITRE technique, the title's words). */
  typeReason?: string;
  title: string;
  severity: Severity;
  /** When it happened, ISO 8601. */
  occurredAt: string;
  /** When Reflex received it, ISO 8601. */
  receivedAt: string;
  entities: Entities;
  /** The sender's payload, kept as received (parsed JSON). */
  raw: unknown;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}
