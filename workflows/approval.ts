// Waits for approval of one step: quorum of distinct approvers, an escalation ladder, reminders, and
// the playbook's outcome when nobody answers in time. Decisions arrive as the decideApproval Update.
import { CancellationScope, condition, proxyActivities } from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import { MESSAGES } from './activity-options';
import { evaluate } from './model/conditions';
import { toMs } from './model/durations';
import type { Incident } from './incident';
import type { DecideApprovalInput, DecideApprovalResult } from './messages';
import type { ActionStep, ApprovalPolicy, Outcome, StepRecord } from './model/incident';
import { postToChannels } from './chat';

const { 'approval.request': send, 'approval.close': closeLinks } =
  proxyActivities<ReflexActivities>(MESSAGES);

export type ApprovalResult = 'approved' | 'rejected' | Outcome;

/** Validator of decideApproval: throws (rejecting the update) unless this decision may be taken now. */
export function validateDecision(incident: Incident, input: DecideApprovalInput): void {
  const record = incident.state.steps.find((s) => s.id === input.stepId);
  if (!record) throw new Error(`no step "${input.stepId}" in this incident`);
  const approval = record.approval;
  if (record.status !== 'awaiting-approval' || !approval)
    throw new Error(`step "${input.stepId}" is not waiting for approval`);
  if (approval.outcome) throw new Error(`step "${input.stepId}" is already decided (${approval.outcome})`);
  const approver = input.approver.toLowerCase();
  if (!approval.allowed.map((a) => a.toLowerCase()).includes(approver)) {
    throw new Error(`${input.approver} may not decide step "${input.stepId}"`);
  }
  if (approval.decisions.some((d) => d.approver.toLowerCase() === approver)) {
    throw new Error(`${input.approver} has already decided step "${input.stepId}"`);
  }
}

/** Handler of decideApproval (runs after the validator accepted it). */
export function applyDecision(incident: Incident, input: DecideApprovalInput): DecideApprovalResult {
  const record = incident.record(input.stepId);
  const approval = record.approval!;
  approval.decisions.push({
    approver: input.approver.toLowerCase(),
    decision: input.decision,
    at: new Date().toISOString(),
    ip: input.ip,
    userAgent: input.userAgent,
    comment: input.comment,
  });
  const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
  // One rejection stops a destructive step; approvals count once per person.
  if (input.decision === 'reject') approval.outcome = 'rejected';
  else if (approvals >= approval.quorum) approval.outcome = 'approved';
  incident.audit.add('approval.decided', input.approver.toLowerCase(), {
    step: input.stepId,
    decision: input.decision,
    ip: input.ip,
    userAgent: input.userAgent,
    comment: input.comment,
    approvals,
    quorum: approval.quorum,
  });
  return {
    outcome:
      approval.outcome === 'approved' || approval.outcome === 'rejected' ? approval.outcome : 'pending',
    approvals,
    quorum: approval.quorum,
  };
}

async function waitForDecision(
  step: ActionStep,
  record: StepRecord,
  incident: Incident,
): Promise<ApprovalResult> {
  const policy = step.approval as ApprovalPolicy;
  const startedAt = Date.now();
  const deadline = startedAt + toMs(policy.timeout);
  const ladder = policy.escalation.map((e) => ({ at: startedAt + toMs(e.after), approvers: e.approvers }));
  const remindEvery = policy.remindEvery ? toMs(policy.remindEvery) : undefined;
  record.status = 'awaiting-approval';
  const allowed = incident.addressesOf(policy.approvers);
  record.approval = {
    allowed,
    // In a drill the drill recipients stand in for every group, so a two-person rule may have fewer people.
    quorum: incident.state.drill ? Math.min(policy.quorum, allowed.length) : policy.quorum,
    deadline: new Date(deadline).toISOString(),
    decisions: [],
    escalations: 0,
  };
  const approval = record.approval;
  const timeoutOutcome = onTimeout(policy, incident);
  approval.onTimeout = timeoutOutcome;
  incident.audit.add('approval.requested', 'reflex', {
    step: step.id,
    approvers: approval.allowed,
    quorum: policy.quorum,
    deadline: approval.deadline,
    onTimeout: timeoutOutcome,
  });
  await request(step, incident, approval.allowed, timeoutOutcome, approval.deadline, 'request');
  await announce(step, incident, policy.approvers, approval.allowed, approval.deadline, 'request');

  let nextReminder = remindEvery ? startedAt + remindEvery : Infinity;
  let reminders = 0;
  while (!approval.outcome) {
    const next = ladder[approval.escalations];
    const wake = Math.min(deadline, next?.at ?? Infinity, nextReminder);
    const decided = await condition(() => approval.outcome !== undefined, Math.max(wake - Date.now(), 1));
    if (decided) break;
    const now = Date.now();
    if (now >= deadline) {
      approval.outcome = 'timed-out';
      incident.audit.add('approval.timed-out', 'reflex', { step: step.id, outcome: timeoutOutcome });
      return timeoutOutcome;
    }
    if (next && now >= next.at) {
      const added = incident.addressesOf(next.approvers).filter((a) => !approval.allowed.includes(a));
      approval.allowed.push(...added);
      approval.escalations += 1;
      incident.audit.add('approval.escalated', 'reflex', {
        step: step.id,
        to: next.approvers,
        addresses: added,
      });
      await request(step, incident, added, timeoutOutcome, approval.deadline, 'escalation');
      await announce(
        step,
        incident,
        next.approvers,
        added,
        approval.deadline,
        `escalation-${approval.escalations}`,
      );
    }
    if (remindEvery && now >= nextReminder) {
      nextReminder = now + remindEvery;
      const undecided = approval.allowed.filter(
        (a) => !approval.decisions.some((d) => d.approver === a.toLowerCase()),
      );
      incident.audit.add('approval.reminded', 'reflex', { step: step.id, addresses: undecided });
      reminders += 1;
      await request(step, incident, undecided, timeoutOutcome, approval.deadline, 'reminder', reminders);
    }
  }
  return approval.outcome === 'approved' ? 'approved' : 'rejected';
}

