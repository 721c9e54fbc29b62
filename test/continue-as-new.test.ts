// A long-lived incident (an alert storm joining a contained incident) stays under Temporal's history
// limits by continuing as new, and carries its state, its compensations and its audit numbering.
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createLogger } from '../common/logger';
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, postSigned, startTestReflex, type TestReflex } from './helpers/reflex';
import { waitForState } from './helpers/incidents';

let devServer: DevServer;
let reflex: TestReflex;

beforeAll(async () => {
  devServer = await startDevServer({
    cliPath: process.env.REFLEX_TEST_TEMPORAL_CLI!,
    log: createLogger({ level: 'silent' }),
    // Suggest continue-as-new after 60 history events instead of thousands.
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 },
  });
  reflex = await startTestReflex({
    temporalAddress: devServer.address,
    playbooksDir: fastPlaybooks(['notify-on-call']),
  });
});
afterAll(async () => {
  await reflex?.stop();
  await devServer?.stop();
});

test('an alert storm on a contained incident continues as new and keeps everything', async () => {
  const alert = alertBody({ type: 'storm' });
  const first = await postSigned(reflex.url, alert);
  const id = first.body.incidentId as string;
  await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
  const firstRun = (await reflex.gateway.get(id))!.workflow.runId;

  for (let i = 0; i < 80; i++) {
    const repeat = await postSigned(reflex.url, { ...alert, title: `repeat ${i}` }, { id: `storm-${i}` });
    expect(repeat.body).toMatchObject({ incidentId: id, deduplicated: true });
  }
  const after = await waitForState(reflex.gateway, id, (s) => s.alertCount === 81);
  expect(after.status).toBe('contained');
  expect(after.alerts[0]!.title).toBe(alert.title); // the first alert is kept
  // Joins are signals (one history event each): the run continues as new once Temporal suggests it.
  let runId = firstRun;
  for (let i = 0; i < 100 && runId === firstRun; i++) {
    await new Promise((r) => setTimeout(r, 100));
    runId = (await reflex.gateway.get(id))!.workflow.runId;
  }
  expect(runId).not.toBe(firstRun);
  // The memo (with openedAt, where the dedup window starts) is carried into the new run.
  expect((await reflex.gateway.get(id))!.workflow.memo).toMatchObject({
    openedAt: expect.any(String),
    playbookId: 'notify-on-call',
  });

  const closed = await reflex.gateway.resolve(id, { as: 'contained', by: 'oncall@museum.example' });
  expect(closed).toMatchObject({ status: 'resolved', alertCount: 81 });
  const events = await reflex.audit.events(id);
  expect(events.filter((e) => e.kind === 'alert.joined')).toHaveLength(80);
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  expect((await reflex.audit.verify(id)).ok).toBe(true);
}, 120_000);
