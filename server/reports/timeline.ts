// An incident's audit events turned into the story a board reads: what happened and when, what Reflex
// did, who decided, how fast it was contained, and whether the DPO heard in time. Pure: events in,
// timeline out, so the page, the PDF and the JSON API tell the same story.
import type { AuditEvent } from '../../storage/audit-event';
import { actionNamed, isActionName, isContainment } from '../../activities/actions';
import { formatTime } from '../../activities/notify/send';
import type { BreachDecision } from '../../workflows/model/audit-events';
import { DICTIONARIES, formatDuration, type ReportLocale } from './i18n';

export const GDPR_NOTIFY_MS = 72 * 3_600_000;
/** How long the attacks Reflex is built for take from login to exfiltration. */
export const ATTACK_WINDOW_MS = 10 * 60_000;

export interface TimelineEntry {
  at: string;
  /** `at` written out in the organisation's time zone. */
  time: string;
  actor: string;
  kind: string;
  text: string;
  /** The step it belongs to, if any. */
  step?: string;
}

export interface ApprovalRecord {
  step: string;
  description: string;
  requestedAt: string;
  approvers: string[];
  decisions: Array<{ approver: string; decision: string; at: string; time: string }>;
  outcome?: string;
}

export interface Timeline {
  incidentId: string;
  locale: ReportLocale;
  playbook: { id: string; version: number; title: string };
  drill: boolean;
  status: string;
  statusText: string;
  alert?: { title: string; severity: string; source: string; occurredAt?: string; users: string[] };
  alertCount: number;
  startedAt: string;
  firstContainedAt?: string;
  containedAt?: string;
  closedAt?: string;
  timeToFirstContainmentMs?: number;
  timeToFullContainmentMs?: number;
  timeToFirstContainmentText: string;
  timeToFullContainmentText: string;
  gdpr: {
    awareAt: string;
    deadline: string;
    dpoNotifiedAt?: string;
    dpoInTime?: boolean;
    authorityNotifiedAt?: string;
    /** The DPO's latest decision for the breach register. */
    decision?: BreachDecision & { by: string; at: string };
  };
  approvals: ApprovalRecord[];
  entries: TimelineEntry[];
}

/** An event of one kind, read from the store. */
type Event<K extends AuditEvent['kind']> = Extract<AuditEvent, { kind: K }>;
const isKind =
  <K extends AuditEvent['kind']>(kind: K) =>
  (e: AuditEvent): e is Event<K> =>
    e.kind === kind;

/** An outcome is read by people: a long one (an attacker's many rules) is cut, the API keeps all of it. */
const clip = (text: string | undefined, max = 600) =>
  text && text.length > max ? `${text.slice(0, max - 1)}…` : text;

