// The board's story from the audit events alone: time to containment, the GDPR 72-hour clock (a late
// DPO notification says so), escalations and time-outs in plain words, in English and Dutch.
import { buildTimeline } from '../server/reports/timeline';
import type { AuditEvent } from '../storage/audit-event';

const T0 = Date.parse('2026-03-02T09:00:00Z');
let seq = 0;
const event = (minutes: number, kind: string, content: Record<string, unknown> = {}, actor = 'reflex') => {
  seq += 1;
  return {
    chainId: 'mass-export-1',
    seq,
    eventId: `e${seq}`,
    at: new Date(T0 + minutes * 60_000).toISOString(),
    kind,
    actor,
    content,
    prevHash: '',
    hash: '',
  } as unknown as AuditEvent; // partial contents: readers must cope with what older writers left out
};

const events: AuditEvent[] = [
  event(
    0,
    'alert.received',
    { title: 'Mass export from the CRM', severity: 'critical', entities: { users: ['eva@museum.example'] } },
    'source:sentinel',
  ),
  event(0, 'incident.started', { playbook: { id: 'mass-export', version: 2, title: 'Mass export' } }),
  event(0, 'step.started', {
    step: 'revoke',
    description: 'Sign the user out everywhere',
    action: 'entra.revokeSessions',
  }),
  event(3, 'step.succeeded', { step: 'revoke', action: 'entra.revokeSessions' }),
  event(3, 'step.started', { step: 'block', description: 'Block the account' }),
  event(3, 'approval.requested', {
    step: 'block',
    approvers: ['a@museum.example'],
    deadline: new Date(T0 + 33 * 60_000).toISOString(),
  }),
  event(13, 'approval.escalated', { step: 'block', addresses: ['dpo@museum.example'] }),
  event(33, 'approval.timed-out', { step: 'block', outcome: 'proceed' }),
  event(34, 'step.succeeded', { step: 'block', action: 'entra.disableAccount' }),
  event(35, 'incident.contained'),
  event(35, 'alert.joined', { title: 'Mass export from the CRM', alertCount: 7 }, 'source:sentinel'),
  // The DPO heard only after four days.
  event(4 * 24 * 60, 'step.succeeded', {
    step: 'notify-dpo',
    output: { template: 'dpo-art33', to: ['dpo@museum.example'] },
  }),
];

test('time to contain, an escalation, a time-out and a late DPO notification, told plainly', () => {
  const t = buildTimeline('mass-export-1', events, 'en', 'Europe/Amsterdam')!;
  expect(t.timeToFirstContainmentMs).toBe(3 * 60_000);
  expect(t.timeToFirstContainmentText).toBe('3 min 0 s');
  expect(t.timeToFullContainmentMs).toBe(35 * 60_000);
  expect(t.alertCount).toBe(7);
  expect(t.gdpr).toMatchObject({ deadline: '2026-03-05T09:00:00.000Z', dpoInTime: false });
  expect(t.approvals).toEqual([
    expect.objectContaining({ step: 'block', outcome: 'timed-out', decisions: [] }),
  ]);
  expect(t.entries.map((e) => e.text)).toEqual([
    'Alert received from sentinel: “Mass export from the CRM” (severity critical), account(s) eva@museum.example.',
    'Reflex opened the incident and started the playbook “Mass export”.',
    'Done: Sign the user out everywhere.',
    'Asked a@museum.example to approve “Block the account”, before 2 March 2026 at 10:33 (Europe/Amsterdam).',
    'No decision yet: also asked dpo@museum.example.',
    'Nobody decided in time on “Block the account”: Reflex went ahead with it.',
    'Done: Block the account.',
    'Every step is done: the incident is contained.',
    'Another alert joined this incident: “Mass export from the CRM” (7 alerts in all).',
    'E-mailed the data-protection officer (GDPR Art. 33) (dpo@museum.example).',
  ]);
  expect(t.entries[0]!.time).toBe('2 Mar 2026, 10:00:00');
});

test('in Dutch, and an incident without any containment step says so', () => {
  const notifyOnly = events.filter((e) => e.kind !== 'step.succeeded' || e.content.output);
  const t = buildTimeline(
    'mass-export-1',
    [...notifyOnly, event(40, 'incident.closed', { status: 'resolved' }, 'eva@museum.example')],
    'nl',
    'Europe/Amsterdam',
  )!;
  expect(t.timeToFirstContainmentMs).toBeUndefined();
  expect(t.timeToFirstContainmentText).toBe('geen indammingsstap');
  expect(t.statusText).toBe('Afgehandeld');
  expect(t.entries.at(-1)!.text).toBe('eva@museum.example sloot het incident af: Afgehandeld.');
  expect(t.entries[0]!.text).toMatch(/^Melding ontvangen van sentinel/);
});

test('events without an incident start are no timeline', () => {
  expect(buildTimeline('x', events.slice(0, 1), 'en', 'UTC')).toBeUndefined();
});
