// The intake journal (decision 004) against the run's real Temporal and PostgreSQL: an alert drained
// a second time (a crash between Temporal's answer and the journal's mark) opens nothing twice and is
// on the timeline once; alerts the intake leaves to the drainer (a storm) all open their incidents; an
// alert that cannot be opened is kept, is a readiness problem, and `reflex alerts retry` opens it.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IntakeJournalStore } from '../storage/intake-journal';
import { loadPlaybooks } from '../playbooks/load';
import { fromGeneric } from '../triggers/adapters/generic';
import { incidentIdFor } from '../temporal/incident-gateway';
import { openDb, type Db } from '../storage/db';
import type { Alert } from '../workflows/model/alert';
import { freshDatabaseUrl } from './helpers/postgres';
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, auth, postSigned, startTestReflex, type TestReflex } from './helpers/reflex';

const CLI = join(__dirname, '../dist/cli/main.js');
import { until } from './helpers/chaos';

/** Waits until `condition` holds. */
const eventually = (what: string, condition: () => Promise<boolean>, ms: number) =>
  until(what, async () => ((await condition()) ? true : undefined), ms);

let reflex: TestReflex | undefined;
let db: Db | undefined;

afterEach(async () => {
  await reflex?.stop();
  await db?.close();
  reflex = undefined;
  db = undefined;
});

const rowOf = async (id: string) =>
  (
    await db!.query<{ state: string; incident_id: string; attempts: number }>(
      'select state, incident_id, attempts from intake_journal where id = $1',
      [id],
    )
  )[0]!;

/** What a crash right after Temporal's answer leaves: the row still pending, free to be taken. */
const forgetOpened = (id: string) =>
  db!.query(`update intake_journal set state = 'pending', lease_until = now() where id = $1`, [id]);

test('a journalled alert drained again opens nothing twice: one workflow, the alert once on the timeline', async () => {
  const databaseUrl = await freshDatabaseUrl('journal');
  db = await openDb({ url: databaseUrl });
  reflex = await startTestReflex({ databaseUrl, playbooksDir: fastPlaybooks(['notify-on-call']) });
  const body = alertBody({ type: 'journal-test', title: `journal ${randomUUID()}` });

  const first = await postSigned(reflex.url, body, { id: `first-${randomUUID()}` });
  expect(first.status).toBe(202);
  // Temporal kept up: the answer says what it did, as without the journal.
  expect(first.body).toMatchObject({ deduplicated: false, routed: true });
  expect(first.body.pending).toBeUndefined();
  const incidentId = first.body.incidentId as string;
  const firstRow = first.body.journal as string;
  await eventually('first row marked opened', async () => (await rowOf(firstRow)).state === 'opened', 10_000);
  expect((await rowOf(firstRow)).incident_id).toBe(incidentId);

  await forgetOpened(firstRow);
  await eventually('first row drained again', async () => (await rowOf(firstRow)).state === 'opened', 15_000);
  expect((await rowOf(firstRow)).attempts).toBe(1);
  expect(await reflex.gateway.list({ incidentId })).toHaveLength(1);
  expect((await reflex.gateway.state(incidentId)).alertCount).toBe(1);

  // A repeat in a new delivery joins; its row drained again does not join twice.
  const repeat = await postSigned(reflex.url, body, { id: `repeat-${randomUUID()}` });
  expect(repeat.body).toMatchObject({ incidentId, deduplicated: true });
  const repeatRow = repeat.body.journal as string;
  await eventually(
    'repeat row marked opened',
    async () => (await rowOf(repeatRow)).state === 'opened',
    10_000,
  );
  await forgetOpened(repeatRow);
  await eventually(
    'repeat row drained again',
    async () => (await rowOf(repeatRow)).state === 'opened',
    15_000,
  );
  expect((await reflex.gateway.state(incidentId)).alertCount).toBe(2);
  expect(await reflex.gateway.list({ incidentId })).toHaveLength(1);
  // The timeline has the join once.
  await eventually(
    'alert.joined on the record',
    async () => (await reflex!.audit.events(incidentId)).some((e) => e.kind === 'alert.joined'),
    10_000,
  );
  const joins = (await reflex.audit.events(incidentId)).filter((e) => e.kind === 'alert.joined');
  expect(joins).toHaveLength(1);
}, 90_000);

