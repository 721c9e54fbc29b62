// Board sign-off of playbooks: what the board approves (a digest of a playbook's exact content), how a
// playbook stands against its latest sign-off, and what an incident pins of it. Pure: the records
// themselves live on the audit store's `governance` chain (storage/sign-offs.ts).
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { PlaybookDef } from './schema';
import type { ApprovalPolicy, PinnedSignOff, ResolvedPlaybook, Step } from '../workflows/model/incident';
import type { AuditContent } from '../workflows/model/audit-events';

/** One sign-off as recorded: who approved which version's exact content (its digest), and when. */
export type SignOff = Omit<AuditContent['playbook.signed-off'], 'signature'>;

/** How a loaded playbook stands: signed off as it is, changed since, or never signed off. */
export type Standing =
  | { status: 'signed-off'; signOff: SignOff }
  | { status: 'changed'; signOff: SignOff }
  | { status: 'unsigned' };

/** What happens to a playbook that changed since its sign-off (`playbooks.signOff.whenChanged`). */
export type WhenChanged = 'run-and-flag' | 'require-approval';

/**
 * The digest a sign-off covers: SHA-256 over the playbook's canonical form (its parsed content with
 * keys sorted, so comments, quoting and layout do not count; every value does) and the
 * configuration's changes to its steps' approvals, which change what runs without a pre-approval.
 */
export function playbookDigest(playbook: {
  definition: PlaybookDef;
  stepOverrides?: Readonly<Record<string, unknown>>;
}): string {
  const canonical = stringify({
    definition: playbook.definition,
    stepOverrides: playbook.stepOverrides ?? {},
  });
  return createHash('sha256').update(canonical!).digest('hex');
}

/** The playbook's standing against the newest of `signOffs` for its id (any version). */
export function standingOf(
  playbook: { definition: Pick<PlaybookDef, 'id' | 'version'>; digest: string },
  signOffs: readonly SignOff[],
): Standing {
  const latest = signOffs
    .filter((s) => s.playbook === playbook.definition.id)
    .reduce<SignOff | undefined>((a, b) => (!a || b.at >= a.at ? b : a), undefined);
  if (!latest) return { status: 'unsigned' };
  const same = latest.version === playbook.definition.version && latest.digest === playbook.digest;
  return { status: same ? 'signed-off' : 'changed', signOff: latest };
}

/** Who is asked, under `require-approval`, to approve a step the board had pre-approved. */
const CHANGED_APPROVAL: ApprovalPolicy = {
  approvers: ['on-call'],
  quorum: 1,
  timeout: '15m',
  escalation: [],
  onTimeout: 'skip',
};

/**
 * The playbook an incident pins: its sign-off quoted (or `null`: none on record), and, when it changed
 * since and the configuration says so, every step that would have run without a person — an action
 * that changes something, with `approval: none` — asks on-call first (skipped if nobody answers in
 * 15 minutes). Notifications, reads and verification watches run as written.
 */
export function pinSignOff(
  resolved: ResolvedPlaybook,
  standing: Standing,
  whenChanged: WhenChanged,
): ResolvedPlaybook {
  const signOff: PinnedSignOff | null =
    standing.status === 'unsigned'
      ? null
      : {
          version: standing.signOff.version,
          by: standing.signOff.by,
          role: standing.signOff.role,
          at: standing.signOff.at,
          changed: standing.status === 'changed',
          ...(standing.status === 'changed' && whenChanged === 'require-approval'
            ? { approvalRequired: true }
            : {}),
        };
  if (!signOff?.approvalRequired) return { ...resolved, signOff };
  const ask = (step: Step): Step => {
    if (step.kind === 'parallel') return { ...step, parallel: step.parallel.map(ask) };
    if (step.kind === 'action' && step.mutates && step.approval === 'none') {
      return { ...step, approval: structuredClone(CHANGED_APPROVAL) };
    }
    return step;
  };
  return { ...resolved, signOff, steps: resolved.steps.map(ask) };
}
