// Credentials in paths never reach a log line (issue 12, item 5): an approval link's token when the
// workflow service fails behind GET and POST /approve/<token>, and a Splunk source's URL secret when
// its delivery gets a 503 (the intake journal full while Temporal is away). On real Temporal, stopped
// in the middle.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createLogger } from '../common/logger';
import { alertBody, postSigned, startTestReflex, TEST_SOURCES, type TestReflex } from './helpers/reflex';
import { linkIn, openLink, post } from './helpers/approval-links';
import { waitForState } from './helpers/incidents';
import { EntraFake } from './fakes/entra-fake';

const URL_SECRET = 'splunk-url-secret-0123456789abcdefghijklmn';
let devServer: DevServer | undefined;
let reflex: TestReflex | undefined;
let fake: EntraFake | undefined;

afterAll(async () => {
  await reflex?.stop();
  await devServer?.stop();
  await fake?.stop();
});

test('neither an approval token nor a URL secret appears in the logs when Temporal fails', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'log-secrets-'));
  devServer = await startDevServer({
    cliPath: process.env.REFLEX_TEST_TEMPORAL_CLI!,
    dbFile: join(dir, 'temporal.sqlite'),
    log: createLogger({ level: 'silent' }),
  });
  fake = await new EntraFake().start();
  reflex = await startTestReflex({
    temporalAddress: devServer.address,
    entraUrl: fake.url,
    playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
    contacts: {
      onCall: ['anna@museum.example'],
      dpo: 'dpo@museum.example',
      groups: { 'three-approvers': ['q1@museum.example'] },
    },
    extra: {
      // At most one alert waits for Temporal: the second delivery below is refused with a 503.
      server: { port: 0, maxBodyBytes: 64 * 1024, readinessCheckMinutes: 0, journal: { maxPending: 1 } },
      sources: [
        ...TEST_SOURCES,
        { name: 'splunk', format: 'splunk', auth: { scheme: 'url-secret', secrets: [URL_SECRET] } },
      ],
    },
  });
  fake.addUser({ userPrincipalName: 'logs@museum.example' });
  const id = (
    await postSigned(
      reflex.url,
      alertBody({ type: 'approval-test', entities: { users: ['logs@museum.example'] } }),
    )
  ).body.incidentId as string;
  await waitForState(reflex.gateway, id, (s) => s.steps[0]!.status === 'awaiting-approval');
  const mail = await reflex.mailbox!.waitFor((m) => m.headers['x-reflex-incident'] === id);
  const link = linkIn(mail);
  const token = link.split('/approve/')[1]!;
  const page = await openLink(link);
  expect(page.status).toBe(200);

  // The workflow service goes away.
  await devServer.stop();
  devServer = undefined;
  const decided = await post(link, { decision: 'approve', csrf: page.csrf! }, page.cookie);
  expect(decided.status).toBe(503);
  const reopened = await openLink(link);
  expect(reopened.status).toBe(503);
  expect(reopened.html).toContain('the link still works');
  const deliver = (sid: string) =>
    fetch(`${reflex!.url}/hooks/splunk/${URL_SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        search_name: 'Ticketing admin brute force',
        result: { user: `${sid}@museum.example`, reflex_type: 'approval-test' },
        sid,
      }),
    });
  // Kept in the intake journal while Temporal is away (its opening failed, and will be tried again)...
  const kept = await deliver('sid-1');
  expect(kept.status).toBe(202);
  expect(await kept.json()).toMatchObject({ pending: true });
  // ...and once the drainer has counted it, the journal is full: the next delivery fails with a 503.
  let refused = await deliver('sid-2');
  for (let i = 0; refused.status === 202 && i < 30; i++) {
    await new Promise((r) => setTimeout(r, 500));
    refused = await deliver(`sid-${3 + i}`);
  }
  expect(refused.status).toBe(503);

  const logs = reflex.logs();
  expect(logs).not.toContain(token);
  expect(logs).not.toContain(URL_SECRET);
  // What is logged names the route, not the path.
  expect(logs).toContain('POST /hooks/:source/:secret');
}, 120_000);
