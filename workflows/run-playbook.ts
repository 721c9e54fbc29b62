// The interpreter: one workflow runs any pinned playbook, step by step, and keeps its state queryable.
import { proxyActivities, setHandler, workflowInfo, ApplicationFailure } from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import { AuditTrail } from './audit-trail';
import { incidentStateQuery } from './messages';
import { runStep, type StepContext } from './step';
import type { IncidentInput, IncidentState } from './types';

const { 'audit.record': recordAudit } = proxyActivities<ReflexActivities>({
  startToCloseTimeout: '30 seconds',
  // An audit write is never dropped: it retries until the store is back (readiness reports the outage).
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' }, // no maximumAttempts: unlimited
});

export async function runPlaybook(input: IncidentInput): Promise<IncidentState> {
  const { incidentId, playbook, alert, drill } = input;
  const state: IncidentState = {
    incidentId,
    status: 'running',
    drill,
    playbook: { id: playbook.id, version: playbook.version, title: playbook.title },
    startedAt: new Date().toISOString(),
    alerts: [alert],
    steps: playbook.steps.map((s) => ({
      id: s.id,
      action: s.action,
      description: s.description,
      status: 'pending',
    })),
  };
  setHandler(incidentStateQuery, () => state);

  const audit = new AuditTrail(incidentId, workflowInfo().runId, recordAudit);
  if (drill) audit.add('drill.started', 'reflex', { note: 'DRILL: actions take their dry-run path' });
  audit.add('alert.received', `source:${alert.source}`, {
    externalId: alert.externalId,
    type: alert.type,
    title: alert.title,
    severity: alert.severity,
    occurredAt: alert.occurredAt,
    auth: 'verified',
  });
  audit.add('incident.started', 'reflex', {
    playbook: state.playbook,
    description: playbook.description,
  });

  const context: StepContext = {
    incident: { id: incidentId, drill },
    alert,
    entities: alert.entities,
    contacts: input.contacts,
    steps: {},
  };
  for (const [index, step] of playbook.steps.entries()) {
    const record = state.steps[index]!;
    const ok = await runStep(step, record, context, audit);
    if (!ok) {
      state.status = 'failed';
      break;
    }
  }
  if (state.status === 'running') state.status = 'completed';
  audit.add('incident.closed', 'reflex', { status: state.status });
  if (drill) audit.add('drill.finished', 'reflex', {});
  await audit.drain();
  if (state.status === 'failed') {
    // The state (with each step's error) stays queryable on the closed workflow.
    throw ApplicationFailure.nonRetryable(`incident ${incidentId}: a step failed`, 'IncidentFailed');
  }
  return state;
}
