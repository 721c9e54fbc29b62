// An audit event as it is stored: the event its writer made, linked into its chain by sequence and
// hash. What the hash covers is defined here once, for the writer and the verifier.
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { AuditEventInput, AuditKind } from '../workflows/model/audit-events';

/** A kind named in a query, checked against the union. */
export const kindOf = (kind: AuditKind): AuditKind => kind;

export const GENESIS_HASH = '0'.repeat(64);

/** Where an event sits in its chain. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

/** A stored event; narrowing on `kind` types its content. */
export type AuditEvent = AuditEventInput & ChainLink;

/** A row of `audit_events`. */
export interface EventRow {
  chain_id: string;
  seq: string | number;
  event_id: string;
  at: string;
  kind: string;
  actor: string;
  content: string;
  prev_hash: string;
  hash: string;
}

/** Reads the events of one chain, in order (the audit store; the incident list rebuilds from it). */
export interface EventHistory {
  events(chainId: string): Promise<AuditEvent[]>;
}

/** The canonical text an event's hash covers, and the hash itself. */
export function hashEvent(
  prevHash: string,
  event: { chainId: string; seq: number; eventId: string; at: string; kind: string; actor: string },
  content: string,
): string {
  const canonical = stringify({
    chainId: event.chainId,
    seq: event.seq,
    eventId: event.eventId,
    at: event.at,
    kind: event.kind,
    actor: event.actor,
    content,
  });
  return createHash('sha256').update(prevHash).update('\n').update(canonical!).digest('hex');
}

/**
 * A row as an event. The store holds only what Reflex's writers wrote, so the content is read as
 * the type its kind declares; a kind this version does not know still reads (readers show it as is).
 */
export function toEvent(row: EventRow): AuditEvent {
  return {
    chainId: row.chain_id,
    seq: Number(row.seq),
    eventId: row.event_id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    content: JSON.parse(row.content) as unknown,
    prevHash: row.prev_hash,
    hash: row.hash,
  } as AuditEvent;
}
