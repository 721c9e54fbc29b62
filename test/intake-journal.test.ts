// The intake journal (decision 004) against the run's real Temporal and PostgreSQL: an alert drained
// a second time (a crash between Temporal's answer and the journal's mark) opens nothing twice and is
// on the timeline once; alerts the intake leaves to the drainer (a storm) all open their incidents.
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../storage/db';
import { freshDatabaseUrl } from './helpers/postgres';
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, postSigned, startTestReflex, type TestReflex } from './helpers/reflex';
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
