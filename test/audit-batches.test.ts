// Audit batches (patch audit-batches-coalesced): the events one workflow task produces go to the store
// in one write. The first batch (the alert, the start, the first step) is scheduled in the same
// workflow task as the first containment call; the step's outcome and the approval request share the
// next one. The trail on the store is the same, in the same order, and verifies. Real Temporal dev
// server, real worker, the Entra fake, the store read back.
import { fastPlaybooks } from './helpers/playbooks';
import { alertBody, postSigned } from './helpers/reflex';
import { useEntraFake, useReflex } from './helpers/bootstrap';
import { step, until, waitForState } from './helpers/incidents';

const fake = useEntraFake();
const reflex = useReflex({ entra: fake, playbooksDir: fastPlaybooks() });

interface Entry {
  event: string;
  /** The kinds an audit write carries. */
  kinds?: string[];
}

/** The history in order: activities by name (an audit write with its kinds), markers, workflow tasks. */
async function history(id: string): Promise<Entry[]> {
  const { events } = await reflex.gateway.history(id);
  return (events ?? []).map((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    const name = scheduled?.activityType?.name;
    if (name === 'audit.record') {
      const data = scheduled!.input!.payloads![0]!.data!;
      const batch = JSON.parse(Buffer.from(data).toString('utf8')) as Array<{ kind: string }>;
      return { event: `activity:${name}`, kinds: batch.map((b) => b.kind) };
    }
    if (name) return { event: `activity:${name}` };
    if (e.markerRecordedEventAttributes)
      return { event: `marker:${e.markerRecordedEventAttributes.markerName}` };
    if (e.workflowTaskCompletedEventAttributes) return { event: 'task-completed' };
    return { event: Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? 'other' };
  });
}

/** The history cut at each completed workflow task: what each task's commands scheduled. */
function byTask(entries: Entry[]): Entry[][] {
  const tasks: Entry[][] = [];
  let current: Entry[] | undefined;
  for (const entry of entries) {
    if (entry.event === 'task-completed') tasks.push((current = []));
    else if (current && (entry.event.startsWith('activity:') || entry.event.startsWith('marker:')))
      current.push(entry);
  }
  return tasks;
}

test('one write per workflow task: the alert, the start and the first step beside the first containment call', async () => {
  fake.addUser({ userPrincipalName: 'batch@museum.example' });
  const response = await postSigned(
    reflex.url,
    alertBody({ type: 'mass-download', severity: 'high', entities: { users: ['batch@museum.example'] } }),
  );
  expect(response.status).toBe(202);
  const id = response.body.incidentId as string;
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  const written = await until('the approval request on the audit trail', async () => {
    const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
    return kinds.includes('approval.requested') ? kinds : undefined;
  });
  expect(written.slice(0, 5)).toEqual([
    'alert.received',
    'incident.started',
    'step.started',
    'step.succeeded',
    'approval.requested',
  ]);
  expect(await reflex.audit.verify(id)).toMatchObject({ ok: true });

  const entries = await history(id);
  const [first, ...rest] = byTask(entries);
  expect(first).toEqual([
    { event: 'marker:core_patch' },
    { event: 'activity:entra.revokeSessions' },
    { event: 'activity:audit.record', kinds: ['alert.received', 'incident.started', 'step.started'] },
  ]);
  // The revoke's outcome and the approval request: one write, not one per event.
  const outcome = rest.flat().find((e) => e.kinds?.includes('step.succeeded'));
  expect(outcome?.kinds?.slice(0, 2)).toEqual(['step.succeeded', 'approval.requested']);
  // Every event on the store came from exactly one write (the history may hold a write still running).
  const stored = (await reflex.audit.events(id)).map((e) => e.kind);
  const scheduled = (await history(id)).flatMap((e) => e.kinds ?? []);
  expect(scheduled.slice(0, stored.length)).toEqual(stored);
});
