// The tamper-evident audit store: append-only events, one hash chain per incident.
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { columnsOf, type Db } from './db';
import { listWrites, projectEvents, type EarlierEvents, type ListWrite } from './incident-projection';
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

/**
 * The insert of a batch's rows (from {@link chained}): the chain id as $1, the other eight columns
 * side by side as arrays in $2–$9 (no limit on the rows, unlike one placeholder per value), written
 * when `when` holds. Both ways of appending use it, so a row is encoded once.
 */
function insertEvents(when: string): string {
  return `insert into audit_events (chain_id, seq, event_id, at, kind, actor, content, prev_hash, hash)
    select $1::text, e.* from unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
      $7::text[], $8::text[], $9::text[]) as e
    where ${when}
    returning 1`;
}

/** The parameters of {@link insertEvents} for one chain's rows. */
const eventParams = (chainId: string, rows: readonly unknown[][]): unknown[] => [
  chainId,
  ...columnsOf(rows).slice(1),
];

/**
 * The batch chained onto `head`: each event not in `skip` (nor earlier in the batch) numbered and hashed
 * after the one before it, as the rows of `audit_events` and as the events written, with the new head.
 */
function chained(
  head: ChainHead,
  events: readonly AuditEventInput[],
  skip: Set<string>,
): { rows: unknown[][]; written: AuditEvent[]; head: ChainHead } {
  let { seq, hash: prevHash } = head;
  const rows: unknown[][] = [];
  const written: AuditEvent[] = [];
  for (const event of events) {
    if (skip.has(event.eventId)) continue;
    skip.add(event.eventId);
    seq += 1;
    const content = stringify(event.content) ?? '{}';
    const hash = hashEvent(prevHash, { ...event, seq }, content);
    rows.push([head.chainId, seq, event.eventId, event.at, event.kind, event.actor, content, prevHash, hash]);
    written.push({ ...event, seq, prevHash, hash } as AuditEvent);
    prevHash = hash;
  }
  return { rows, written, head: { chainId: head.chainId, seq, hash: prevHash } };
}

/** PostgreSQL's SQLSTATE for a duplicate key. */
const UNIQUE_VIOLATION = '23505';

/** How many chain heads a store remembers (an entry is ~200 bytes; 10,000 waiting incidents fit). */
const REMEMBERED_HEADS = 20_000;

/** The earlier events of a chain, when a batch is written in one statement: it may not look them up. */
class NeedsEarlierEvents extends Error {}
const batchOnly: EarlierEvents = {
  receivedAlert: () => Promise.reject(new NeedsEarlierEvents()),
  hasDrillStarted: () => Promise.reject(new NeedsEarlierEvents()),
};

export class AuditStore implements EventHistory {
  /**
   * The head this store last wrote or read for each chain, most recent last. A hint only: a batch
   * written from it is refused by the database unless the stored head is still this one.
   */
  private readonly heads = new Map<string, ChainHead>();

  constructor(private readonly db: Db) {}

  /**
   * Appends events to their chains. An event id already stored is skipped, so a retried
   * activity never writes the same event twice.
   */
  async append(events: readonly AuditEventInput[]): Promise<void> {
    const byChain = new Map<string, AuditEventInput[]>();
    for (const event of events) byChain.set(event.chainId, [...(byChain.get(event.chainId) ?? []), event]);
    for (const [chainId, chainEvents] of byChain) {
      if (!(await this.appendAtHead(chainId, chainEvents))) await this.appendLocked(chainId, chainEvents);
    }
  }

  /**
   * The common case in one statement: the batch chained onto the head this store knows (genesis for a
   * chain it has not seen), written only if the stored head is still exactly that one — the head's
   * update, the events and the list's row succeed or fail together. False when the database refused
   * it (another writer moved the head, or an event id is stored already: a retry) or the list needs
   * an earlier event; {@link appendLocked} then writes the batch, as it would have anyway.
   */
  private async appendAtHead(chainId: string, events: readonly AuditEventInput[]): Promise<boolean> {
    const expected = this.heads.get(chainId) ?? { chainId, seq: 0, hash: GENESIS_HASH };
    const { rows, written, head } = chained(expected, events, new Set());
    if (rows.length === 0) return false;
    let list: ListWrite[];
    try {
      list = await listWrites(written, batchOnly);
    } catch (err) {
      if (err instanceof NeedsEarlierEvents) return false;
      throw err;
    }
    // One write to the list at most: parts of one statement do not see each other's rows.
    if (list.length > 1) return false;
    const params = [...eventParams(chainId, rows), head.seq, head.hash, expected.seq, expected.hash];
    const listPart = list[0]
      ? `, listed as (${list[0].sql('exists (select 1 from head)', params.length + 1)} returning 1)`
      : '';
    if (list[0]) params.push(...list[0].params);
    try {
      const [result] = await this.db.query<{ written: number }>(
        `with head as (
           insert into audit_chain_heads as h (chain_id, seq, hash) values ($1::text, $10::bigint, $11::text)
           on conflict (chain_id) do update set seq = excluded.seq, hash = excluded.hash
             where h.seq = $12::bigint and h.hash = $13::text
           returning 1
         ), written as (${insertEvents('exists (select 1 from head)')})${listPart}
         select count(*)::int as written from written`,
        params,
      );
      if (result?.written === rows.length) {
        this.remember(head);
        return true;
      }
    } catch (err) {
      // An event id (or a chain's seq) stored already, by a retry or a writer meanwhile: the whole
      // statement was refused, nothing was written. Anything else is a real failure.
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    }
    // Another writer moved the head, or a retry: the head this store knew is no longer a guide.
    this.heads.delete(chainId);
    return false;
  }

  /** The batch under the chain head's row lock, skipping events already stored. */
  private async appendLocked(chainId: string, events: readonly AuditEventInput[]): Promise<void> {
    const head = await this.db.transaction(async (tx) => {
      // The chain's head, created at genesis on its first event, and locked (`do update` takes the
      // row lock `for update` would): one statement instead of an insert and a select.
      const [stored] = await tx.query<{ seq: string | number; hash: string }>(
        `insert into audit_chain_heads (chain_id, seq, hash) values ($1, 0, $2)
           on conflict (chain_id) do update set chain_id = excluded.chain_id
         returning seq, hash`,
        [chainId, GENESIS_HASH],
      );
      const start: ChainHead = { chainId, seq: Number(stored!.seq), hash: stored!.hash };
      // A chain at genesis holds no events, so none of these can be stored yet (ids name their chain).
      const existing = new Set(
        start.seq === 0
          ? []
          : (
              await tx.query<{ event_id: string }>(
                'select event_id from audit_events where event_id = any($1)',
                [events.map((e) => e.eventId)],
              )
            ).map((r) => r.event_id),
      );
      const { rows, written, head } = chained(start, events, existing);
      if (rows.length === 0) return start;
      await tx.query(insertEvents('true'), eventParams(chainId, rows));
      await tx.query('update audit_chain_heads set seq = $2, hash = $3 where chain_id = $1', [
        chainId,
        head.seq,
        head.hash,
      ]);
      await projectEvents(tx, written);
      return head;
    });
    this.remember(head);
  }

  private remember(head: ChainHead): void {
    this.heads.delete(head.chainId);
    this.heads.set(head.chainId, head);
    if (this.heads.size > REMEMBERED_HEADS) this.heads.delete(this.heads.keys().next().value!);
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
