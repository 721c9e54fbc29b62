// The JSON API: reading incidents, timelines, reports and the audit check (board), and acting on
// incidents (responder; a Bearer token, never a browser session).
import { z } from 'zod';
import { defineRoute, type ResponseSpec } from '../contract';
import {
  auditEvent,
  closeResult,
  decisionResult,
  errorBody,
  incidentFilterQuery,
  incidentId,
  incidentList,
  incidentParams,
  incidentView,
  langQuery,
  periodSummary,
  timeline,
  verifyResult,
} from './schemas';

const error = (description: string): ResponseSpec => ({ description, json: errorBody });
const pdf: ResponseSpec = { description: 'A PDF document', content: 'application/pdf' };
const AUTH = {
  401: error('No valid access token (or browser sign-in, for reads)'),
  403: error('The token’s role may not do this'),
};
const bad = error('A malformed parameter or body; the message names it');
const notFound = error('No such incident');
const note = z.string().max(2000);

export const listIncidents = defineRoute({
  method: 'get',
  path: '/api/incidents',
  tag: 'incidents',
  summary: 'List incidents, newest first',
  access: 'board',
  query: incidentFilterQuery,
  responses: { 200: { description: 'Incidents', json: incidentList }, 400: bad, ...AUTH },
});

export const getIncident = defineRoute({
  method: 'get',
  path: '/api/incidents/{id}',
  tag: 'incidents',
  summary: 'An incident: live workflow state and the audit record',
  access: 'board',
  params: incidentParams,
  responses: { 200: { description: 'The incident', json: incidentView }, 400: bad, 404: notFound, ...AUTH },
});

export const getTimeline = defineRoute({
  method: 'get',
  path: '/api/incidents/{id}/timeline',
  tag: 'incidents',
  summary: 'The plain-language timeline, and whether the audit chain verifies',
  access: 'board',
  params: incidentParams,
  query: langQuery,
  responses: { 200: { description: 'Timeline', json: timeline }, 400: bad, 404: notFound, ...AUTH },
});

export const getReport = defineRoute({
  method: 'get',
  path: '/api/incidents/{id}/report.pdf',
  tag: 'incidents',
  summary: 'The incident report as PDF',
  access: 'board',
  params: incidentParams,
  query: langQuery,
  responses: { 200: pdf, 400: bad, 404: notFound, ...AUTH },
});

export const resolveIncident = defineRoute({
  method: 'post',
  path: '/api/incidents/{id}/resolve',
  tag: 'incidents',
  summary: 'Close the incident as contained, or as a false positive (which undoes what Reflex did)',
  access: 'responder',
  params: incidentParams,
  body: {
    kind: 'json',
    schema: z
      .object({ as: z.enum(['contained', 'false-positive']).default('contained'), note: note.optional() })
      .strict(),
  },
  responses: {
    200: { description: 'Closed', json: closeResult },
    400: bad,
    404: notFound,
    409: error('Already closed, or still running (only an abort or a false positive stops it)'),
    ...AUTH,
  },
});

export const abortIncident = defineRoute({
  method: 'post',
  path: '/api/incidents/{id}/abort',
  tag: 'incidents',
  summary: 'Stop the response and undo what it did',
  access: 'responder',
  params: incidentParams,
  body: { kind: 'json', schema: z.object({ note: note.optional() }).strict() },
  responses: {
    200: { description: 'Aborted', json: closeResult },
    400: bad,
    404: notFound,
    409: error('Already closed'),
    ...AUTH,
  },
});

export const decideStep = defineRoute({
  method: 'post',
  path: '/api/incidents/{id}/steps/{step}/decision',
  tag: 'incidents',
  summary: 'Approve or reject a step, as the person the token belongs to',
  access: 'responder',
  params: z.object({ id: incidentId, step: z.string().min(1).max(200) }),
  body: {
    kind: 'json',
    schema: z.object({ decision: z.enum(['approve', 'reject']), comment: note.optional() }).strict(),
  },
  responses: {
    200: { description: 'Recorded; the outcome so far', json: decisionResult },
    400: bad,
    404: notFound,
    409: error('Not waiting for approval, already decided, or not an approver'),
    ...AUTH,
  },
});

export const startDrill = defineRoute({
  method: 'post',
  path: '/api/drills',
  tag: 'incidents',
  summary: 'Run a playbook as a drill (a sample alert, or one in the generic alert schema)',
  access: 'responder',
  body: {
    kind: 'json',
    schema: z.object({ playbook: z.string().min(1), alert: z.unknown().optional() }).strict(),
  },
  responses: {
    202: { description: 'Started', json: z.object({ incidentId: z.string(), drill: z.literal(true) }) },
    400: bad,
    404: error('No such playbook'),
    ...AUTH,
  },
});

export const getSummary = defineRoute({
  method: 'get',
  path: '/api/reports/summary',
  tag: 'reports',
  summary: 'Period summary: counts, time-to-contain distribution, open actions',
  access: 'board',
  query: incidentFilterQuery,
  responses: { 200: { description: 'Summary', json: periodSummary }, 400: bad, ...AUTH },
});

export const getSummaryPdf = defineRoute({
  method: 'get',
  path: '/api/reports/summary.pdf',
  tag: 'reports',
  summary: 'Period summary as PDF',
  access: 'board',
  query: incidentFilterQuery,
  responses: { 200: pdf, 400: bad, ...AUTH },
});

