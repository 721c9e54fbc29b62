// Undoes completed steps in reverse order when an incident is aborted or marked a false positive.
import { proxyActivities } from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import { COMPENSATIONS } from './activity-options';
import type { Incident } from './incident';
import { call } from './records';
import { describe } from './describe';

export async function compensate(incident: Incident, reason: string): Promise<void> {
  const activities = proxyActivities<ReflexActivities>(COMPENSATIONS);
  while (incident.compensations.length > 0) {
    const entry = incident.compensations.pop()!;
    const record = incident.record(entry.stepId);
    try {
      const output = await call(
        activities,
        entry.action,
        incident.actionInput(`${entry.stepId}.compensate`, entry.args),
      );
      record.status = 'compensated';
      incident.audit.add('step.compensated', 'reflex', {
        step: entry.stepId,
        action: entry.action,
        reason,
        output,
      });
    } catch (err) {
      // Recorded, not hidden: a human must finish what could not be undone.
      incident.audit.add('step.compensation-failed', 'reflex', {
        step: entry.stepId,
        action: entry.action,
        error: describe(err),
      });
    }
  }
}
