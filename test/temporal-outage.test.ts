// Durability at intake: with Temporal down, webhooks get 503 with Retry-After and nothing is
// acknowledged; once it is back, the sender's retry creates the incident exactly once.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createLogger } from '../common/logger';
import { freePort } from './helpers/ports';
import { alertBody, postSigned, startTestReflex, type TestReflex } from './helpers/reflex';

let devServer: DevServer | undefined;
let reflex: TestReflex | undefined;
const log = createLogger({ level: 'silent' });

afterAll(async () => {
  await reflex?.stop();
  await devServer?.stop();
});

test('503 while Temporal is down, then exactly one incident from the retries', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'outage-'));
  const options = {
    cliPath: process.env.REFLEX_TEST_TEMPORAL_CLI!,
    dbFile: join(dir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: await freePort(),
    log,
  };
  devServer = await startDevServer(options);
  reflex = await startTestReflex({ temporalAddress: devServer.address });

  await devServer.stop();
  devServer = undefined;
  const alert = alertBody();
  const down = await postSigned(reflex.url, alert, { id: 'delivery-outage-1' });
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('5');
  expect(down.body).toEqual({ error: 'the workflow service is unavailable; retry later' });
  const readiness = await fetch(`${reflex.url}/readyz`);
  expect(readiness.status).toBe(503);
  expect(((await readiness.json()) as { checks: Record<string, string> }).checks.temporal).toMatch(/failing/);

  devServer = await startDevServer(options);
  // The sender retries until it gets a 2xx; the first 2xx comes only once the start is durable.
  let retry = await postSigned(reflex.url, alert, { id: 'delivery-outage-1' });
  for (let i = 0; retry.status === 503 && i < 40; i++) {
    await new Promise((r) => setTimeout(r, 500));
    retry = await postSigned(reflex.url, alert, { id: 'delivery-outage-1' });
  }
  expect(retry.status).toBe(202);
  expect(retry.body.deduplicated).toBe(false);
  // Once accepted, the same delivery id is a replay: refused, naming the incident it made.
  const again = await postSigned(reflex.url, alert, { id: 'delivery-outage-1' });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ incidentId: retry.body.incidentId });
  // The same alert in a new delivery joins the incident.
  const repeat = await postSigned(reflex.url, alert, { id: 'delivery-outage-2' });
  expect(repeat.body).toMatchObject({ incidentId: retry.body.incidentId, deduplicated: true });

  const id = retry.body.incidentId as string;
  const executions = await reflex.gateway.list({ incidentId: id });
  expect(executions).toHaveLength(1);
  await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
}, 120_000);
