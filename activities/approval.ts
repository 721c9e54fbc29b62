// Approval requests: one e-mail per approver carrying that approver's own single-use link. The token
// is made and mailed inside this activity and never returned, so it never enters workflow history.
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/activity';
import { sendTemplate, type NotifyDeps } from './notify/send';
import { attemptSignal } from './notify/attempt';
import type { ActionInput } from './action';

export interface ApprovalLinkStore {
  issue(incidentId: string, stepId: string, approver: string, expiresAt: Date): Promise<string>;
  closeStep(incidentId: string, stepId: string, outcome: string): Promise<void>;
}

export interface ApprovalDeps {
  links: ApprovalLinkStore;
  notify: NotifyDeps;
}

const requestArgs = z.object({
  step: z.string().min(1),
  approver: z.email(),
  deadline: z.iso.datetime(),
  publicUrl: z.url(),
  locale: z.enum(['en', 'nl']).default('en'),
  vars: z.record(z.string(), z.unknown()),
});

const closeArgs = z.object({ step: z.string().min(1), outcome: z.string().min(1) });

export function createApprovalActivities({ links, notify }: ApprovalDeps) {
  return {
    async 'approval.request'(input: ActionInput): Promise<{ messageId: string; to: string[] }> {
      // The attempt's time counts from here, before the link's database write.
      const signal = attemptSignal();
      const parsed = requestArgs.safeParse(input.args);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(parsed.error.message, 'InvalidArguments');
      const args = parsed.data;
      const token = await links.issue(input.incidentId, args.step, args.approver, new Date(args.deadline));
      const approval = {
        ...(args.vars.approval as object),
        link: `${args.publicUrl.replace(/\/$/, '')}/approve/${token}`,
      };
      const sent = await sendTemplate(
        notify,
        {
          incidentId: input.incidentId,
          messageKey: input.stepId,
          template: 'approval-request',
          locale: args.locale,
          to: [args.approver],
          vars: { ...args.vars, approval },
        },
        signal,
      );
      return { messageId: sent.messageId, to: sent.to };
    },

    async 'approval.close'(input: ActionInput): Promise<void> {
      const args = closeArgs.parse(input.args);
      await links.closeStep(input.incidentId, args.step, args.outcome);
    },
  };
}
