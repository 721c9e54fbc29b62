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

export const BOARD_ROUTES = [
  boardIndex,
  incidentListPage,
  summaryPage,
  summaryPdfPage,
  timelinePage,
  readinessPage,
];