test('alerts left to the drainer (openingsInFlight 0) are answered once journalled and all open', async () => {
  const databaseUrl = await freshDatabaseUrl('journal_drain');
  db = await openDb({ url: databaseUrl });
  reflex = await startTestReflex({
    databaseUrl,
    playbooksDir: fastPlaybooks(['notify-on-call']),
    extra: {
      server: {
        port: 0,
        maxBodyBytes: 64 * 1024,
        readinessCheckMinutes: 0,
        journal: { openingsInFlight: 0 },
      },
    },
  });
  const run = randomUUID();
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      postSigned(
        reflex!.url,
        alertBody({
          type: 'journal-storm',
          title: `storm ${run} ${i}`,
          entities: { users: [`u${i}@museum.example`] },
        }),
        { id: `storm-${run}-${i}` },
      ),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
  for (const a of answers) expect(a.body).toMatchObject({ pending: true, routed: true, deduplicated: false });
  const expected = new Set(answers.map((a) => a.body.incidentId as string));
  expect(expected.size).toBe(30);
  await eventually(
    'journal drained',
    async () =>
      (
        await db!.query<{ n: number }>(
          `select count(*)::int as n from intake_journal where state = 'pending'`,
        )
      )[0]!.n === 0,
    60_000,
  );
  for (const incidentId of expected) expect(await reflex.gateway.list({ incidentId })).toHaveLength(1);
  // A replay of a journalled delivery is refused, naming the incident it will open.
  const replay = await postSigned(
    reflex.url,
    alertBody({ type: 'journal-storm', title: `storm ${run} 0`, entities: { users: ['u0@museum.example'] } }),
    { id: `storm-${run}-0` },
  );
  expect(replay).toMatchObject({ status: 409, body: { incidentId: answers[0]!.body.incidentId } });
}, 120_000);

test('an accepted alert whose playbook is gone is kept as failed, is a readiness problem, and `reflex alerts retry` opens it once the playbook is back', async () => {
  const databaseUrl = await freshDatabaseUrl('journal_failed');
  db = await openDb({ url: databaseUrl });
  const withPlaybook = fastPlaybooks(['notify-on-call']);
  const [playbook] = loadPlaybooks(withPlaybook);
  // Journalled the way a server with notify-on-call journals a storm's alert (deferred to the drainers)…
  const alert = fromGeneric(
    'siem',
    alertBody({ type: 'journal-failed', title: `gone ${randomUUID()}` }),
    new Date(),
  );
  const store = new IntakeJournalStore(db);
  const row = (await store.append({
    claim: 'none',
    source: 'siem',
    alert,
    drill: false,
    playbooks: [playbook!.definition.id],
    incidentId: incidentIdFor(alert, playbook!),
    deferred: true,
    leaseMs: 0,
  }))!;
  // …drained by a server whose configuration no longer has it: given up on at once, not retried.
  reflex = await startTestReflex({ databaseUrl, playbooksDir: fastPlaybooks(['compromised-account']) });
  await eventually('row given up on', async () => (await rowOf(row)).state === 'failed', 15_000);
  const readiness = async () =>
    (
      (await (await fetch(`${reflex!.url}/api/readiness`, { headers: auth('admin') })).json()) as {
        findings: Array<{ check: string; status: string; message: string; fix?: string }>;
      }
    ).findings.filter((f) => f.check === 'intake journal');
  const [problem] = await readiness();
  expect(problem).toMatchObject({
    status: 'problem',
    message: expect.stringContaining('1 accepted alert(s) could not be opened'),
  });
  expect(problem!.fix).toContain('reflex alerts retry');
  // Kept past the week that opened rows are kept: nobody has seen it acted on.
  await db.query(`update intake_journal set received_at = now() - interval '30 days' where id = $1`, [row]);
  await store.prune(7);
  expect((await rowOf(row)).state).toBe('failed');
  await reflex.stop();

  // The playbook is back; the operator retries; the running server opens it.
  reflex = await startTestReflex({ databaseUrl, playbooksDir: withPlaybook });
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'retry-'));
  writeFileSync(join(dir, 'reflex.yaml'), 'organisation: { name: Retry test }\n');
  const retry = spawnSync(process.execPath, [CLI, 'alerts', 'retry', '--config', join(dir, 'reflex.yaml')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, REFLEX_DATA_DIR: dir },
    encoding: 'utf8',
  });
  expect(retry.stderr).toBe('');
  expect(retry.stdout).toContain('1 accepted alert(s) handed back to the servers');
  expect(retry.status).toBe(0);
  await eventually('row opened after the retry', async () => (await rowOf(row)).state === 'opened', 20_000);
  const incidentId = (await rowOf(row)).incident_id;
  expect(await reflex.gateway.list({ incidentId })).toHaveLength(1);
  expect(await readiness()).toEqual([
    expect.objectContaining({ status: 'ok', message: 'every accepted alert has been opened as an incident' }),
  ]);
  // Nothing left to retry.
  const again = spawnSync(process.execPath, [CLI, 'alerts', 'retry', '--config', join(dir, 'reflex.yaml')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, REFLEX_DATA_DIR: dir },
    encoding: 'utf8',
  });
  expect(again.stdout).toContain('nothing to retry');
}, 120_000);

