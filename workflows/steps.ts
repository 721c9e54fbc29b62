// Runs one step of any kind: condition, approval, the action's activity, and its record.
import { CancellationScope, proxyActivities, sleep, isCancellation } from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import { MESSAGES, actionOptions } from './activity-options';
import { awaitApproval } from './approval';
import { describe, licenceMissing } from './describe';
import { groupsOf, postToChannels } from './chat';
import { evaluate } from './model/conditions';
import { toMs } from './model/durations';
import type { Incident } from './incident';
import { render, renderArguments } from './model/template';
import type { ActionStep, NotifyStep, Step, StepRecord } from './model/incident';
import { call, finish, start, type StepResult } from './records';
import { runVerify } from './verify';

export type { StepResult } from './records';

/**
 * Runs steps in order. A verify step runs beside the steps after it (it watches for up to its whole
 * window, and nothing after it may wait on that); the steps are done when it is done too.
 */
export async function runSteps(steps: readonly Step[], incident: Incident): Promise<StepResult> {
  const watching: Array<Promise<StepResult>> = [];
  let watchers: CancellationScope | undefined;
  for (const step of steps) {
    if (step.kind === 'verify') {
      watchers ??= new CancellationScope();
      const watch = watchers.run(() => runStep(step, incident));
      // Handled now, awaited below: when closing cancels the steps, the loop may never get there,
      // and an unhandled rejection would fail the workflow task.
      watch.catch(() => undefined);
      watching.push(watch);
      continue;
    }
    if ((await runStep(step, incident)) === 'abort') {
      watchers?.cancel();
      await Promise.allSettled(watching);
      return 'abort';
    }
  }
  return (await Promise.all(watching)).includes('abort') ? 'abort' : 'next';
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
    case 'verify':
      return runVerify(step, record, incident);
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
