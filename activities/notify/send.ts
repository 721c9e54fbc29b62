// notify.send: renders a notification template (DPO, NCSC, on-call, owner, manual steps, approval
// request) in English or Dutch and sends it. Times are written out in the organisation's time zone.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { TemplateStore } from './templates';
import { LOCALES, type Locale } from '../../workflows/model/locale';
import { messageIdFor, type SendsMail } from './email';
import { attemptSignal } from './attempt';
import type { ActionInput } from '../action';
import type { IncidentState } from '../../workflows/model/incident';

export const sendArgsSchema = z.object({
  template: z.string().min(1),
  locale: z.enum(LOCALES),
  to: z.array(z.email()).min(1),
  vars: z.record(z.string(), z.unknown()),
});

export interface NotifyDeps {
  mailer: SendsMail;
  from: string;
  templates: TemplateStore;
  /** IANA time zone for times in messages. @default Europe/Amsterdam */
  timeZone?: string;
}

const GDPR_DEADLINE_MS = 72 * 3_600_000;

/** One formatter per language and zone: making one costs far more than using it (a profile's 2 %). */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function formatTime(iso: string | undefined, locale: Locale, timeZone: string): string {
  if (!iso) return '';
  const key = `${locale} ${timeZone}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale === 'nl' ? 'nl-NL' : 'en-GB', {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone,
    });
    formatters.set(key, formatter);
  }
  return `${formatter.format(new Date(iso))} (${timeZone})`;
}

const OUTCOME_TEXT: Record<Locale, Record<string, string>> = {
  en: {
    proceed: 'Reflex goes ahead with it',
    skip: 'Reflex does not do it',
    abort: 'Reflex stops the response and undoes what it did',
  },
  nl: {
    proceed: 'Reflex voert het toch uit',
    skip: 'Reflex voert het niet uit',
    abort: 'Reflex stopt de afhandeling en draait terug wat al gedaan is',
  },
};

const STATUS_TEXT: Record<Locale, Record<string, string>> = {
  en: {
    running: 'ongoing, containment in progress',
    contained: 'contained',
    resolved: 'resolved',
    'false-positive': 'false positive',
    aborted: 'aborted',
  },
  nl: {
    running: 'lopend, indamming bezig',
    contained: 'ingedamd',
    resolved: 'afgehandeld',
    'false-positive': 'loos alarm',
    aborted: 'afgebroken',
  },
};

/** What the templates see: the workflow's variables plus times, deadlines and lists written out. */
export function buildView(
  vars: Record<string, unknown>,
  locale: Locale,
  timeZone: string,
): Record<string, unknown> {
  const fmt = (iso: string | undefined) => formatTime(iso, locale, timeZone);
  const incident = vars.incident as { startedAt: string; drill: boolean };
  const alert = vars.alert as { occurredAt: string };
  const state = vars.state as IncidentState | undefined;
  const steps = state?.steps ?? [];
  const approval = vars.approval as { deadline?: string; onTimeout?: string; kind?: string } | undefined;
  const verification = vars.verification as { since: string; signIn: { at: string } } | undefined;
  return {
    ...vars,
    drill: incident.drill,
    when: { occurredAt: fmt(alert.occurredAt) },
    gdpr: {
      awareAt: fmt(incident.startedAt),
      deadline: fmt(new Date(Date.parse(incident.startedAt) + GDPR_DEADLINE_MS).toISOString()),
    },
    statusText: STATUS_TEXT[locale][state?.status ?? 'running'],
    measuresTaken: steps
      .filter((s) => s.kind === 'action' && s.status === 'succeeded')
      .map((s) => ({ description: s.description, at: fmt(s.finishedAt) })),
    measuresPending: steps
      .filter((s) => s.kind === 'action' && ['pending', 'awaiting-approval', 'running'].includes(s.status))
      .map((s) => ({ description: s.description })),
    timeline: steps
      .filter((s) => s.kind !== 'parallel' && s.startedAt)
      .map((s) => ({ at: fmt(s.finishedAt ?? s.startedAt), description: s.description, status: s.status })),
    // A verify step's finding (still-active): its times written out.
    verification: verification && {
      ...verification,
      sinceText: fmt(verification.since),
      signIn: { ...verification.signIn, atText: fmt(verification.signIn.at) },
    },
    approval: approval && {
      ...approval,
      deadlineText: fmt(approval.deadline),
      onTimeoutText: OUTCOME_TEXT[locale][approval.onTimeout ?? 'skip'],
      isEscalation: approval.kind === 'escalation',
      isReminder: approval.kind === 'reminder',
    },
  };
}

export interface SendTemplateInput {
  incidentId: string;
  /** Makes the Message-ID: the same step sends the same Message-ID on every retry. */
  messageKey: string;
  template: string;
  locale: Locale;
  to: string[];
  vars: Record<string, unknown>;
}

/**
 * Renders and sends one templated message; failures a retry cannot fix are non-retryable. `signal`
 * ends the send (a message still queued for a connection leaves unsent): by default the attempt's
 * time from now; an activity that does other work first passes the one it took at its start.
 */
export async function sendTemplate(
  deps: NotifyDeps,
  input: SendTemplateInput,
  signal: AbortSignal | undefined = attemptSignal(),
) {
  const { mailer, from, templates, timeZone = 'Europe/Amsterdam' } = deps;
  let message;
  try {
    message = templates.render(input.template, input.locale, buildView(input.vars, input.locale, timeZone));
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `template ${input.template}.${input.locale}: ${(err as Error).message}`,
      'TemplateError',
    );
  }
  const messageId = messageIdFor(input.incidentId, input.messageKey);
  await mailer.sendMail({
    from,
    to: input.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId,
    headers: {
      'X-Reflex-Incident': input.incidentId,
      'X-Reflex-Step': input.messageKey,
      'X-Reflex-Template': input.template,
    },
    signal,
  });
  return { messageId, to: input.to, template: input.template, subject: message.subject };
}

export function createNotifyActivities(deps: NotifyDeps) {
  return {
    async 'notify.send'(
      input: ActionInput,
    ): Promise<{ messageId: string; to: string[]; template: string; subject: string }> {
      const parsed = sendArgsSchema.safeParse(input.args);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `notification arguments: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          'InvalidArguments',
        );
      }
      return sendTemplate(deps, { incidentId: input.incidentId, messageKey: input.stepId, ...parsed.data });
    },
  };
}
