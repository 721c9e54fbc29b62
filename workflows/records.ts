// How a step's record starts and ends, and the call of an action by its catalog name: shared by the
// step kinds (steps.ts, verify.ts) and by compensation.
import type { ActionInput, ReflexActivities } from '../activities';
import type { Incident } from './incident';
import type { Step, StepRecord } from './model/incident';

/** `abort` ends the playbook (the incident is aborted and compensated); `next` goes on. */
export type StepResult = 'next' | 'abort';

/** Calls the activity registered under a catalog action name. */
export function call(activities: ReflexActivities, action: string, input: ActionInput): Promise<unknown> {
  const run = activities[action as keyof ReflexActivities] as unknown as (i: ActionInput) => Promise<unknown>;
  return run(input);
}

export function start(record: StepRecord, incident: Incident, step: Step): void {
  record.status = 'running';
  record.startedAt = new Date().toISOString();
  incident.audit.add('step.started', 'reflex', {
    step: step.id,
    kind: step.kind,
    action: step.kind === 'action' ? step.action : undefined,
    description: step.description,
  });
}

/** How a step ended, with what the record keeps of it. */
export type Finished =
  | { status: 'succeeded'; output?: unknown }
  | { status: 'failed'; error: string }
  | { status: 'skipped' | 'rejected'; reason: string };

export function finish(record: StepRecord, incident: Incident, result: Finished): void {
  const { status, ...details } = result;
  record.status = status;
  record.finishedAt = new Date().toISOString();
  Object.assign(record, details);
  incident.context.steps[record.id] = { output: 'output' in details ? details.output : undefined, status };
  const ref = { step: record.id, action: record.action };
  switch (result.status) {
    case 'succeeded':
      return incident.audit.add('step.succeeded', 'reflex', { ...ref, ...details });
    case 'failed':
      return incident.audit.add('step.failed', 'reflex', { ...ref, error: result.error });
    case 'skipped':
      return incident.audit.add('step.skipped', 'reflex', { ...ref, reason: result.reason });
    case 'rejected':
      return incident.audit.add('step.rejected', 'reflex', { ...ref, reason: result.reason });
  }
}
