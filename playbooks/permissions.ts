// The Microsoft Graph application permissions a set of playbooks needs: every action a step names,
// every compensation, and what verify steps read and do; read off the action definitions.
import { actionNamed, isActionName } from '../activities/actions';
import type { AnyActionDefinition } from '../activities/action';
import type { Step } from '../workflows/model/incident';
import type { LoadedPlaybook } from './load';

/** The actions the playbooks can call (steps and their compensations), in catalog order. */
export function actionsUsed(playbooks: readonly LoadedPlaybook[]): AnyActionDefinition[] {
  const names = new Set<string>();
  const walk = (steps: readonly Step[]) => {
    for (const step of steps) {
      if (step.kind === 'parallel') walk(step.parallel);
      if (step.kind === 'verify') {
        names.add(step.actions.check);
        if (step.onSignIn.block) [step.actions.block, step.actions.unblock].forEach((a) => names.add(a));
        if (step.onSignIn.revoke) names.add(step.actions.revoke);
      }
      if (step.kind !== 'action') continue;
      names.add(step.action);
      if (step.compensate) names.add(step.compensate.action);
    }
  };
  for (const playbook of playbooks) walk(playbook.resolved.steps);
  return [...names].filter(isActionName).map(actionNamed);
}

/** The least-privilege permissions those actions need, each once, sorted. */
export function permissionsNeeded(playbooks: readonly LoadedPlaybook[]): string[] {
  const needed = new Set(actionsUsed(playbooks).flatMap((a) => a.permission?.needs ?? []));
  return [...needed].sort();
}
