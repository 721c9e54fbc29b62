// Budgets shared by servers on one PostgreSQL: one budget between two processes' connections, its
// counters committed without waiting for the disk (a hot row is not locked for an fsync), while
// everything else the database keeps still commits durably.
import { freshDatabaseUrl } from './helpers/postgres';
import { openDb, type Db } from '../storage/db';
import { sharedLimiters } from '../storage/rate-limits';

const opened: Db[] = [];
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
});

const setting = async (db: Pick<Db, 'query'>) =>
  (await db.query<{ synchronous_commit: string }>('show synchronous_commit'))[0]!.synchronous_commit;

test('the unflushed statements commit without waiting for the disk; the others, and transactions, wait', async () => {
  const db = await openDb({ url: await freshDatabaseUrl('limits') });
  opened.push(db);
  // More than one pool's worth, so every connection of each pool is asked.
  const unflushed = await Promise.all(Array.from({ length: 12 }, () => setting(db.unflushed)));
  expect(new Set(unflushed)).toEqual(new Set(['off']));
  const durable = await Promise.all(Array.from({ length: 24 }, () => setting(db)));
  expect(new Set(durable)).toEqual(new Set(['on']));
  expect(await db.transaction((tx) => setting(tx))).toBe('on');
});

test('two servers keep one budget, and spend it through the unflushed connections', async () => {
  const url = await freshDatabaseUrl('limits');
  const [first, second] = await Promise.all([openDb({ url }), openDb({ url })]);
  opened.push(first!, second!);
  let counted = 0;
  const counting = (db: Db): Pick<Db, 'unflushed'> => ({
    unflushed: {
      query: (sql, params) => {
        counted += 1;
        return db.unflushed.query(sql, params);
      },
    },
  });
  const budget = { name: 'alerts', points: 3, durationSeconds: 60 };
  const [a, b] = [sharedLimiters(counting(first!))(budget), sharedLimiters(counting(second!))(budget)];
  const spent = [];
  for (const limiter of [a, b, a, b, a]) {
    spent.push(
      await limiter.consume('siem').then(
        () => 'ok',
        () => 'refused',
      ),
    );
  }
  expect(spent).toEqual(['ok', 'ok', 'ok', 'refused', 'refused']);
  expect(counted).toBeGreaterThanOrEqual(4);
  // The counter is in the table, as every server sees it.
  const [row] = await first!.query<{ points: number }>(
    "select points from rate_limits where key = 'alerts:siem'",
  );
  expect(row!.points).toBeGreaterThanOrEqual(4);
});
