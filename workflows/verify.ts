// A verify step: after a sign-out (or block), watch the account's sign-ins for a window, because
// Microsoft takes minutes to make a revocation hold and a stolen refresh token may still work
// meanwhile. The looks are one read Temporal runs again every `every` (durable: a crash loses none).
// A successful sign-in from an address the playbook does not allow escalates at once, without
// waiting for anyone: block, sign out again, tell on-call.
import { isCancellation, patched, proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import type { SignIn } from '../activities/entra/sign-ins';
import { MESSAGES, actionOptions } from './activity-options';
import { groupsOf, postToChannels } from './chat';
import { describe, licenceMissing } from './describe';
import type { Incident } from './incident';
import { toMs } from './model/durations';
import type { StepRecord, VerifyStep } from './model/incident';
import { render } from './model/template';
import { call, finish, start, type StepResult } from './records';

/** One read of the sign-in log (a drill's, and each look of runs from before the patch below). */
const CHECKS = actionOptions({ timeoutSeconds: 30, maxAttempts: 5 });
/** The escalation's own calls: as patient as any containment step. */
const ESCALATION = actionOptions({ timeoutSeconds: 30, maxAttempts: 8 });

/**
 * Runs started with this patch wait for the first look as before, then watch with one activity that
 * Temporal runs again every `every` until it finds a sign-in or the window ends (the read answers "not
 * yet" until then, ActionInput.watch): two workflow tasks for the whole watch instead of two for each
 * look, a timer's and the read's (15 looks in the shipped playbook); 2.4 times less CPU per look
 * (docs/BENCHMARKS.md). Histories recorded before it replay the timer loop.
 */
export const WATCH_BY_RETRIES_PATCH = 'verify-watch-by-retries';

/**
 * The watch: one read per `every` until the window ends; a failed read is tried again at the same
 * pace (the next read covers the time the failed one would have). After the window, as long again (at
 * most five minutes) for a last read to get through before the step fails.
 */
function watchOptions(every: number, window: number): ActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: window + Math.min(window, 5 * 60_000),
    retry: { initialInterval: every, backoffCoefficient: 1, maximumInterval: every },
  };
}

export async function runVerify(
  step: VerifyStep,
  record: StepRecord,
  incident: Incident,
): Promise<StepResult> {
  const after = incident.state.steps.find((s) => s.id === step.after);
  if (after?.status !== 'succeeded' || !after.finishedAt) {
    finish(record, incident, {
      status: 'skipped',
      reason: `nothing to verify: “${after?.description ?? step.after}” did not sign the account out`,
    });
    return 'next';
  }
  start(record, incident, step);
  const user = String(render(step.user, incident.context) ?? '');
  const since = after.finishedAt;
  const until = new Date(Date.parse(since) + toMs(step.window)).toISOString();
  const input = incident.actionInput(step.id, { user, since, allowIps: step.allow.ips });
  const checks = proxyActivities<ReflexActivities>(CHECKS);
  const check = () =>
    call(checks, step.actions.check, input) as Promise<{ signIns?: SignIn[]; dryRun?: true }>;

  try {
    if (incident.state.drill) {
      // A drill shows what would be read, once, and does not keep the incident open for the window.
      const planned = await check();
      finish(record, incident, { status: 'succeeded', output: { ...planned, window: step.window } });
      return 'next';
    }
    // Since the patch, each read is a watch Temporal runs again until the window ends (one look then,
    // not one per `every`). An action or worker that does not watch answers after one look, and
    // the loop goes on as before.
    const watches = proxyActivities<ReflexActivities>(watchOptions(toMs(step.every), toMs(step.window)));
    const watch = { until, everySeconds: Math.max(1, Math.round(toMs(step.every) / 1000)) };
    const look = patched(WATCH_BY_RETRIES_PATCH)
      ? () => call(watches, step.actions.check, { ...input, watch }) as Promise<{ signIns?: SignIn[] }>
      : check;
    for (;;) {
      const wait = Math.min(toMs(step.every), Date.parse(until) - Date.now());
      if (wait > 0) await sleep(wait);
      const found = (await look()).signIns ?? [];
      if (found[0]) return await escalate(step, record, incident, { user, since, signIn: found[0] });
      if (Date.now() >= Date.parse(until)) break;
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    const licence = licenceMissing(err);
    finish(
      record,
      incident,
      licence
        ? { status: 'skipped', reason: `skipped: ${licence}` }
        : { status: 'failed', error: describe(err) },
    );
    return 'next';
  }
  incident.audit.add('verification.passed', 'reflex', { step: step.id, user, since, until });
  finish(record, incident, { status: 'succeeded', output: { verified: true, user, since, until } });
  return 'next';
}

/** A sign-in after the sign-out: act first, then tell; each part recorded as it went. */
async function escalate(
  step: VerifyStep,
  record: StepRecord,
  incident: Incident,
  finding: { user: string; since: string; signIn: SignIn },
): Promise<StepResult> {
  const { user } = finding;
  const acts = proxyActivities<ReflexActivities>(ESCALATION);
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      problems.push(`${what}: ${describe(err)}`);
      return false;
    }
  };
  const blocked =
    step.onSignIn.block &&
    (await attempt('block', () =>
      call(acts, step.actions.block, incident.actionInput(`${step.id}.block`, { user })),
    ));
  if (blocked) {
    // A false positive unblocks the account again, like a block step's own undo.
    incident.compensations.push({ stepId: step.id, action: step.actions.unblock, args: { user } });
  }
  const revoked =
    step.onSignIn.revoke &&
    (await attempt('sign out', () =>
      call(acts, step.actions.revoke, incident.actionInput(`${step.id}.revoke`, { user })),
    ));
  const told =
    step.onSignIn.notify &&
    (await attempt('tell on-call', () => tell(step, incident, finding, { blocked, revoked })));
  incident.audit.add('verification.failed', 'reflex', {
    step: step.id,
    user,
    since: finding.since,
    signIn: { at: finding.signIn.at, ip: finding.signIn.ip, app: finding.signIn.app },
    blocked,
    revoked,
    told,
  });
  finish(record, incident, {
    status: 'succeeded',
    output: { verified: false, ...finding, blocked, revoked, told, ...(problems.length ? { problems } : {}) },
  });
  return 'next';
}

async function tell(
  step: VerifyStep,
  incident: Incident,
  finding: { user: string; since: string; signIn: SignIn },
  did: { blocked: boolean; revoked: boolean },
): Promise<void> {
  const to = incident.state.drill ? incident.input.contacts.drillRecipients : incident.input.contacts.onCall;
  const words =
    step.locale === 'nl'
      ? { blocked: 'het account geblokkeerd', revoked: 'opnieuw afgemeld' }
      : { blocked: 'blocked the account', revoked: 'signed it out again' };
  const done = [did.blocked && words.blocked, did.revoked && words.revoked].filter(Boolean);
  const { 'notify.send': send } = proxyActivities<ReflexActivities>(MESSAGES);
  const output = await send({
    incidentId: incident.state.incidentId,
    stepId: `${step.id}.notify`,
    drill: incident.state.drill,
    args: {
      template: 'still-active',
      locale: step.locale,
      to,
      vars: {
        ...incident.context,
        state: incident.state,
        verification: { ...finding, done },
      },
    },
  });
  await postToChannels(incident, groupsOf(incident, to), {
    step: step.id,
    key: 'still-active',
    title: output.subject,
    text: `${finding.signIn.at} ${finding.signIn.ip ?? ''}`.trim(),
    button: {
      title: 'Open the incident',
      path: `/board/incidents/${encodeURIComponent(incident.state.incidentId)}`,
    },
  });
}
