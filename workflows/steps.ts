// Runs one step of any kind: condition, approval, the action's activity, and its record.
import { proxyActivities, sleep, isCancellation } from '@temporalio/workflow';
import type { ActionInput, ReflexActivities } from '../activities';
import { MESSAGES, actionOptions } from './activity-options';
import { awaitApproval } from './approval';
import { describe, licenceMissing } from './describe';
import { groupsOf, postToChannels } from './chat';
import { evaluate } from './model/conditions';
import { toMs } from './model/durations';
import type { Incident } from './incident';
import { render, renderArguments } from './model/template';
import type { ActionStep, NotifyStep, Step, StepRecord } from './model/incident';

/** `abort` ends the playbook (the incident is aborted and compensated); `next` goes on. */
export type StepResult = 'next' | 'abort';

export async function runSteps(steps: readonly Step[], incident: Incident): Promise<StepResult> {
  for (const step of steps) {
    if ((await runStep(step, incident)) === 'abort') return 'abort';
  }
  return 'next';
}

export async function runStep(step: Step, incident: Incident): Promise<StepResult> {
  const record = incident.record(step.id);
  if (!evaluate(step.when, incident.context)) {
    finish(record, incident, { status: 'skipped', reason: 'its condition did not hold' });
    return 'next';
  }
  switch (step.kind) {
    case 'wait':
      start(record, incident, step);
      await sleep(toMs(step.wait));
      finish(record, incident, { status: 'succeeded' });
      return 'next';
    case 'parallel': {
      start(record, incident, step);
      const results = await Promise.all(step.parallel.map((child) => runStep(child, incident)));
      finish(record, incident, { status: 'succeeded' });
      return results.includes('abort') ? 'abort' : 'next';
    }
    case 'notify':
      return runNotify(step, record, incident);
    case 'action':
      return runAction(step, record, incident);
  }
}

async function runAction(step: ActionStep, record: StepRecord, incident: Incident): Promise<StepResult> {
  if (step.approval !== 'none') {
    const outcome = await awaitApproval(step, record, incident);
    if (outcome === 'rejected') {
      finish(record, incident, { status: 'rejected', reason: 'an approver rejected it' });
      return 'next';
    }
    if (outcome === 'skip') {
      finish(record, incident, { status: 'skipped', reason: 'nobody approved it in time' });
      return 'next';
    }
    if (outcome === 'abort') {
      finish(record, incident, {
        status: 'skipped',
        reason: 'nobody approved it in time: the incident is aborted',
      });
      return 'abort';
    }
  }
  start(record, incident, step);
  const activities = proxyActivities<ReflexActivities>(actionOptions(step));
  // One call, or one per item of a forEach list (side by side, each with its own step id).
  const items = step.forEach
    ? [render(step.forEach, incident.context)].flat().filter((i) => i !== undefined && i !== '')
    : [undefined];
  try {
    const outputs = await Promise.all(
      items.map(async (item, index) => {
        const context = step.forEach ? { ...incident.context, item } : incident.context;
        const output = await call(
          activities,
          step.action,
          incident.actionInput(
            step.forEach ? `${step.id}.${index}` : step.id,
            renderArguments(step.with, context, step.encode),
          ),
        );
        if (step.compensate) {
          const after = {
            ...context,
            steps: { ...incident.context.steps, [step.id]: { output, status: 'succeeded' } },
          };
          incident.compensations.push({
            stepId: step.id,
            action: step.compensate.action,
            args: renderArguments(step.compensate.with, after, step.compensate.encode),
          });
        }
        return output;
      }),
    );
    finish(record, incident, { status: 'succeeded', output: step.forEach ? outputs : outputs[0] });
    return 'next';
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A tenant without the licence: not a failure of the response, and the reason says what it means.
    const licence = licenceMissing(err);
    if (licence) {
      finish(record, incident, { status: 'skipped', reason: `skipped: ${licence}` });
      return 'next';
    }
    finish(record, incident, { status: 'failed', error: describe(err) });
    return step.onFailure === 'abort' ? 'abort' : 'next';
  }
}

async function runNotify(step: NotifyStep, record: StepRecord, incident: Incident): Promise<StepResult> {
  start(record, incident, step);
  const rendered = render(step.to, incident.context);
  const to = incident.state.drill
    ? incident.input.contacts.drillRecipients
    : [rendered].flat().map(String).filter(Boolean);
  const { 'notify.send': send } = proxyActivities<ReflexActivities>(MESSAGES);
  try {
    const output = await send({
      incidentId: incident.state.incidentId,
      stepId: step.id,
      drill: incident.state.drill,
      args: {
        template: step.notify,
        locale: step.locale,
        to,
        vars: {
          ...incident.context,
          ...(render(step.with, incident.context) as object),
          state: incident.state,
        },
      },
    });
    finish(record, incident, { status: 'succeeded', output });
    await postToChannels(incident, groupsOf(incident, to), {
      step: step.id,
      key: 'notify',
      title: output.subject,
      text: incident.state.alerts[0]?.title,
      button: {
        title: 'Open the incident',
        path: `/board/incidents/${encodeURIComponent(incident.state.incidentId)}`,
      },
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    finish(record, incident, { status: 'failed', error: describe(err) });
  }
  return 'next';
}

/** Calls the activity registered under a catalog action name. */
export function call(activities: ReflexActivities, action: string, input: ActionInput): Promise<unknown> {
  const run = activities[action as keyof ReflexActivities] as unknown as (i: ActionInput) => Promise<unknown>;
  return run(input);
}

function start(record: StepRecord, incident: Incident, step: Step): void {
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
type Finished =
  | { status: 'succeeded'; output?: unknown }
  | { status: 'failed'; error: string }
  | { status: 'skipped' | 'rejected'; reason: string };

function finish(record: StepRecord, incident: Incident, result: Finished): void {
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
