// The tamper-evident audit store: append-only events, one hash chain per incident.
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Db } from './db';
import { projectEvents } from './incident-projection';
import {
  GENESIS_HASH,
  hashEvent,
  toEvent,
  type AuditEvent,
  type EventHistory,
  type EventRow,
} from './audit-event';
import type { AuditEventInput } from '../workflows/model/audit-events';

export interface ChainHead {
  chainId: string;
  seq: number;
  hash: string;
}

/** SHA-256 over the sorted chain heads (`chainId seq hash` lines). */
export function headsDigest(heads: readonly ChainHead[]): string {
  const lines = [...heads]
    .sort((a, b) => (a.chainId < b.chainId ? -1 : 1))
    .map((h) => `${h.chainId} ${h.seq} ${h.hash}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export interface BrokenEvent {
  chainId: string;
  seq: number;
  eventId: string;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  chains: number;
  /** Events that verified. */
  events: number;
  /** The first event that does not fit, for each broken chain. */
  broken: BrokenEvent[];
}

/** `($1, …, $w), ($w+1, …)`: the placeholders of a multi-row insert of `rows` rows of `width` values. */
function placeholders(rows: number, width: number): string {
  return Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`,
  ).join(', ');
}

export class AuditStore implements EventHistory {
  constructor(private readonly db: Db) {}

  /**
   * Appends events to their chains. An event id already stored is skipped, so a retried
   * activity never writes the same event twice.
   */
  async append(events: readonly AuditEventInput[]): Promise<void> {
    const byChain = new Map<string, AuditEventInput[]>();
    for (const event of events) byChain.set(event.chainId, [...(byChain.get(event.chainId) ?? []), event]);
    for (const [chainId, chainEvents] of byChain) {
      await this.db.transaction(async (tx) => {
        // The chain's head, created at genesis on its first event, and locked (`do update` takes the
        // row lock `for update` would): one statement instead of an insert and a select.
        const [head] = await tx.query<{ seq: string | number; hash: string }>(
          `insert into audit_chain_heads (chain_id, seq, hash) values ($1, 0, $2)
             on conflict (chain_id) do update set chain_id = excluded.chain_id
           returning seq, hash`,
          [chainId, GENESIS_HASH],
        );
        let seq = Number(head!.seq);
        // A chain at genesis holds no events, so none of these can be stored yet (ids name their chain).
        const existing = new Set(
          seq === 0
            ? []
            : (
                await tx.query<{ event_id: string }>(
                  'select event_id from audit_events where event_id = any($1)',
                  [chainEvents.map((e) => e.eventId)],
                )
              ).map((r) => r.event_id),
        );
        let prevHash = head!.hash;
        const written: AuditEvent[] = [];
        const rows: unknown[][] = [];
        for (const event of chainEvents) {
          if (existing.has(event.eventId)) continue;
          existing.add(event.eventId);
          seq += 1;
          const content = stringify(event.content) ?? '{}';
          const hash = hashEvent(prevHash, { ...event, seq }, content);
          rows.push([
            chainId,
            seq,
            event.eventId,
            event.at,
            event.kind,
            event.actor,
            content,
            prevHash,
            hash,
          ]);
          written.push({ ...event, seq, prevHash, hash } as AuditEvent);
          prevHash = hash;
        }
        if (rows.length === 0) return;
        // The batch's events in one statement per 500 (PostgreSQL takes at most 65,535 parameters).
        for (let i = 0; i < rows.length; i += 500) {
          const chunk = rows.slice(i, i + 500);
          await tx.query(
            `insert into audit_events (chain_id, seq, event_id, at, kind, actor, content, prev_hash, hash)
             values ${placeholders(chunk.length, 9)}`,
            chunk.flat(),
          );
        }
        await tx.query('update audit_chain_heads set seq = $2, hash = $3 where chain_id = $1', [
          chainId,
          seq,
          prevHash,
        ]);
        await projectEvents(tx, written);
      });
    }
  }

  /** Every event of one chain, in order. */
  async events(chainId: string): Promise<AuditEvent[]> {
    const rows = await this.db.query<EventRow>(
      'select * from audit_events where chain_id = $1 order by seq',
      [chainId],
    );
    return rows.map(toEvent);
  }

  /** The newest `limit` events of one chain, newest first. */
  async recent(chainId: string, limit: number): Promise<AuditEvent[]> {
    const rows = await this.db.query<EventRow>(
      'select * from audit_events where chain_id = $1 order by seq desc limit $2',
      [chainId, limit],
    );
    return rows.map(toEvent);
  }

  /**
   * Every event (of one chain, or all), in chain order, then a digest of the chain heads: a
   * recipient who keeps the digest can later prove the exported record was not changed.
   */
  async export(chainId?: string): Promise<{ events: AuditEvent[]; heads: ChainHead[]; digest: string }> {
    const heads = (
      await this.db.query<{ chain_id: string; seq: string | number; hash: string }>(
        chainId
          ? 'select * from audit_chain_heads where chain_id = $1'
          : 'select * from audit_chain_heads order by chain_id',
        chainId ? [chainId] : [],
      )
    ).map((h) => ({ chainId: h.chain_id, seq: Number(h.seq), hash: h.hash }));
    const events: AuditEvent[] = [];
    for (const head of heads) events.push(...(await this.events(head.chainId)));
    return { events, heads, digest: headsDigest(heads) };
  }

  /** Recomputes every chain (or one) and names, per broken chain, the first event that does not fit. */
  async verify(chainId?: string, onChain?: (done: number, total: number) => void): Promise<VerifyResult> {
    const heads = await this.db.query<{ chain_id: string; seq: string | number; hash: string }>(
      chainId
        ? 'select * from audit_chain_heads where chain_id = $1'
        : 'select * from audit_chain_heads order by chain_id',
      chainId ? [chainId] : [],
    );
    let events = 0;
    const broken: BrokenEvent[] = [];
    for (const [index, head] of heads.entries()) {
      onChain?.(index, heads.length);
      const rows = await this.db.query<EventRow>(
        'select * from audit_events where chain_id = $1 order by seq',
        [head.chain_id],
      );
      const result = verifyChain(head, rows);
      events += result.verified;
      if (result.broken) broken.push(result.broken);
    }
    return { ok: broken.length === 0, chains: heads.length, events, broken };
  }
}

/** Walks one chain from its genesis; stops at the first event that does not fit. */
function verifyChain(
  head: { chain_id: string; seq: string | number; hash: string },
  rows: readonly EventRow[],
): { verified: number; broken?: BrokenEvent } {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    const event = toEvent(row);
    const fail = (reason: string) => ({
      verified: expectedSeq - 1,
      broken: { chainId: event.chainId, seq: event.seq, eventId: event.eventId, reason },
    });
    if (event.seq !== expectedSeq) return fail(`expected sequence ${expectedSeq}, found ${event.seq}`);
    if (event.prevHash !== prevHash) return fail('does not link to the event before it');
    if (hashEvent(prevHash, event, row.content) !== event.hash)
      return fail('content does not match its hash');
    prevHash = event.hash;
    expectedSeq += 1;
  }
  const count = expectedSeq - 1;
  if (Number(head.seq) !== count || head.hash !== prevHash) {
    return {
      verified: count,
      broken: {
        chainId: head.chain_id,
        seq: count,
        eventId: rows[rows.length - 1]?.event_id ?? '(none)',
        reason: `chain head says ${head.seq} events, ${count} remain`,
      },
    };
  }
  return { verified: count };
}
