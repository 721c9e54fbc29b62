// The zod schemas the HTTP contracts share: path parameters, query filters, and the shapes of answers.
// Query schemas parse (a date becomes an ISO time, "true" a boolean); answer schemas document, and the
// in-process tests check answers against them.
import { z } from 'zod';
import { INCIDENT_STATUSES } from '../../workflows/model/incident';
import { LOCALES } from '../../workflows/model/locale';
import { INCIDENT_ID } from '../../temporal/incident-gateway';
import { once } from '../contract';

// --- path parameters -----------------------------------------------------------------------------

export const incidentId = z.string().regex(INCIDENT_ID, 'malformed incident id');
export const incidentParams = z.object({ id: incidentId });

// --- query ---------------------------------------------------------------------------------------

export const lang = z.enum(LOCALES, { error: 'en or nl' });
export const langQuery = z.object({ lang: lang.optional() }).strict();

/** A date (YYYY-MM-DD: the start of that day in UTC, or with `endOfDay` its end) or an ISO 8601 time. */
const time = (endOfDay: boolean) =>
  once().transform((value, ctx) => {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const ms = Date.parse(day ? `${value}T00:00:00Z` : value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `not a date: use YYYY-MM-DD or an ISO 8601 time, not ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return new Date(day && endOfDay ? ms + 86_400_000 : ms).toISOString();
  });

/** The incident list's filter: the board's pages, the list and the period summary take it. */
export const incidentFilterQuery = z
  .object({
    /** Started at or after (YYYY-MM-DD or ISO 8601). */
    from: time(false).optional(),
    /** Started before (a date includes that whole day). */
    to: time(true).optional(),
    status: z.enum(INCIDENT_STATUSES, { error: `one of ${INCIDENT_STATUSES.join(', ')}` }).optional(),
    playbook: once()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'not a playbook id')
      .optional(),
    /** true: drills only; false: real incidents only. */
    drill: z
      .enum(['true', 'false'], { error: 'true or false' })
      .transform((v) => v === 'true')
      .optional(),
    limit: z.coerce
      .number({ error: '1 to 5000' })
      .int('1 to 5000')
      .min(1, '1 to 5000')
      .max(5000, '1 to 5000')
      .optional(),
    lang: lang.optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from >= q.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after "from"' });
  });
export type IncidentFilterQuery = z.output<typeof incidentFilterQuery>;

// --- answers -------------------------------------------------------------------------------------

export const errorBody = z
  .object({
    error: z.string(),
    issues: z
      .array(
        z.object({
          in: z.enum(['path', 'query', 'body']).optional(),
          path: z.string(),
          code: z.string(),
          message: z.string(),
        }),
      )
      .optional(),
    incidentId: z.string().optional(),
  })
  .meta({ id: 'Error' });

const isoTime = z.iso.datetime({ offset: true });

export const incidentSummary = z
  .object({
    id: z.string(),
    playbook: z.object({ id: z.string(), version: z.number().int(), title: z.string() }),
    drill: z.boolean(),
    status: z.enum(INCIDENT_STATUSES),
    alertTitle: z.string().optional(),
    severity: z.string().optional(),
    source: z.string().optional(),
    startedAt: isoTime,
    firstContainedAt: isoTime.optional(),
    containedAt: isoTime.optional(),
    closedAt: isoTime.optional(),
    alertCount: z.number().int(),
  })
  .meta({ id: 'IncidentSummary' });

export const incidentList = z.object({ incidents: z.array(incidentSummary) });

export const auditEvent = z
  .object({
    chainId: z.string(),
    seq: z.number().int(),
    eventId: z.string(),
    at: isoTime,
    kind: z.string(),
    actor: z.string(),
    content: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent', description: 'One event of a tamper-evident hash chain' });

export const incidentState = z
  .looseObject({
    incidentId: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    drill: z.boolean(),
    playbook: z.object({ id: z.string(), version: z.number().int(), title: z.string() }),
    startedAt: isoTime,
    alertCount: z.number().int(),
    steps: z.array(z.looseObject({ id: z.string(), kind: z.string(), status: z.string() })),
  })
  .meta({ id: 'IncidentState', description: "The workflow's own view of the incident" });

export const incidentView = z
  .object({
    id: z.string(),
    workflow: z
      .object({
        type: z.string(),
        status: z.string(),
        runId: z.string(),
        startTime: isoTime,
        closeTime: isoTime.optional(),
        memo: z.record(z.string(), z.unknown()),
      })
      .optional(),
    state: incidentState.optional(),
    timeline: z.array(auditEvent),
  })
  .meta({
    id: 'Incident',
    description: 'Live workflow state (while Temporal holds it) and the audit record',
  });

export const timeline = z
  .looseObject({
    incidentId: z.string(),
    locale: lang,
    playbook: z.object({ id: z.string(), version: z.number().int(), title: z.string() }),
    drill: z.boolean(),
    status: z.string(),
    statusText: z.string(),
    startedAt: isoTime,
    timeToFirstContainmentMs: z.number().optional(),
    timeToFullContainmentMs: z.number().optional(),
    gdpr: z.looseObject({ awareAt: isoTime, deadline: isoTime, dpoInTime: z.boolean().optional() }),
    approvals: z.array(z.looseObject({ step: z.string(), approvers: z.array(z.string()) })),
    entries: z.array(
      z.object({
        at: isoTime,
        time: z.string(),
        actor: z.string(),
        kind: z.string(),
        text: z.string(),
        step: z.string().optional(),
      }),
    ),
    verified: z.boolean(),
  })
  .meta({
    id: 'Timeline',
    description: 'The plain-language timeline: entries, approvals, time to containment and the GDPR clock',
  });

export const pendingApproval = z.object({
  incidentId: z.string(),
  stepId: z.string(),
  approvers: z.array(z.string()),
  expiresAt: isoTime,
});

export const periodSummary = z
  .looseObject({
    total: z.number().int(),
    real: z.number().int(),
    drills: z.number().int(),
    byStatus: z.record(z.string(), z.number().int()),
    withContainment: z.number().int(),
    containedWithinWindow: z.number().int(),
    distribution: z.array(
      z.object({
        label: z.string(),
        underMinutes: z.number().optional(),
        count: z.number().int(),
        withinWindow: z.boolean(),
      }),
    ),
    open: z.array(incidentSummary),
    pendingApprovals: z.array(pendingApproval),
  })
  .meta({ id: 'PeriodSummary' });

export const verifyResult = z
  .object({
    ok: z.boolean(),
    chains: z.number().int(),
    events: z.number().int(),
    broken: z.array(
      z.object({ chainId: z.string(), seq: z.number().int(), eventId: z.string(), reason: z.string() }),
    ),
  })
  .meta({ id: 'VerifyResult' });

export const intakeResult = z
  .object({
    incidentId: z.string().optional(),
    deduplicated: z.boolean(),
    routed: z.boolean(),
    ignored: z.literal(true).optional(),
    journal: z.string().optional().describe('The intake journal row that holds the alert'),
    pending: z
      .literal(true)
      .optional()
      .describe(
        'Journalled; its incidents open shortly (a storm, or the workflow service slow or down): `incidents` are the ones it is expected to start or join, and `deduplicated` is not known yet',
      ),
    incidents: z.array(
      z.object({
        incidentId: z.string(),
        playbook: z.string(),
        deduplicated: z.boolean(),
        joined: z.boolean().optional(),
      }),
    ),
  })
  .meta({ id: 'IntakeResult' });

export const decisionResult = z.object({
  outcome: z.enum(['pending', 'approved', 'rejected']),
  approvals: z.number().int(),
  quorum: z.number().int(),
});

export const closeResult = z.object({ incidentId: z.string(), status: z.enum(INCIDENT_STATUSES) });

export const readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.string()),
});

export const mailMessage = z.looseObject({
  id: z.string(),
  receivedAt: isoTime,
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
});
