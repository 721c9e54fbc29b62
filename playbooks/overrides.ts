// What the configuration may change in a playbook without copying it (`playbooks.overrides`): who
// approves a step, how many, how long they have, and whom they escalate to. The change is made to the
// compiled playbook before it is pinned into an incident, so a running incident never sees it change.
import type { ApprovalPolicy, Step } from '../workflows/model/incident';
import type { ApproverGroupRef, LoadedPlaybook } from './load';
import { toMs } from '../workflows/model/durations';
import { playbookDigest } from './sign-off';

/** The configuration's change to one step's approval. */
export interface StepOverride {
  approvers?: string[];
  quorum?: number;
  timeout?: string;
  escalation?: Array<{ after: string; approvers: string[] }>;
}

/** A problem with an override, at a key path under the playbook's override. */
export interface OverrideProblem {
  path: string[];
  message: string;
}

/** Where the override is written, to name its lines. */
export interface OverrideSource {
  file?: string;
  line(path: readonly string[]): number | undefined;
}

/** Every step, parallel ones included. */
function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => (s.kind === 'parallel' ? [s, ...allSteps(s.parallel)] : [s]));
}

function describe(stepId: string, o: StepOverride): string {
  const parts = [
    o.approvers && `approved by ${o.approvers.join(', ')}`,
    o.quorum && `quorum ${o.quorum}`,
    o.timeout && `within ${o.timeout}`,
    o.escalation &&
      `escalating to ${o.escalation.map((e) => `${e.approvers.join(', ')} after ${e.after}`).join('; ')}`,
  ].filter(Boolean);
  return `step "${stepId}": ${parts.join(', ')}`;
}

/**
 * The playbook with its steps' approvals changed as `steps` says, or the problems: a step that does
 * not exist or asks no approval.
 */
export function overrideSteps(
  playbook: LoadedPlaybook,
  steps: Readonly<Record<string, StepOverride>>,
  source: OverrideSource,
): { playbook: LoadedPlaybook; problems: OverrideProblem[] } {
  const problems: OverrideProblem[] = [];
  const resolved = structuredClone(playbook.resolved);
  const byId = new Map(allSteps(resolved.steps).map((s) => [s.id, s]));
  let refs = playbook.approverGroups;
  const overridden = [...(playbook.overridden ?? [])];
  for (const [stepId, o] of Object.entries(steps)) {
    const step = byId.get(stepId);
    if (!step) {
      problems.push({
        path: ['steps', stepId],
        message: `playbook "${resolved.id}" has no step "${stepId}" (its steps: ${[...byId.keys()].join(', ')})`,
      });
      continue;
    }
    if (step.kind !== 'action' || step.approval === 'none') {
      problems.push({
        path: ['steps', stepId],
        message: `step "${stepId}" of playbook "${resolved.id}" asks no approval, so there is none to change`,
      });
      continue;
    }
    const approval: ApprovalPolicy = step.approval;
    const added: ApproverGroupRef[] = [];
    const ref = (group: string, as: ApproverGroupRef['as'], path: string[]) =>
      added.push({
        step: stepId,
        group,
        as,
        file: source.file,
        line: source.line(['steps', stepId, ...path]),
      });
    if (o.approvers) {
      approval.approvers = o.approvers;
      refs = refs.filter((r) => !(r.step === stepId && r.as === 'approvers'));
      o.approvers.forEach((g, k) => ref(g, 'approvers', ['approvers', String(k)]));
    }
    if (o.escalation) {
      approval.escalation = o.escalation;
      refs = refs.filter((r) => !(r.step === stepId && r.as === 'escalation'));
      o.escalation.forEach((e, j) =>
        e.approvers.forEach((g, k) =>
          ref(g, 'escalation', ['escalation', String(j), 'approvers', String(k)]),
        ),
      );
    }
    if (o.quorum !== undefined) approval.quorum = o.quorum;
    if (o.timeout !== undefined) approval.timeout = o.timeout;
    const late = approval.escalation.find((e) => toMs(e.after) >= toMs(approval.timeout));
    if (late) {
      problems.push({
        path: ['steps', stepId],
        message: `step "${stepId}": escalation after ${late.after} would come after the approval times out (${approval.timeout})`,
      });
    }
    refs = [...refs, ...added];
    overridden.push(describe(stepId, o));
  }
  const stepOverrides = Object.keys(steps).length ? steps : undefined;
  return {
    playbook: {
      ...playbook,
      resolved,
      approverGroups: refs,
      overridden,
      stepOverrides,
      // What the board signs off includes who approves which step.
      digest: playbookDigest({ definition: playbook.definition, stepOverrides }),
    },
    problems,
  };
}
