// notify.email: sends one e-mail through nodemailer. A retried send keeps its Message-ID.
import { z } from 'zod';
import type { SendMailOptions } from 'nodemailer';
import { activitiesOf, defineAction } from '../action';
import { attemptSignal } from './attempt';

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

/** What sending needs of a mail transport: mail/transport.ts's pooled one, or any nodemailer transport. */
export interface SendsMail {
  sendMail(mail: SendMailOptions): Promise<unknown>;
}

export interface EmailDeps {
  mailer: SendsMail;
  from: string;
  /** Host part of generated Message-IDs. @default 'reflex.local' */
  messageIdDomain?: string;
}

/** The Message-ID of a step's e-mail: derived from incident and step, so a retried send is recognisable. */
export function messageIdFor(incidentId: string, stepId: string, domain = 'reflex.local'): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `<${safe(incidentId)}.${safe(stepId)}@${domain}>`;
}

export const notifyEmail = defineAction<EmailDeps>()({
  name: 'notify.email',
  description: 'Send an e-mail',
  input: emailArgsSchema,
  // Alert data in the HTML part is escaped (an app name cannot add links or images to on-call's mail).
  encode: { html: 'html' },
  permissionNote: "none: Reflex's own SMTP relay (`mail.smtpUrl`)",
  // In a drill it still sends, marked [DRILL], only to the drill recipients (whoever the step names).
  mutates: false,
  timeoutSeconds: 30,
  maxAttempts: 10,
  async run({ mailer, from, messageIdDomain }, args, ctx): Promise<EmailResult> {
    const signal = attemptSignal();
    const to = ctx.drill && ctx.drillRecipients ? ctx.drillRecipients : [args.to].flat();
    const messageId = messageIdFor(ctx.incidentId, ctx.stepId, messageIdDomain);
    await mailer.sendMail({
      from,
      to,
      subject: ctx.drill ? `[DRILL] ${args.subject}` : args.subject,
      text: args.text,
      html: args.html,
      messageId,
      headers: { 'X-Reflex-Incident': ctx.incidentId, 'X-Reflex-Step': ctx.stepId },
      signal,
    });
    return { messageId, to, dryRun: false };
  },
});

export function createEmailActivities(deps: EmailDeps) {
  return activitiesOf([notifyEmail] as const, deps);
}
