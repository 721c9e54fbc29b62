// notify.email: sends one e-mail through nodemailer. A retried send keeps its Message-ID.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { Transporter } from 'nodemailer';
import type { ActionInput } from './types';

export const emailArgsSchema = z.object({
  to: z.union([z.email(), z.array(z.email()).min(1)]),
  subject: z.string().min(1).max(300),
  text: z.string().min(1),
  html: z.string().optional(),
});
export type EmailArgs = z.infer<typeof emailArgsSchema>;

export interface EmailResult {
  messageId: string;
  to: string[];
  /** In a drill: what would have been sent, and nothing was. */
  dryRun: boolean;
}

export interface EmailDeps {
  mailer: Pick<Transporter, 'sendMail'>;
  from: string;
  /** Host part of generated Message-IDs. @default 'reflex.local' */
  messageIdDomain?: string;
}

/** The Message-ID of a step's e-mail: derived from incident and step, so a retried send is recognisable. */
export function messageIdFor(incidentId: string, stepId: string, domain = 'reflex.local'): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `<${safe(incidentId)}.${safe(stepId)}@${domain}>`;
}

export function createEmailActivities({ mailer, from, messageIdDomain }: EmailDeps) {
  return {
    async 'notify.email'(input: ActionInput): Promise<EmailResult> {
      const parsed = emailArgsSchema.safeParse(input.args);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `notify.email arguments: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          'InvalidArguments',
        );
      }
      const args = parsed.data;
      const to = Array.isArray(args.to) ? args.to : [args.to];
      const messageId = messageIdFor(input.incidentId, input.stepId, messageIdDomain);
      await mailer.sendMail({
        from,
        to,
        subject: input.drill ? `[DRILL] ${args.subject}` : args.subject,
        text: args.text,
        html: args.html,
        messageId,
        headers: { 'X-Reflex-Incident': input.incidentId, 'X-Reflex-Step': input.stepId },
      });
      return { messageId, to, dryRun: false };
    },
  };
}