export function buildTimeline(
  incidentId: string,
  events: readonly AuditEvent[],
  locale: ReportLocale,
  timeZone: string,
): Timeline | undefined {
  const started = events.find(isKind('incident.started'));
  if (!started) return undefined;
  const d = DICTIONARIES[locale];
  const time = (iso: string | undefined) => formatTime(iso, locale, timeZone);
  // Entries and decisions to the second: an attack like this one is over in minutes.
  const exact = new Intl.DateTimeFormat(locale === 'nl' ? 'nl-NL' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'medium',
    timeZone,
  });
  const stamp = (iso: string) => exact.format(new Date(iso));
  const day = new Intl.DateTimeFormat(locale === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long', timeZone });
  const longDate = (iso: string) => day.format(new Date(iso));
  const descriptions = new Map<string, string>();
  for (const e of events.filter(isKind('step.started'))) {
    if (typeof e.content.step === 'string') {
      descriptions.set(e.content.step, String(e.content.description ?? e.content.step));
    }
  }
  const describe = (step: unknown) => descriptions.get(String(step)) ?? String(step ?? '');

  const received = events.find(isKind('alert.received'));
  const alertContent = received?.content as Partial<Event<'alert.received'>['content']> | undefined;
  const playbook = started.content.playbook;
  const drill = events.some(isKind('drill.started'));

  let status = 'running';
  let firstContainedAt: string | undefined;
  let containedAt: string | undefined;
  let closedAt: string | undefined;
  let dpoNotifiedAt: string | undefined;
  let authorityNotifiedAt: string | undefined;
  let decision: Timeline['gdpr']['decision'];
  let alertCount = received ? 1 : 0;
  const approvals = new Map<string, ApprovalRecord>();
  const entries: TimelineEntry[] = [];

  for (const e of events) {
    const push = (text: string, step?: unknown) =>
      entries.push({
        at: e.at,
        time: stamp(e.at),
        actor: e.actor,
        kind: e.kind,
        text,
        step: step === undefined ? undefined : String(step),
      });
    switch (e.kind) {
      case 'alert.received': {
        const users = e.content.entities?.users ?? [];
        push(
          d.events['alert.received']({
            source: e.actor.replace(/^source:/, ''),
            title: String(e.content.title ?? ''),
            severity: String(e.content.severity ?? ''),
            users: users.join(', ') || undefined,
          }),
        );
        break;
      }
      case 'alert.joined':
        alertCount = Math.max(alertCount + 1, Number(e.content.alertCount) || 0);
        push(d.events['alert.joined']({ title: String(e.content.title ?? ''), alertCount }));
        break;
      case 'incident.started': {
        push(d.events['incident.started']({ title: playbook.title }));
        const signOff = e.content.signOff;
        const which = { playbook: playbook.id, version: signOff?.version ?? playbook.version };
        if (signOff === null) push(d.events['sign-off.none'](which));
        else if (signOff) {
          const facts = { ...which, by: signOff.by, role: signOff.role, date: longDate(signOff.at) };
          push(
            signOff.changed
              ? d.events['sign-off.changed']({
                  ...facts,
                  approvalRequired: signOff.approvalRequired ? 'yes' : undefined,
                })
              : d.events['sign-off.quoted'](facts),
          );
        }
        break;
      }
      case 'step.succeeded': {
        const c = e.content;
        const output = c.output as { template?: string; to?: string[] } | undefined;
        if (output?.template) {
          if (output.template === 'dpo-art33') dpoNotifiedAt ??= e.at;
          if (output.template === 'ncsc') authorityNotifiedAt ??= e.at;
          push(
            d.events['step.notified']({
              whom: d.templates[output.template] ?? output.template,
              to: (output.to ?? []).join(', '),
            }),
            c.step,
          );
        } else {
          if (isContainment(c.action)) firstContainedAt ??= e.at;
          const outcome =
            typeof c.action === 'string' && isActionName(c.action)
              ? actionNamed(c.action).reports?.(c.output, locale)
              : undefined;
          push(d.events['step.succeeded']({ description: describe(c.step), outcome: clip(outcome) }), c.step);
        }
        break;
      }
      case 'step.failed':
      case 'step.compensation-failed':
        push(
          d.events[e.kind]({ description: describe(e.content.step), error: String(e.content.error ?? '') }),
          e.content.step,
        );
        break;
      case 'step.retried':
        push(
          d.events['step.retried']({
            description: describe(e.content.step),
            attempt: Number(e.content.attempt),
          }),
          e.content.step,
        );
        break;
      case 'step.skipped':
        push(
          d.events['step.skipped']({ description: describe(e.content.step), reason: e.content.reason }),
          e.content.step,
        );
        break;
      case 'step.rejected':
      case 'step.compensated':
        push(d.events[e.kind]({ description: describe(e.content.step) }), e.content.step);
        break;
      case 'approval.requested': {
        const c = e.content;
        const approvers = c.approvers ?? [];
        approvals.set(String(c.step), {
          step: String(c.step),
          description: describe(c.step),
          requestedAt: e.at,
          approvers,
          decisions: [],
        });
        push(
          d.events['approval.requested']({
            approvers: approvers.join(', '),
            description: describe(c.step),
            deadline: time(c.deadline),
          }),
          c.step,
        );
        break;
      }
      case 'approval.viewed':
        push(
          d.events['approval.viewed']({ actor: e.actor, description: describe(e.content.step) }),
          e.content.step,
        );
        break;
      case 'approval.decided': {
        const c = e.content;
        const decision = c.decision === 'approve' ? 'approved' : 'rejected';
        approvals.get(String(c.step))?.decisions.push({
          approver: e.actor,
          decision,
          at: e.at,
          time: stamp(e.at),
        });
        push(
          d.events['approval.decided']({
            actor: e.actor,
            decision: d.outcome[decision],
            description: describe(c.step),
          }),
          c.step,
        );
        break;
      }
      case 'approval.escalated':
      case 'approval.reminded':
        push(d.events[e.kind]({ addresses: (e.content.addresses ?? []).join(', ') }), e.content.step);
        break;
      case 'chat.posted':
      case 'chat.failed':
        push(
          d.events[e.kind]({
            description: describe(e.content.step),
            channel: e.content.channel,
            error: e.kind === 'chat.failed' ? e.content.error : undefined,
          }),
          e.content.step,
        );
        break;
      case 'verification.passed':
        push(d.events['verification.passed']({ since: time(e.content.since) }), e.content.step);
        break;
      case 'verification.failed': {
        const c = e.content;
        push(
          d.events['verification.failed']({
            at: time(c.signIn.at),
            ip: c.signIn.ip ?? undefined,
            app: c.signIn.app ?? undefined,
            done: d.escalation(c),
          }),
          c.step,
        );
        break;
      }
      case 'approval.timed-out': {
        const c = e.content;
        const record = approvals.get(String(c.step));
        if (record) record.outcome = 'timed-out';
        push(
          d.events['approval.timed-out']({
            description: describe(c.step),
            outcome: d.outcome[String(c.outcome)] ?? String(c.outcome),
          }),
          c.step,
        );
        break;
      }
      case 'incident.contained':
        containedAt = e.at;
        status = 'contained';
        push(d.events['incident.contained']({}));
        break;
      case 'incident.closed':
        closedAt = e.at;
        status = String(e.content.status);
        push(
          d.events['incident.closed']({
            actor: e.actor,
            status: d.status[status] ?? status,
            note: e.content.note,
          }),
        );
        break;
      case 'drill.started':
      case 'drill.finished':
        push(d.events[e.kind]({}));
        break;
      // Detail for investigators, nothing a board needs.
      case 'step.started':
      case 'approval.closed':
        break;
      case 'breach.decided': {
        const { authority, subjects } = e.content;
        decision = { ...e.content, at: e.at };
        push(
          d.events['breach.decided']({
            actor: e.actor,
            ...(authority.reported
              ? { reportedAt: time(authority.at), reference: authority.reference }
              : { notReported: authority.reason }),
            ...(subjects.informed
              ? { informedAt: time(subjects.at), how: subjects.how }
              : { notInformed: subjects.reason }),
          }),
        );
        break;
      }
      case 'breach.reminded':
        push(
          d.events['breach.reminded']({ to: e.content.to.join(', '), deadline: time(e.content.deadline) }),
        );
        break;
      // Kinds of the intake and system chains, never on an incident's own chain.
      case 'alert.rejected':
      case 'alert.unrouted':
      case 'log.skipped':
      case 'log.dropped':
      case 'config.loaded':
      case 'playbook.signed-off':
        push(d.events.other({ kind: e.kind }));
        break;
      default: {
        // A kind this version does not know: shown by its name.
        const unknown: never = e;
        push(d.events.other({ kind: (unknown as { kind: string }).kind }));
      }
    }
  }
  for (const record of approvals.values()) {
    if (record.outcome) continue;
    if (record.decisions.some((x) => x.decision === 'rejected')) record.outcome = 'rejected';
    else if (record.decisions.length > 0) record.outcome = 'approved';
  }

  const awareAt = received?.at ?? started.at;
  const since = (iso: string | undefined) =>
    iso ? new Date(iso).getTime() - new Date(awareAt).getTime() : undefined;
  const deadline = new Date(new Date(awareAt).getTime() + GDPR_NOTIFY_MS).toISOString();
  const toFirst = since(firstContainedAt);
  const toFull = since(containedAt);
  return {
    incidentId,
    locale,
    playbook,
    drill,
    status,
    statusText: d.status[status] ?? status,
    alert: alertContent
      ? {
          title: alertContent.title ?? '',
          severity: alertContent.severity ?? '',
          source: received!.actor.replace(/^source:/, ''),
          occurredAt: alertContent.occurredAt,
          users: alertContent.entities?.users ?? [],
        }
      : undefined,
    alertCount,
    startedAt: started.at,
    firstContainedAt,
    containedAt,
    closedAt,
    timeToFirstContainmentMs: toFirst,
    timeToFullContainmentMs: toFull,
    timeToFirstContainmentText:
      toFirst !== undefined
        ? formatDuration(toFirst, locale)
        : status === 'running'
          ? d.labels.notYet!
          : d.labels.noContainment!,
    timeToFullContainmentText: toFull !== undefined ? formatDuration(toFull, locale) : d.labels.notYet!,
    gdpr: {
      awareAt,
      deadline,
      dpoNotifiedAt,
      dpoInTime: dpoNotifiedAt ? dpoNotifiedAt <= deadline : undefined,
      authorityNotifiedAt,
      decision,
    },
    approvals: [...approvals.values()],
    entries,
  };
}
