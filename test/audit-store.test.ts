// The audit store on both back ends: idempotent appends, and verify names the first event that a
// modification, deletion, insertion or reordering broke.
import { randomUUID } from 'node:crypto';
import { freshDatabaseUrl } from './helpers/postgres';
import { openDb, type Db } from '../storage/db';
import { MIGRATIONS } from '../storage/migrations';
import { AuditStore, headsDigest } from '../storage/audit-store';
import { IncidentIndex } from '../storage/incident-index';
import type { AuditEventInput } from '../workflows/model/audit-events';

const backends: Array<[string, () => Promise<Db>]> = [
  ['embedded (PGlite)', () => openDb({})],
  ['PostgreSQL', async () => openDb({ url: await freshDatabaseUrl('audit') })],
];

function events(chainId: string, n: number, runId = 'run1'): AuditEventInput[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${chainId}:${runId}:${i + 1}`,
    chainId,
    at: new Date(Date.UTC(2026, 10, 22, 10, 0, i)).toISOString(),
    kind: i === 0 ? 'incident.started' : 'step.succeeded',
    actor: 'reflex',
    content: { n: i + 1, nested: { b: 2, a: [1, 'two'] } },
  })) as unknown as AuditEventInput[]; // the store hashes any content
}

/** Builds event n of a chain: `e(n, kind, content?, actor?)`, at `at(n)`. */
function eventOf(chain: string, at: (n: number) => string) {
  return (n: number, kind: string, content: Record<string, unknown> = {}, actor = 'reflex') =>
    ({
      eventId: `${chain}:r:${n}`,
      chainId: chain,
      at: at(n),
      kind,
      actor,
      content,
    }) as unknown as AuditEventInput;
}

/** The database, counting the statements and transactions made through it. */
function counting(db: Db): { db: Db; take(): { queries: number; transactions: number } } {
  let queries = 0;
  let transactions = 0;
  const wrapped: Db = {
    ...db,
    kind: db.kind,
    query: (sql, params) => {
      queries += 1;
      return db.query(sql, params);
    },
    transaction: (fn) => {
      transactions += 1;
      return db.transaction(fn);
    },
    ping: () => db.ping(),
    close: () => db.close(),
  };
  return {
    db: wrapped,
    take() {
      const counts = { queries, transactions };
      queries = 0;
      transactions = 0;
      return counts;
    },
  };
}

describe.each(backends)('audit store on %s', (_name, open) => {
  let db: Db;
  let store: AuditStore;
  beforeAll(async () => {
    db = await open();
    store = new AuditStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  test('the incident list follows the events written, and can be rebuilt from them', async () => {
    const chain = `inc-${randomUUID()}`;
    const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, s)).toISOString();
    const e = eventOf(chain, at);
    await store.append([e(1, 'drill.started')]);
    await store.append([
      e(2, 'alert.received', { title: 'Risky sign-in', severity: 'high' }, 'source:siem'),
      e(3, 'incident.started', { playbook: { id: 'compromised-account', version: 3, title: 'Compromised' } }),
      e(4, 'step.succeeded', { step: 'notify', action: 'notify.email' }),
      e(5, 'step.succeeded', { step: 'revoke', action: 'entra.revokeSessions' }),
      e(6, 'step.succeeded', { step: 'block', action: 'entra.disableAccount' }),
      e(7, 'alert.joined', { alertCount: 4 }, 'source:siem'),
      e(8, 'incident.contained'),
    ]);
    const incidents = new IncidentIndex(db);
    const expected = {
      id: chain,
      playbook: { id: 'compromised-account', version: 3, title: 'Compromised' },
      drill: true,
      status: 'contained',
      alertTitle: 'Risky sign-in',
      severity: 'high',
      source: 'siem',
      startedAt: at(3),
      firstContainedAt: at(5),
      containedAt: at(8),
      alertCount: 4,
    };
    expect(await incidents.get(chain)).toEqual(expected);
    await store.append([e(9, 'incident.closed', { status: 'false-positive' }, 'eva@museum.example')]);
    expect(await incidents.get(chain)).toMatchObject({ status: 'false-positive', closedAt: at(9) });
    expect((await incidents.list({ status: 'false-positive', drill: true })).map((i) => i.id)).toContain(
      chain,
    );
    expect((await incidents.list({ status: 'false-positive', drill: false })).map((i) => i.id)).not.toContain(
      chain,
    );

    await db.query('delete from incidents where id = $1', [chain]);
    expect(await incidents.rebuildMissing(store)).toBeGreaterThanOrEqual(1);
    expect(await incidents.get(chain)).toEqual({ ...expected, status: 'false-positive', closedAt: at(9) });
  });

  test('appending the same events again (an activity retry) writes them once', async () => {
    const chain = `inc-${randomUUID()}`;
    const batch = events(chain, 3);
    await store.append(batch);
    await store.append(batch);
    await store.append([...batch, ...events(chain, 4).slice(3)]);
    const stored = await store.events(chain);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(stored[2]!.content).toEqual({ n: 3, nested: { a: [1, 'two'], b: 2 } });
    expect(await store.verify(chain)).toEqual({ ok: true, chains: 1, events: 4, broken: [] });
  });

  test('concurrent appends to one chain keep it linear', async () => {
    const chain = `inc-${randomUUID()}`;
    await Promise.all(events(chain, 10).map((e) => store.append([e])));
    const stored = await store.events(chain);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await store.verify(chain)).ok).toBe(true);
  });

  test('a batch on the head the store knows is one statement; a head moved by another writer or a retried batch falls back to the locked write', async () => {
    const counted = counting(db);
    const worker1 = new AuditStore(counted.db);
    const worker2 = new AuditStore(counted.db);
    const chain = `inc-${randomUUID()}`;
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, s)).toISOString();
    const e = eventOf(chain, at);
    const incidents = new IncidentIndex(db);

    // A new incident's opening events: the head, the events and the list's row in one statement.
    await worker1.append([
      e(
        1,
        'alert.received',
        { title: "Risky sign-in 'quoted' {braces} \\ NULL", severity: 'high' },
        'source:siem',
      ),
      e(2, 'incident.started', { playbook: { id: 'compromised-account', version: 3, title: 'Compromised' } }),
      e(3, 'step.started', { step: 'revoke' }),
    ]);
    expect(counted.take()).toEqual({ queries: 1, transactions: 0 });
    expect(await incidents.get(chain)).toMatchObject({
      status: 'running',
      alertTitle: "Risky sign-in 'quoted' {braces} \\ NULL",
      drill: false,
      source: 'siem',
    });
    // The first step's outcome: two changes to the row, merged into the one statement.
    await worker1.append([
      e(4, 'step.succeeded', { step: 'revoke', action: 'entra.revokeSessions' }),
      e(5, 'incident.contained'),
    ]);
    expect(counted.take()).toEqual({ queries: 1, transactions: 0 });
    expect(await incidents.get(chain)).toMatchObject({
      status: 'contained',
      firstContainedAt: at(4),
      containedAt: at(5),
    });

    // Another worker has not seen the chain: its genesis guess is refused, the locked write appends.
    await worker2.append([e(6, 'alert.joined', { alertCount: 2 }, 'source:siem')]);
    expect(counted.take()).toEqual({ queries: 1, transactions: 1 });
    // The first worker's head is stale now: refused, then written under the lock, after event 6.
    await worker1.append([e(7, 'incident.closed', { status: 'resolved' }, 'eva@museum.example')]);
    expect(counted.take()).toEqual({ queries: 1, transactions: 1 });
    // A retried batch (already stored) is refused by its event ids and written nowhere.
    await worker1.append([e(7, 'incident.closed', { status: 'resolved' }, 'eva@museum.example')]);
    expect(counted.take()).toEqual({ queries: 1, transactions: 1 });
    // And the head known again: one statement.
    await worker1.append([e(8, 'approval.closed')]);
    expect(counted.take()).toEqual({ queries: 1, transactions: 0 });

    const stored = await store.events(chain);
    expect(stored.map((x) => [x.seq, x.eventId])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, `${chain}:r:${n}`]),
    );
    expect(stored[0]!.content).toEqual({
      title: "Risky sign-in 'quoted' {braces} \\ NULL",
      severity: 'high',
    });
    expect(await store.verify(chain)).toEqual({ ok: true, chains: 1, events: 8, broken: [] });
    expect(await incidents.get(chain)).toMatchObject({ status: 'resolved', closedAt: at(7), alertCount: 2 });
  });

  test('two writers racing on one chain keep it linear', async () => {
    const writers = [new AuditStore(db), new AuditStore(db)];
    const chain = `inc-${randomUUID()}`;
    const batch = events(chain, 20);
    // Each writer appends every other event, one batch at a time, both at once.
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let i = w; i < batch.length; i += 2) await writer.append([batch[i]!]);
      }),
    );
    const stored = await store.events(chain);
    expect(stored.map((x) => x.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(stored.map((x) => x.eventId)).size).toBe(20);
    expect((await store.verify(chain)).ok).toBe(true);
  });

  test('export returns every event in chain order and a digest of the chain heads that changes with them', async () => {
    const chain = `inc-${randomUUID()}`;
    await store.append(events(chain, 3));
    const exported = await store.export(chain);
    expect(exported.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(exported.heads).toEqual([{ chainId: chain, seq: 3, hash: exported.events[2]!.hash }]);
    expect(exported.digest).toBe(headsDigest(exported.heads));
    await store.append(events(chain, 4).slice(3));
    expect((await store.export(chain)).digest).not.toBe(exported.digest);
  });

  const tampers: Array<[string, (chain: string) => Promise<unknown>, number, RegExp]> = [
    [
      'an edited event',
      (c) => db.query(`update audit_events set content = '{"n":99}' where chain_id = $1 and seq = 2`, [c]),
      2,
      /content does not match/,
    ],
    [
      'an edited actor',
      (c) => db.query(`update audit_events set actor = 'mallory' where chain_id = $1 and seq = 3`, [c]),
      3,
      /hash/,
    ],
    [
      'a deleted event',
      (c) => db.query('delete from audit_events where chain_id = $1 and seq = 2', [c]),
      3,
      /expected sequence 2/,
    ],
    [
      'a deleted last event',
      (c) => db.query('delete from audit_events where chain_id = $1 and seq = 4', [c]),
      3,
      /chain head says 4 events, 3 remain/,
    ],
    [
      'an inserted event',
      async (c) => {
        await db.query('update audit_events set seq = seq + 100 where chain_id = $1 and seq >= 3', [c]);
        await db.query('update audit_events set seq = seq - 99 where chain_id = $1 and seq >= 103', [c]);
        const [row] = await db.query<Record<string, unknown>>(
          'select * from audit_events where chain_id = $1 and seq = 2',
          [c],
        );
        await db.query(
          `insert into audit_events (chain_id, seq, event_id, at, kind, actor, content, prev_hash, hash)
           values ($1, 3, 'forged', $2, 'step.succeeded', 'mallory', '{}', $3, $4)`,
          [c, row!.at, row!.hash, 'f'.repeat(64)],
        );
      },
      3,
      /content does not match/,
    ],
    [
      'two events swapped',
      async (c) => {
        await db.query('update audit_events set seq = 100 where chain_id = $1 and seq = 2', [c]);
        await db.query('update audit_events set seq = 2 where chain_id = $1 and seq = 3', [c]);
        await db.query('update audit_events set seq = 3 where chain_id = $1 and seq = 100', [c]);
      },
      2,
      /does not link/,
    ],
  ];

  test.each(tampers)('verify fails on %s and names it', async (_what, tamper, seq, reason) => {
    const chain = `inc-${randomUUID()}`;
    await store.append(events(chain, 4));
    const untouched = `inc-${randomUUID()}`;
    await store.append(events(untouched, 2));
    expect((await store.verify(chain)).ok).toBe(true);
    await tamper(chain);
    const result = await store.verify(chain);
    expect(result.ok).toBe(false);
    expect(result.broken).toEqual([expect.objectContaining({ chainId: chain, seq })]);
    expect(result.broken[0]!.reason).toMatch(reason);
    expect((await store.verify(untouched)).ok).toBe(true);
    // A whole-store verify names the broken chain and not the untouched one.
    const all = await store.verify();
    expect(all.ok).toBe(false);
    expect(all.broken.map((b) => b.chainId)).toContain(chain);
    expect(all.broken.map((b) => b.chainId)).not.toContain(untouched);
  });
});

test('processes starting together against a fresh PostgreSQL database migrate it once, without failing', async () => {
  const url = await freshDatabaseUrl('audit');
  const dbs = await Promise.all(Array.from({ length: 4 }, () => openDb({ url })));
  const [versions] = await Promise.all([
    dbs[0]!.query<{ version: number }>('select version from schema_migrations order by version'),
  ]);
  expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
  await Promise.all(dbs.map((db) => db.close()));
});
