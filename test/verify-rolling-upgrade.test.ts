// A rolling upgrade in the middle of a sign-in watch. Since the `verify-watch-by-retries` patch the
// workflow asks for one read that Temporal runs again until the window ends (ActionInput.watch); a
// worker from before it does not know the watch and answers after one look. The workflow must then
// wait `every` and ask again, as the timer loop did, and still find a sign-in made later. The worker
// here is the current one, built as Reflex builds it, with an activity interceptor that drops the
// watch before the activity sees it (what the older worker's activities do), on the real dev server.
import { NativeConnection, type ActivityInterceptorsFactory, type Worker } from '@temporalio/worker';
import { createReflexWorker } from '../worker/worker';
import { createGraphClient } from '../startup/graph-client';
import { GraphThrottle } from '../activities/entra/throttle';
import { TemplateStore } from '../activities/notify/templates';
import { SHIPPED_TEMPLATES_DIR } from '../startup/project';
import { demoTransport, type Mailer } from '../mail/transport';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { fastPlaybooks, writeWatchPlaybook } from './helpers/playbooks';
import { step, waitForState } from './helpers/incidents';
import { entraSettingsFor } from './fakes/entra-fake';

const dir = fastPlaybooks([]);
writeWatchPlaybook(dir, { id: 'watch-upgrade', type: 'upgrade-test', window: '30s' });

const fake = useEntraFake();
// The server alone: the only worker on its task queue is the test's below.
const reflex = useReflex(() => ({ entra: fake, playbooksDir: dir, mode: 'server' }));

/** The watches the older worker was asked for and dropped. */
let dropped = 0;
const olderWorker: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      const [arg] = input.args as [{ watch?: unknown } | undefined];
      if (arg?.watch === undefined) return next(input);
      dropped++;
      const { watch: _dropped, ...before } = arg;
      return next({ ...input, args: [before] });
    },
  },
});

let connection: NativeConnection;
let mailer: Mailer;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: reflex.temporalAddress });
  mailer = demoTransport(reflex.mailbox!.port);
  const graph = createGraphClient(entraSettingsFor(fake.url));
  const throttle = new GraphThrottle();
  const from = 'reflex@museum.example';
  worker = await createReflexWorker({
    connection,
    namespace: 'default',
    taskQueue: reflex.taskQueue,
    workflowBundle: { codePath: process.env.REFLEX_TEST_BUNDLE! },
    interceptors: { activity: [olderWorker] },
    deps: {
      audit: reflex.audit,
      email: { mailer, from },
      notify: { mailer, from, templates: new TemplateStore(SHIPPED_TEMPLATES_DIR) },
      entra: { graph, throttle },
      approvalLinks: reflex.approvalLinks,
      secrets: { graph, throttle, stores: new Map() },
      http: { secrets: {}, allowLoopback: true },
      chat: { channels: new Map() },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await mailer.close();
  await connection.close();
});

test('a worker that does not watch answers after one look; the workflow asks again every `every` and still finds the sign-in', async () => {
  const user = fake.addUser({ userPrincipalName: 'hugo@museum.example' });
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'upgrade-test', severity: 'medium', entities: { users: [user.userPrincipalName] } }),
  );
  expect(response.status).toBe(202);
  const id = response.body.incidentId as string;
  const reads = () => fake.calls.filter((c) => c.path.endsWith('/auditLogs/signIns')).length;
  await waitForState(reflex.gateway, id, (s) => step(s, 'watch').status === 'running');
  for (let i = 0; reads() < 3; i++) {
    if (i > 200) throw new Error(`only ${reads()} reads`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // A sign-in after three looks that each came back empty.
  fake.signIns.push({
    id: `${user.id}-late`,
    createdDateTime: new Date().toISOString(),
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ipAddress: '203.0.113.80',
    appDisplayName: 'Office 365 Exchange Online',
    status: { errorCode: 0 },
    location: { city: 'Lagos', countryOrRegion: 'NG' },
  });
  const done = await waitForState(reflex.gateway, id, (s) => step(s, 'watch').status === 'succeeded');
  expect(step(done, 'watch').output).toMatchObject({
    verified: false,
    signIn: { ip: '203.0.113.80' },
    blocked: false,
    revoked: true,
  });
  // The workflow asked for a watch every time; the worker dropped it and answered each look at once,
  // so the reads are separate activities with a timer between them (the loop from before the patch).
  const events = (await reflex.gateway.history(id)).events ?? [];
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'entra.signInsSince',
  );
  expect(scheduled.length).toBeGreaterThanOrEqual(4);
  expect(dropped).toBe(scheduled.length);
  const timers = events.filter((e) => e.timerStartedEventAttributes).length;
  expect(timers).toBeGreaterThanOrEqual(scheduled.length);
}, 60_000);
