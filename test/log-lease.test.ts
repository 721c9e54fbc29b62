// Two servers with log triggers on one PostgreSQL: one reads the logs at a time, holding a lease; when
// it dies (stops renewing without giving the lease up), the other takes over from the saved
// checkpoint: nothing is read twice and nothing is skipped. A process that lost the lease cannot
// overwrite its successor's checkpoint.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { freshDatabaseUrl } from './helpers/postgres';
import { until } from './helpers/incidents';
import { openDb, type Db } from '../storage/db';
import { DbLogState, LogLeaseLostError } from '../storage/log-state';
import { Leases } from '../storage/leases';
import { WebhookDeliveries } from '../storage/deliveries';
import { LogTriggers } from '../triggers/logs/runner';
import { loadRules } from '../triggers/logs/rules';

const LEASE = 'log-triggers';
const TTL_MS = 3000;

function server(db: Db, holder: string, file: string, delivered: string[]) {
  const leases = new Leases(db);
  const deliveries = new WebhookDeliveries(db);
  const process = { dead: false };
  const triggers = new LogTriggers({
    rules: loadRules([join(__dirname, 'fixtures/rules-syslog')]),
    files: [{ name: 'auth', path: file, format: 'jsonl', kind: 'syslog', drill: true }],
    store: new DbLogState(db, { lease: LEASE, holder }),
    sink: {
      claim: async (id) => (await deliveries.claim('log-rules', id)).first,
      release: (id) => deliveries.release('log-rules', id),
      deliver: async (alert) => void delivered.push(`${holder}: ${alert.title}`),
    },
    log: pino({ level: 'silent' }),
    pollMs: 100,
    lease: {
      // A dead process renews nothing and gives nothing up.
      acquire: async () => !process.dead && leases.acquire(LEASE, holder, TTL_MS),
      release: async () => {
        if (!process.dead) await leases.release(LEASE, holder);
      },
      renewMs: TTL_MS / 3,
    },
  });
  return { triggers, process };
}

const line = (host: string) =>
  `${JSON.stringify({ app: 'sshd', host, message: 'Accepted password for root from 198.51.100.7' })}\n`;

test('one server reads the logs; when it dies the other goes on from its checkpoint', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'log-lease-'));
  const file = join(dir, 'auth.jsonl');
  writeFileSync(file, '');
  const db = await openDb({ url: await freshDatabaseUrl('lease') });
  const delivered: string[] = [];
  const a = server(db, 'server-a', file, delivered);
  const b = server(db, 'server-b', file, delivered);
  try {
    await a.triggers.start();
    await b.triggers.start();
    expect(await new Leases(db).holder(LEASE)).toBe('server-a');

    appendFileSync(file, line('first'));
    await until('the first line delivered', () => (delivered.length === 1 ? true : undefined));
    expect(delivered).toEqual(['server-a: Root password login on first']);

    // Server A dies: its sources stop, its lease is neither renewed nor given up.
    a.process.dead = true;
    await a.triggers.stop();
    appendFileSync(file, line('second'));
    await until('server B to take over', async () =>
      (await new Leases(db).holder(LEASE)) === 'server-b' ? true : undefined,
    );
    await until('the second line delivered', () => (delivered.length === 2 ? true : undefined));
    // Read once each: B began at A's checkpoint.
    await new Promise((r) => setTimeout(r, 500));
    expect(delivered).toEqual([
      'server-a: Root password login on first',
      'server-b: Root password login on second',
    ]);

    // A paused rather than dead would find its place taken: its save is refused.
    const late = new DbLogState(db, { lease: LEASE, holder: 'server-a' });
    await expect(late.save({ checkpoints: {} })).rejects.toThrow(LogLeaseLostError);
  } finally {
    await a.triggers.stop();
    await b.triggers.stop();
    await db.close();
  }
}, 60_000);

test('a clean stop gives the lease up at once', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'log-lease-'));
  const file = join(dir, 'auth.jsonl');
  writeFileSync(file, '');
  const db = await openDb({ url: await freshDatabaseUrl('lease') });
  const a = server(db, 'server-a', file, []);
  try {
    await a.triggers.start();
    expect(await new Leases(db).holder(LEASE)).toBe('server-a');
    await a.triggers.stop();
    expect(await new Leases(db).holder(LEASE)).toBeUndefined();
  } finally {
    await db.close();
  }
});
