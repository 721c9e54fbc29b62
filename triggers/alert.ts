// The one Alert model every format adapter normalises to.
import { z } from 'zod';

export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

export const entitiesSchema = z.object({
  users: z.array(z.string().min(1).max(320)).max(100).default([]),
  ips: z.array(z.string().min(1).max(64)).max(100).default([]),
  hosts: z.array(z.string().min(1).max(255)).max(100).default([]),
  apps: z.array(z.string().min(1).max(255)).max(100).default([]),
  files: z.array(z.string().min(1).max(1024)).max(100).default([]),
});
export type Entities = z.infer<typeof entitiesSchema>;

/** A normalised alert, as it travels into a workflow. */
export interface Alert {
  /** The configured source name it arrived through. */
  source: string;
  /** The sender's own id for the alert (or the delivery id when it has none). */
  externalId: string;
  /** A short machine-friendly kind, e.g. `risky-sign-in`. */
  type: string;
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
