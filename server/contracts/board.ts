// The board's pages and PDFs: who signed in may read; a missing sign-in is sent to /login.
import { z } from 'zod';
import { defineRoute, type ResponseSpec } from '../contract';
import { errorBody, incidentFilterQuery, langQuery } from './schemas';

const html: ResponseSpec = { description: 'An HTML page', content: 'text/html' };
const pdf: ResponseSpec = { description: 'A PDF document', content: 'application/pdf' };
const bad: ResponseSpec = { description: 'A malformed parameter; the message names it', json: errorBody };
const signIn: ResponseSpec = { description: 'Not signed in: to the sign-in page', headers: ['Location'] };

export const boardIndex = defineRoute({
  method: 'get',
  path: '/',
  tag: 'board',
  summary: 'Redirects to the board',
  access: 'public',
  responses: { 303: { description: 'To /board', headers: ['Location'] } },
});

export const incidentListPage = defineRoute({
  method: 'get',
  path: '/board',
  tag: 'board',
  summary: 'Incident list, filtered by period, status, playbook, drill or real',
  access: 'board',
  page: true,
  query: incidentFilterQuery,
  responses: { 200: html, 303: signIn, 400: bad },
});

export const readinessPage = defineRoute({
  method: 'get',
  path: '/board/readiness',
  tag: 'board',
  summary: 'The readiness check (`reflex doctor`) for admins: each problem with its fix',
  access: 'admin',
  page: true,
  query: langQuery,
  responses: { 200: html, 303: signIn, 400: bad },
});

export const summaryPage = defineRoute({
  method: 'get',
  path: '/board/summary',
  tag: 'board',
  summary: 'Period summary: counts, time to contain against the 10-minute window, open actions',
  access: 'board',
  page: true,
  query: incidentFilterQuery,
  responses: { 200: html, 303: signIn, 400: bad },
});

export const summaryPdfPage = defineRoute({
  method: 'get',
  path: '/board/summary.pdf',
  tag: 'board',
  summary: 'Period summary as PDF',
  access: 'board',
  page: true,
  query: incidentFilterQuery,
  responses: { 200: pdf, 303: signIn, 400: bad },
});

export const timelinePage = defineRoute({
  method: 'get',
  path: '/board/incidents/{file}',
  tag: 'board',
  summary: 'Printable incident timeline: {id} for the page, {id}.pdf for the PDF',
  access: 'board',
  page: true,
  params: z.object({ file: z.string().max(140).describe('An incident id, or an incident id and .pdf') }),
  query: langQuery,
  responses: {
    200: { ...html, description: 'An HTML page or (.pdf) a PDF document' },
    303: signIn,
    400: bad,
    404: { description: 'No such incident', json: errorBody },
  },
});

export const playbooksPage = defineRoute({
  method: 'get',
  path: '/board/playbooks',
  tag: 'board',
  summary:
    'The playbooks with their board sign-off (or that they changed since); board members sign off here',
  access: 'board',
  page: true,
  query: langQuery.extend({
    signed: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .optional()
      .describe('Set after a sign-off: the page says it was recorded'),
  }),
  responses: { 200: html, 303: signIn, 400: bad },
});

/** A board member's sign-off, from the playbooks page. */
export const signOffForm = z.object({
  version: z.coerce.number().int().min(1).describe('The version shown on the page'),
  digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe('The content digest shown on the page: a sign-off is of exactly what the person saw'),
  role: z.string().trim().min(1, 'your role, e.g. chair').max(80).describe('The signer’s role, e.g. chair'),
  csrf: z.string().max(512).optional(),
});

export const signOffPlaybook = defineRoute({
  method: 'post',
  path: '/board/playbooks/{id}/sign-off',
  tag: 'board',
  summary:
    'Sign off a playbook’s exact content as the signed-in board member (the page’s form, with its CSRF token)',
  access: 'board',
  sessionForm: true,
  params: z.object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .describe('A playbook id'),
  }),
  body: { kind: 'form', schema: signOffForm },
  responses: {
    303: { description: 'Recorded: back to the playbooks page', headers: ['Location'] },
    400: { description: 'A field is missing or malformed; the message names it', json: errorBody },
    401: { description: 'Not signed in', json: errorBody },
    403: { ...html, description: 'The page expired (CSRF), or the sign-in has no name to record' },
    404: { ...html, description: 'No such playbook' },
    409: { ...html, description: 'The playbook changed since the page was shown: nothing was recorded' },
  },
});

export const sourcesPage = defineRoute({
  method: 'get',
  path: '/board/sources',
  tag: 'board',
  summary: 'Every source with its last delivery; one silent longer than it promised (expectEvery) first',
  access: 'board',
  page: true,
  query: langQuery,
  responses: { 200: html, 303: signIn, 400: bad },
});

export const alertsAccountedPage = defineRoute({
  method: 'get',
  path: '/board/alerts',
  tag: 'board',
  summary:
    'Every alert accounted for, over a period (default the last 30 days): each delivery and what became of it',
  access: 'board',
  page: true,
  query: incidentFilterQuery,
  responses: { 200: html, 303: signIn, 400: bad },
});

export const governancePage = defineRoute({
  method: 'get',
  path: '/board/governance',
  tag: 'board',
  summary:
    'The quarterly governance report (default: this quarter to date): drills, incidents against the 10-minute window, alerts accounted for, readiness problems, silent sources, sign-offs',
  access: 'board',
  page: true,
  query: incidentFilterQuery,
  responses: { 200: html, 303: signIn, 400: bad },
});

export const governancePdf = defineRoute({
  method: 'get',
  path: '/board/governance/report.pdf',
  tag: 'board',
  summary: 'The quarterly governance report as PDF (three pages), in English or Dutch',
  access: 'board',
  page: true,
  query: incidentFilterQuery,
  responses: { 200: pdf, 303: signIn, 400: bad },
});

export const BOARD_ROUTES = [
  governancePage,
  governancePdf,
  alertsAccountedPage,
  sourcesPage,
  playbooksPage,
  signOffPlaybook,
  boardIndex,
  incidentListPage,
  summaryPage,
  summaryPdfPage,
  timelinePage,
  readinessPage,
];
