// Runs one action step: renders its arguments, calls its activity, records the outcome.
import { proxyActivities, ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ReflexActivities, ActionInput } from '../activities';
import type { AuditTrail } from './audit-trail';
import { render } from './template';
import type { ActionStep, StepRecord, Contacts } from './types';
import type { Alert } from '../triggers/alert';

/** What step templates can refer to. */
export interface StepContext {
  [key: string]: unknown;
  incident: { id: string; drill: boolean };
  alert: Alert;
  entities: Alert['entities'];
  contacts: Contacts;
  steps: Record<string, { output: unknown }>;
}

/** Runs `step`; returns false when it failed for good. */
export async function runStep(
  step: ActionStep,
  record: StepRecord,
  context: StepContext,
  audit: AuditTrail,
): Promise<boolean> {
  const activities = proxyActivities<ReflexActivities>({
    startToCloseTimeout: `${step.timeoutSeconds} seconds`,
    retry: { maximumAttempts: step.maxAttempts, initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  const input: ActionInput = {
    incidentId: context.incident.id,
    stepId: step.id,
    drill: context.incident.drill,
    args: render(step.with, context) as Record<string, unknown>,
  };
  record.status = 'running';
  record.startedAt = new Date().toISOString();
  audit.add('step.started', 'reflex', { step: step.id, action: step.action, description: step.description });
  try {
    const run = activities[step.action as keyof ReflexActivities] as (i: ActionInput) => Promise<unknown>;
    const output = await run(input);
    record.status = 'succeeded';
    record.output = output;
    context.steps[step.id] = { output };
    audit.add('step.succeeded', 'reflex', { step: step.id, action: step.action, output });
    return true;
  } catch (err) {
    record.status = 'failed';
    record.error = describe(err);
    audit.add('step.failed', 'reflex', { step: step.id, action: step.action, error: record.error });
    return false;
  } finally {
    record.finishedAt = new Date().toISOString();
  }
}

function describe(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return `${err.cause.type ?? 'Error'}: ${err.cause.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