test('a replay names the incident the alert opened when its dedup window had passed (`-2`), not the expected one', async () => {
  const databaseUrl = await freshDatabaseUrl('journal_window');
  db = await openDb({ url: databaseUrl });
  const dir = fastPlaybooks(['notify-on-call']);
  const file = join(dir, 'notify-on-call.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/window: \d+s/, 'window: 2s'));
  reflex = await startTestReflex({ databaseUrl, playbooksDir: dir });
  const body = alertBody({ type: 'journal-window', title: `window ${randomUUID()}` });
  const first = await postSigned(reflex.url, body, { id: `w1-${randomUUID()}` });
  expect(first).toMatchObject({ status: 202, body: { deduplicated: false } });
  await new Promise((r) => setTimeout(r, 2500));
  const delivery = `w2-${randomUUID()}`;
  const second = await postSigned(reflex.url, body, { id: delivery });
  expect(second).toMatchObject({ status: 202, body: { incidentId: `${first.body.incidentId}-2` } });
  const replay = await postSigned(reflex.url, body, { id: delivery });
  expect(replay).toMatchObject({ status: 409, body: { incidentId: `${first.body.incidentId}-2` } });
}, 60_000);

describe.each(['embedded', 'postgres'] as const)('group commit on the %s database', (kind) => {
  /** The database, with every statement it is sent counted (and the first group refused, when asked). */
  async function counted(refuseFirstGroup = false) {
    db = await openDb(kind === 'postgres' ? { url: await freshDatabaseUrl('journal') } : {});
    const inner = db;
    const sent: string[] = [];
    let refused = !refuseFirstGroup;
    const wrapped: Db = {
      ...inner,
      query: async <T>(sql: string, params?: unknown[]) => {
        sent.push(sql);
        if (!refused && sql.includes('with input as materialized')) {
          refused = true;
          throw new Error('the database refused the group');
        }
        return inner.query<T>(sql, params);
      },
    };
    return { store: new IntakeJournalStore(wrapped), sent };
  }

  const entry = (n: number, deliveryId?: string) => ({
    claim: deliveryId === undefined ? ('none' as const) : ('insert' as const),
    source: 'siem',
    deliveryId,
    alert: { title: `alert ${n}`, marker: n } as unknown as Alert,
    drill: false,
    playbooks: ['revoke-only'],
    incidentId: `incident-${n}`,
    deferred: true,
    leaseMs: 10_000,
  });

  test('alerts arriving together share statements; each gets its own row; a delivery id is written once', async () => {
    const { store, sent } = await counted();
    const entries = [
      ...Array.from({ length: 50 }, (_, n) => entry(n, `d-${n}`)),
      ...Array.from({ length: 5 }, (_, n) => entry(100 + n)), // no delivery id
      ...Array.from({ length: 5 }, (_, n) => entry(200 + n, `d-${n}`)), // the same ids again, at once
    ];
    const ids = await Promise.all(entries.map((e) => store.append(e)));

    // The first alert alone, the rest in groups: far fewer statements than alerts.
    expect(sent.length).toBeLessThanOrEqual(4);
    const written = ids.slice(0, 55);
    expect(written.every((id) => id !== undefined)).toBe(true);
    expect(new Set(written).size).toBe(55);
    // A second delivery of an id already claimed writes nothing (the intake then answers 409).
    expect(ids.slice(55)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // Each alert is in its own row, byte for byte, and each claim is settled with its incident.
    for (const [i, id] of written.entries()) {
      const [row] = await db!.query<{ alert: string; incident_id: string }>(
        'select alert, incident_id from intake_journal where id = $1',
        [id],
      );
      expect(row).toEqual({ alert: JSON.stringify(entries[i]!.alert), incident_id: entries[i]!.incidentId });
    }
    const claims = await db!.query<{ delivery_id: string; incident_id: string }>(
      'select delivery_id, incident_id from webhook_deliveries order by delivery_id',
    );
    expect(claims).toHaveLength(50);
    expect(claims.find((c) => c.delivery_id === 'd-3')?.incident_id).toBe('incident-3');
    const [count] = await db!.query<{ n: number }>('select count(*)::int as n from intake_journal');
    expect(count!.n).toBe(55);
  });

  test('a group the database refuses is written alert by alert: none is lost, none written twice', async () => {
    const { store, sent } = await counted(true);
    const entries = Array.from({ length: 20 }, (_, n) => entry(n, `r-${n}`));
    const ids = await Promise.all(entries.map((e) => store.append(e)));
    expect(sent.some((s) => s.includes('with input as materialized'))).toBe(true);
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(20);
    const [count] = await db!.query<{ n: number }>('select count(*)::int as n from intake_journal');
    expect(count!.n).toBe(20);
  });
});
