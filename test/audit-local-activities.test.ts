// Audit batches are written by local activities (no activity tasks in the history), and the first
// batch waits for the first step's outcome, so the first containment call is scheduled in the
// incident's first workflow task; a first step that waits (an approval) releases the batch within
// a second. Real Temporal dev server, real worker, the store read back.
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { step, until, waitForState } from './helpers/incidents';

const fake = useEntraFake();
const reflex = useReflex({ entra: fake, playbooksDir: fastPlaybooks() });

async function raise(body: Record<string, unknown>): Promise<string> {
  const response = await postSigned(reflex.url, alertBody(body));
  expect(response.status).toBe(202);
  return response.body.incidentId as string;
}

/** The history's events in order: activities and markers by name, workflow tasks, the rest by kind. */
async function events(id: string): Promise<string[]> {
  const history = await reflex.gateway.history(id);
  return (history.events ?? []).map((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return `activity:${scheduled}`;
    if (e.markerRecordedEventAttributes) return `marker:${e.markerRecordedEventAttributes.markerName}`;
    if (e.workflowTaskScheduledEventAttributes) return 'task-scheduled';
    if (e.workflowTaskCompletedEventAttributes) return 'task-completed';
    return Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'other';
  });
}

test('the trail is written by local activities, after the first containment call is scheduled', async () => {
  fake.addUser({ userPrincipalName: 'la@museum.example' });
  const id = await raise({
    type: 'mass-download',
    severity: 'high',
    entities: { users: ['la@museum.example'] },
  });
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  const written = await until('the approval request on the audit trail', async () => {
    const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
    return kinds.includes('approval.requested') ? kinds : undefined;
  });
  expect(written.slice(0, 4)).toEqual([
    'alert.received',
    'incident.started',
    'step.started',
    'step.succeeded',
  ]);
  expect(await reflex.audit.verify(id)).toMatchObject({ ok: true });

  const history = await events(id);
  expect(history.filter((e) => e === 'activity:audit.record')).toEqual([]);
  expect(history.some((e) => e.startsWith('marker:core_local_activity'))).toBe(true);
  // The first workflow task schedules the call; no audit write runs before it.
  const secondTask = history.indexOf('task-scheduled', history.indexOf('task-completed'));
  expect(history.slice(0, secondTask)).toContain('activity:entra.revokeSessions');
  expect(history.indexOf('activity:entra.revokeSessions')).toBeLessThan(
    history.findIndex((e) => e.startsWith('marker:core_local_activity')),
  );
});

test('a first step that waits for approval does not keep the alert off the trail', async () => {
  fake.addUser({ userPrincipalName: 'wait1@museum.example' });
  fake.addUser({ userPrincipalName: 'wait2@museum.example' });
  const id = await raise({
    type: 'ransomware',
    severity: 'critical',
    entities: { users: ['wait1@museum.example', 'wait2@museum.example'], hosts: ['PC-1'] },
  });
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-accounts').status === 'awaiting-approval');
  const kinds = await until('the alert and the start on the trail while the first step waits', async () => {
    const written = (await reflex.audit.events(id)).map((e) => e.kind);
    return written.includes('incident.started') ? written : undefined;
  });
  expect(kinds.slice(0, 2)).toEqual(['alert.received', 'incident.started']);
  const state = await reflex.gateway.state(id);
  expect(step(state, 'disable-accounts').status).toBe('awaiting-approval');
});
