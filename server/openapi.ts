// The OpenAPI 3.1 description served at /openapi.json. A test walks the app's routes and fails when
// one is missing here, so the document cannot drift from the server.
import { z } from 'zod';
import { configSchema } from '../config/schema';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const pdf = {
  description: 'A PDF document',
  content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
};
const html = { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } };

const AUTH = {
  401: error('No valid access token (or browser sign-in for reads)'),
  403: error('The token’s role may not do this'),
};
const board = [{ bearer: [] }, { session: [] }];
const token = [{ bearer: [] }];

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,127}$' },
};
const langParam = { name: 'lang', in: 'query', schema: { type: 'string', enum: ['en', 'nl'] } };
const filterParams = [
  {
    name: 'from',
    in: 'query',
    description: 'Started at or after (YYYY-MM-DD or ISO 8601)',
    schema: { type: 'string' },
  },
  {
    name: 'to',
    in: 'query',
    description: 'Started before (a date includes that whole day)',
    schema: { type: 'string' },
  },
  {
    name: 'status',
    in: 'query',
    schema: { type: 'string', enum: ['running', 'contained', 'resolved', 'false-positive', 'aborted'] },
  },
  { name: 'playbook', in: 'query', schema: { type: 'string' } },
  {
    name: 'drill',
    in: 'query',
    description: 'true: drills only; false: real incidents only',
    schema: { type: 'boolean' },
  },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 5000 } },
  langParam,
];
const bad = error('A malformed parameter or body; the message names it');
const notFound = error('No such incident');

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Reflex',
    version: '0.1.0',
    description:
      'Automated response playbooks. Webhooks start incidents; the board reads timelines and reports; responders approve, resolve and run drills.',
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'An access token from access.tokens' },
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: 'reflex-session',
        description: 'Browser sign-in (read-only)',
      },
      standardWebhooks: { type: 'apiKey', in: 'header', name: 'webhook-signature' },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, issues: { type: 'array', items: { type: 'object' } } },
      },
      IncidentSummary: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          playbook: {
            type: 'object',
            properties: { id: { type: 'string' }, version: { type: 'integer' }, title: { type: 'string' } },
          },
          drill: { type: 'boolean' },
          status: { type: 'string' },
          alertTitle: { type: 'string' },
          severity: { type: 'string' },
          source: { type: 'string' },
          startedAt: { type: 'string', format: 'date-time' },
          firstContainedAt: { type: 'string', format: 'date-time' },
          containedAt: { type: 'string', format: 'date-time' },
          closedAt: { type: 'string', format: 'date-time' },
          alertCount: { type: 'integer' },
        },
      },
      Timeline: {
        type: 'object',
        description:
          'The plain-language timeline: entries, approvals, time to containment and the GDPR clock.',
        properties: {
          incidentId: { type: 'string' },
          status: { type: 'string' },
          timeToFirstContainmentMs: { type: 'number' },
          timeToFullContainmentMs: { type: 'number' },
          gdpr: { type: 'object' },
          approvals: { type: 'array', items: { type: 'object' } },
          entries: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                at: { type: 'string' },
                time: { type: 'string' },
                actor: { type: 'string' },
                text: { type: 'string' },
              },
            },
          },
          verified: { type: 'boolean' },
        },
      },
      IntakeResult: {
        type: 'object',
        properties: {
          incidentId: { type: 'string' },
          deduplicated: { type: 'boolean' },
          routed: { type: 'boolean' },
          incidents: { type: 'array', items: { type: 'object' } },
        },
      },
      Config: z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    },
  },
  paths: {
    '/': { get: { summary: 'Redirects to the board', responses: { 303: { description: 'To /board' } } } },
    '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'Alive' } } } },
    '/readyz': {
      get: {
        summary: 'Readiness: Temporal, worker and audit store reachable',
        responses: {
          200: { description: 'Ready' },
          503: { description: 'A dependency is unreachable; the body names it' },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics: deliveries by source and outcome, intake latency, rule firings',
        security: board,
        responses: { 200: { description: 'Prometheus text format' }, ...AUTH },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
    },
    '/hooks/{source}': {
      post: {
        summary: 'Deliver an alert from a configured source',
        description:
          'Authenticated per source (Standard Webhooks, bearer…). 202 only once Temporal has durably accepted it.',
        security: [{ standardWebhooks: [] }, { bearer: [] }],
        parameters: [{ name: 'source', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: json({ type: 'object' }) },
        responses: {
          202: { description: 'Accepted', content: json(ref('IntakeResult')) },
          400: bad,
          401: error('Signature, timestamp or token refused (recorded on the intake chain)'),
          404: error('Unknown source'),
          405: error('Only POST'),
          409: error(
            'Replayed delivery id (webhook-id, X-GitHub-Delivery, or a timestamped Grafana signature)',
          ),
          413: error('Body too large'),
          429: error('Rate limit for this source; see Retry-After'),
          503: error('Temporal unreachable; retry after Retry-After'),
        },
      },
    },
    '/hooks/{source}/{secret}': {
      post: {
        summary: 'Deliver an alert with the source secret in the URL (senders that cannot send headers)',
        parameters: [
          { name: 'source', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'secret', in: 'path', required: true, schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: json({ type: 'object' }) },
        responses: {
          202: { description: 'Accepted', content: json(ref('IntakeResult')) },
          400: bad,
          401: error('Wrong secret'),
          404: error('Unknown source'),
          409: error('Replayed delivery id'),
          413: error('Body too large'),
          429: error('Rate limit for this source; see Retry-After'),
          503: error('Temporal unreachable; retry after Retry-After'),
        },
      },
    },
    '/login': {
      get: { summary: 'Sign-in page', responses: { 200: html } },
      post: {
        summary: 'Sign in with an access token (sets a read-only session cookie)',
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', properties: { token: { type: 'string' }, next: { type: 'string' } } },
            },
          },
        },
        responses: { 303: { description: 'Signed in' }, 401: html },
      },
    },
    '/logout': { post: { summary: 'Sign out', responses: { 303: { description: 'Signed out' } } } },
    '/board': {
      get: {
        summary: 'Incident list page',
        security: board,
        parameters: filterParams,
        responses: { 200: html, 303: { description: 'Sign in first' }, 400: bad },
      },
    },
    '/board/summary': {
      get: {
        summary: 'Period summary page',
        security: board,
        parameters: filterParams,
        responses: { 200: html, 400: bad },
      },
    },
    '/board/summary.pdf': {
      get: {
        summary: 'Period summary as PDF',
        security: board,
        parameters: filterParams,
        responses: { 200: pdf, 400: bad },
      },
    },
    '/board/incidents/{id}': {
      get: {
        summary: 'Printable incident timeline page (append .pdf for the PDF)',
        security: board,
        parameters: [idParam, langParam],
        responses: { 200: html, 404: notFound },
      },
    },
    '/api/incidents': {
      get: {
        summary: 'List incidents',
        security: board,
        parameters: filterParams,
        responses: {
          200: {
            description: 'Incidents, newest first',
            content: json({
              type: 'object',
              properties: { incidents: { type: 'array', items: ref('IncidentSummary') } },
            }),
          },
          400: bad,
          ...AUTH,
        },
      },
    },
    '/api/incidents/{id}': {
      get: {
        summary: 'An incident: live workflow state and the audit record',
        security: board,
        parameters: [idParam],
        responses: {
          200: { description: 'The incident', content: json({ type: 'object' }) },
          400: bad,
          404: notFound,
          ...AUTH,
        },
      },
    },
    '/api/incidents/{id}/timeline': {
      get: {
        summary: 'The plain-language timeline',
        security: board,
        parameters: [idParam, langParam],
        responses: {
          200: { description: 'Timeline', content: json(ref('Timeline')) },
          404: notFound,
          ...AUTH,
        },
      },
    },
    '/api/incidents/{id}/report.pdf': {
      get: {
        summary: 'The incident report as PDF',
        security: board,
        parameters: [idParam, langParam],
        responses: { 200: pdf, 404: notFound, ...AUTH },
      },
    },
    '/api/incidents/{id}/resolve': {
      post: {
        summary: 'Close the incident as contained, or as a false positive (undoes what Reflex did)',
        security: token,
        parameters: [idParam],
        requestBody: {
          content: json({
            type: 'object',
            properties: { as: { enum: ['contained', 'false-positive'] }, note: { type: 'string' } },
          }),
        },
        responses: {
          200: { description: 'Closed' },
          400: bad,
          404: notFound,
          409: error('Already closed'),
          ...AUTH,
        },
      },
    },
    '/api/incidents/{id}/abort': {
      post: {
        summary: 'Stop the response and undo what it did',
        security: token,
        parameters: [idParam],
        requestBody: { content: json({ type: 'object', properties: { note: { type: 'string' } } }) },
        responses: { 200: { description: 'Aborted' }, 404: notFound, 409: error('Already closed'), ...AUTH },
      },
    },
    '/api/incidents/{id}/steps/{step}/decision': {
      post: {
        summary: 'Approve or reject a step, as the person the token belongs to',
        security: token,
        parameters: [idParam, { name: 'step', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['decision'],
            properties: { decision: { enum: ['approve', 'reject'] }, comment: { type: 'string' } },
          }),
        },
        responses: {
          200: { description: 'Recorded; the outcome so far' },
          400: bad,
          404: notFound,
          409: error('Not waiting, or not an approver'),
          ...AUTH,
        },
      },
    },
    '/api/drills': {
      post: {
        summary: 'Run a playbook as a drill',
        security: token,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['playbook'],
            properties: { playbook: { type: 'string' }, alert: { type: 'object' } },
          }),
        },
        responses: { 202: { description: 'Started' }, 400: bad, 404: error('No such playbook'), ...AUTH },
      },
    },
    '/api/reports/summary': {
      get: {
        summary: 'Period summary',
        security: board,
        parameters: filterParams,
        responses: {
          200: { description: 'Counts, time-to-contain distribution, open actions' },
          400: bad,
          ...AUTH,
        },
      },
    },
    '/api/reports/summary.pdf': {
      get: {
        summary: 'Period summary as PDF',
        security: board,
        parameters: filterParams,
        responses: { 200: pdf, 400: bad, ...AUTH },
      },
    },
    '/api/audit/verify': {
      get: {
        summary: 'Recompute the hash chains (all, or one incident)',
        security: board,
        parameters: [{ name: 'incident', in: 'query', schema: { type: 'string' } }],
        responses: { 200: { description: '{ ok, chains, events, broken[] }' }, 400: bad, ...AUTH },
      },
    },
    '/api/alerts/unrouted': {
      get: {
        summary: 'Authenticated alerts that matched no playbook, and refused deliveries',
        security: board,
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: { description: 'Events from the intake chain' }, ...AUTH },
      },
    },
    '/api/approvals': {
      get: {
        summary: 'Steps waiting for approval',
        security: token,
        parameters: [{ name: 'state', in: 'query', schema: { enum: ['pending'] } }],
        responses: { 200: { description: 'Pending approvals' }, 400: bad, ...AUTH },
      },
    },
    '/api/config': {
      get: {
        summary: 'The running configuration, secrets removed',
        security: token,
        responses: { 200: { description: 'Config', content: json(ref('Config')) }, ...AUTH },
      },
    },
    '/approvals': { get: { summary: 'Pending approvals page', security: board, responses: { 200: html } } },
    '/approve/{token}': {
      get: {
        summary: 'Approval page from an e-mailed link (shows; decides nothing)',
        responses: { 200: html, 404: html, 409: html, 410: html },
      },
      post: {
        summary: 'Approve or reject (form with CSRF token)',
        responses: { 200: html, 400: html, 403: html, 409: html },
      },
    },
    '/mailbox': {
      get: { summary: 'Demo mailbox (only without SMTP)', security: board, responses: { 200: html } },
    },
    '/mailbox/api/messages': {
      get: {
        summary: 'Demo mailbox messages as JSON',
        security: board,
        responses: { 200: { description: 'Messages' } },
      },
    },
    '/mailbox/{id}': {
      get: { summary: 'One demo e-mail', security: board, responses: { 200: html, 404: html } },
    },
  },
} as const;
