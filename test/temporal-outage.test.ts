// Durability at intake with Temporal down: the alert is journalled and answered 202 "pending" (the
// journal holds it), a replay of it is refused naming the incident it will open, and a full journal
// answers 503 with Retry-After; once Temporal is back the drainer opens the incident exactly once.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createLogger } from '../common/logger';
import { alertBody, auth, postSigned, startTestReflex, type TestReflex } from './helpers/reflex';
import { until } from './helpers/chaos';

let devServer: DevServer | undefined;
let reflex: TestReflex | undefined;
const log = createLogger({ level: 'silent' });

afterAll(async () => {
  await reflex?.stop();
  await devServer?.stop();
});

/** A gauge's value on /metrics. */
async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${reflex!.url}/metrics`, { headers: auth('board') })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

test('journalled while Temporal is down; a full journal answers 503; one incident once it is back', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'outage-'));
  const options = {
    cliPath: process.env.REFLEX_TEST_TEMPORAL_CLI!,
    dbFile: join(dir, 'temporal.sqlite'),
    log,
  };
  devServer = await startDevServer(options);
  // Back on the same file and port: Reflex keeps the address it was given.
  const port = Number(devServer.address.split(':').pop());
  reflex = await startTestReflex({
    temporalAddress: devServer.address,
    extra: {
      server: { port: 0, maxBodyBytes: 64 * 1024, readinessCheckMinutes: 0, journal: { maxPending: 1 } },
    },
  });

  await devServer.stop();
  devServer = undefined;
  const alert = alertBody();
  const down = await postSigned(reflex.url, alert, { id: 'delivery-outage-1' });
  // Durably journalled: a 2xx, and the incident it will open once Temporal answers.
  expect(down.status).toBe(202);
  expect(down.body).toMatchObject({ pending: true, routed: true, journal: expect.any(String) });
  const id = down.body.incidentId as string;
  expect(id).toMatch(/^compromised-account-[0-9a-f]{20}$/);
  const readiness = await fetch(`${reflex.url}/readyz`);
  expect(readiness.status).toBe(503);
  expect(((await readiness.json()) as { checks: Record<string, string> }).checks.temporal).toMatch(/failing/);
  // A replay of the journalled delivery is refused, naming that incident.
  const replay = await postSigned(reflex.url, alert, { id: 'delivery-outage-1' });
  expect(replay).toMatchObject({ status: 409, body: { incidentId: id } });

  // The backlog is on /metrics; at its bound (1 here) the next alert is refused, nothing recorded.
  await until(
    'the backlog measured',
    async () => ((await gauge('reflex_intake_journal_pending')) === 1 ? 1 : undefined),
    30_000,
  );
  const other = alertBody({ entities: { users: ['someone.else@museum.example'] } });
  const full = await postSigned(reflex.url, other, { id: 'delivery-outage-2' });
  expect(full.status).toBe(503);
  expect(full.headers.get('retry-after')).toBe('5');
  expect(full.body.error).toMatch(/too many alerts waiting/);

  devServer = await startDevServer({ ...options, port });
  // The drainer opens the journalled alert; the refused one gets through on the sender's retry.
  await until(
    'the incident opened',
    async () => ((await reflex!.gateway.list({ incidentId: id })).length > 0 ? 1 : undefined),
    90_000,
  );
  let retry = await postSigned(reflex.url, other, { id: 'delivery-outage-2' });
  for (let i = 0; retry.status === 503 && i < 40; i++) {
    await new Promise((r) => setTimeout(r, 500));
    retry = await postSigned(reflex.url, other, { id: 'delivery-outage-2' });
  }
  expect(retry.status).toBe(202);
  // The same alert in a new delivery joins the incident.
  const repeat = await postSigned(reflex.url, alert, { id: 'delivery-outage-3' });
  expect(repeat.body).toMatchObject({ incidentId: id, deduplicated: true });

  expect(await reflex.gateway.list({ incidentId: id })).toHaveLength(1);
  await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
  await until(
    'the backlog empty',
    async () => ((await gauge('reflex_intake_journal_pending')) === 0 ? 1 : undefined),
    30_000,
  );
}, 180_000);