function onTimeout(policy: ApprovalPolicy, incident: Incident): Outcome {
  const rule = policy.onTimeout;
  if (typeof rule === 'string') return rule;
  return evaluate(rule.when, incident.context) ? rule.then : rule.otherwise;
}

/**
 * The request in the chat channels of the groups asked. Its button opens the signed-in approval page
 * (never an approver's own link, which is theirs alone): whoever opens it decides as themselves.
 */
async function announce(
  step: ActionStep,
  incident: Incident,
  groups: readonly string[],
  asked: readonly string[],
  deadline: string,
  key: string,
): Promise<void> {
  const alert = incident.state.alerts[0];
  await postToChannels(incident, groups, {
    step: step.id,
    key,
    title: `${key === 'request' ? 'Approval needed' : 'Still no decision'}: ${step.description}`,
    text: alert ? alert.title : '',
    facts: [
      ...(alert ? [{ title: 'Severity', value: alert.severity }] : []),
      ...(alert?.entities.users.length
        ? [{ title: 'Accounts', value: alert.entities.users.join(', ') }]
        : []),
      { title: 'Asked', value: asked.join(', ') },
    ],
    deadline,
    button: {
      title: 'Open the approval page',
      path: `/approvals/${encodeURIComponent(incident.state.incidentId)}/${encodeURIComponent(step.id)}`,
    },
  });
}

/**
 * One e-mail per approver, each with that approver's own link. Reminders mail a fresh link (the
 * previous one may have been opened by a mail scanner, which does not use it up, but a fresh one
 * costs nothing).
 */
async function request(
  step: ActionStep,
  incident: Incident,
  to: readonly string[],
  timeoutOutcome: Outcome,
  deadline: string,
  kind: 'request' | 'escalation' | 'reminder',
  round = 0,
): Promise<void> {
  await Promise.all(
    to.map((approver) =>
      send({
        incidentId: incident.state.incidentId,
        stepId: `${step.id}.approval.${kind}${round ? `-${round}` : ''}.${approver}`,
        drill: incident.state.drill,
        args: {
          step: step.id,
          approver,
          deadline,
          publicUrl: incident.input.organisation.publicUrl,
          vars: {
            ...incident.context,
            approval: {
              step: step.id,
              action: step.actionDescription,
              description: step.description,
              approver,
              deadline,
              onTimeout: timeoutOutcome,
              kind,
            },
          },
        },
      }),
    ),
  );
}

/** Waits for the step's approval; its links are closed however the wait ends (decided, timed out, aborted). */
export async function awaitApproval(
  step: ActionStep,
  record: StepRecord,
  incident: Incident,
): Promise<ApprovalResult> {
  let outcome: string = 'cancelled';
  try {
    const result = await waitForDecision(step, record, incident);
    outcome = record.approval?.outcome ?? result;
    return result;
  } finally {
    await CancellationScope.nonCancellable(() =>
      closeLinks({
        incidentId: incident.state.incidentId,
        stepId: `${step.id}.approval.close`,
        drill: incident.state.drill,
        args: { step: step.id, outcome },
      }),
    );
    incident.audit.add('approval.closed', 'reflex', { step: step.id, outcome });
  }
}