export const verifyAudit = defineRoute({
  method: 'get',
  path: '/api/audit/verify',
  tag: 'audit',
  summary: 'Recompute the hash chains (all, or one incident’s)',
  access: 'board',
  query: z.object({ incident: incidentId.optional() }).strict(),
  responses: { 200: { description: 'The check', json: verifyResult }, 400: bad, ...AUTH },
});

export const listUnrouted = defineRoute({
  method: 'get',
  path: '/api/alerts/unrouted',
  tag: 'audit',
  summary: 'The intake chain: alerts that matched no playbook, and refused deliveries (newest first)',
  access: 'board',
  query: z
    .object({
      limit: z.coerce
        .number({ error: '1 to 1000' })
        .int('1 to 1000')
        .min(1, '1 to 1000')
        .max(1000, '1 to 1000')
        .default(100),
    })
    .strict(),
  responses: {
    200: { description: 'Events from the intake chain', json: z.object({ events: z.array(auditEvent) }) },
    400: bad,
    ...AUTH,
  },
});

export const getConfig = defineRoute({
  method: 'get',
  path: '/api/config',
  tag: 'operations',
  summary: 'The running configuration, every secret removed (admin)',
  access: 'admin',
  responses: { 200: { description: 'Configuration', json: z.record(z.string(), z.unknown()) }, ...AUTH },
});

const finding = z.object({
  check: z.string(),
  status: z.enum(['ok', 'problem', 'not-checked']),
  message: z.string(),
  fix: z.string().optional(),
});

export const readinessReport = z.object({
  checkedAt: z.string(),
  problems: z.number().int(),
  findings: z.array(finding),
});
export type ReadinessReport = z.infer<typeof readinessReport>;

export const getReadiness = defineRoute({
  method: 'get',
  path: '/api/readiness',
  tag: 'operations',
  summary:
    'The readiness check (`reflex doctor`): Graph permissions, SMTP, contacts, secret stores, Temporal; each problem with its fix (admin)',
  access: 'admin',
  responses: { 200: { description: 'Findings, at most 5 minutes old', json: readinessReport }, ...AUTH },
});

const signOffRecord = z.object({
  playbook: z.string(),
  version: z.number().int(),
  title: z.string(),
  digest: z
    .string()
    .describe('SHA-256 of the playbook’s canonical content, with the configuration’s step changes'),
  by: z.string(),
  role: z.string(),
  at: z.string(),
  via: z.enum(['cli', 'board']),
});

export const listSignOffs = defineRoute({
  method: 'get',
  path: '/api/playbooks/sign-offs',
  tag: 'incidents',
  summary:
    'Each loaded playbook with its board sign-off (signed-off, changed, unsigned), and every sign-off on record',
  access: 'board',
  responses: {
    200: {
      description:
        'Standings and the record; a sign-off whose signature fails has signatureValid false and counts for nothing',
      json: z.object({
        playbooks: z.array(
          z.object({
            id: z.string(),
            version: z.number().int(),
            digest: z.string(),
            status: z.enum(['signed-off', 'changed', 'unsigned']),
            signOff: signOffRecord.optional(),
          }),
        ),
        signOffs: z.array(
          signOffRecord.extend({ eventId: z.string(), seq: z.number().int(), signatureValid: z.boolean() }),
        ),
      }),
    },
    ...AUTH,
  },
});

export const sourceStatus = z.object({
  name: z.string(),
  kind: z.enum(['webhook', 'file', 'syslog']),
  expectEvery: z.string().optional().describe('How often it promised to speak; absent: not watched'),
  lastSeenAt: z
    .string()
    .optional()
    .describe('Its last authenticated delivery (webhook) or record read (log)'),
  silentSince: z
    .string()
    .optional()
    .describe('Set while it is silent longer than expectEvery (on-call was told)'),
});
export type SourceStatus = z.infer<typeof sourceStatus>;

export const listSources = defineRoute({
  method: 'get',
  path: '/api/sources',
  tag: 'operations',
  summary: 'Every configured source with its last delivery and whether it is silent',
  access: 'board',
  responses: {
    200: { description: 'The sources', json: z.object({ sources: z.array(sourceStatus) }) },
    ...AUTH,
  },
});

export const getAlertAccounting = defineRoute({
  method: 'get',
  path: '/api/reports/alerts',
  tag: 'reports',
  summary:
    'Every alert accounted for over a period (from/to; default the last 30 days): deliveries by source and outcome, and what the audit record holds',
  access: 'board',
  query: incidentFilterQuery,
  responses: {
    200: {
      description: 'Deliveries by outcome add up to those received; `recorded` is the audit record',
      json: z.object({
        from: z.string(),
        to: z.string(),
        totals: z.record(z.string(), z.number()),
        recorded: z.record(z.string(), z.number()),
        unhandled: z.number(),
        sources: z.array(
          z.object({
            source: z.string(),
            webhook: z.boolean(),
            received: z.number(),
            deliveries: z.record(z.string(), z.number()),
            recorded: z.record(z.string(), z.number()),
          }),
        ),
      }),
    },
    400: bad,
    ...AUTH,
  },
});

export const INCIDENT_ROUTES = [
  getAlertAccounting,
  listSources,
  listSignOffs,
  listIncidents,
  getIncident,
  getTimeline,
  getReport,
  resolveIncident,
  abortIncident,
  decideStep,
  startDrill,
  getSummary,
  getSummaryPdf,
  verifyAudit,
  listUnrouted,
  getConfig,
  getReadiness,
];
