// The breach register (GDPR Art. 33(5)): the list for the board, its exports, and the DPO's decision
// page. Reading needs the board role; deciding needs the DPO's own sign-in (or an admin's).
import { z } from 'zod';
import { defineRoute, type ResponseSpec } from '../contract';
import { errorBody, langQuery } from './schemas';

const html = (description: string): ResponseSpec => ({ description, content: 'text/html' });
const bad: ResponseSpec = { description: 'A malformed parameter; the message names it', json: errorBody };
const signIn: ResponseSpec = { description: 'Not signed in: to the sign-in page', headers: ['Location'] };
const incidentId = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,127}$/)
    .describe('An incident id'),
});

export const breachRegisterPage = defineRoute({
  method: 'get',
  path: '/board/breaches',
  tag: 'board',
  summary: 'The breach register: every real incident with the DPO’s decision, reported or not',
  access: 'board',
  page: true,
  query: langQuery,
  responses: { 200: html('An HTML page'), 303: signIn, 400: bad },
});

export const breachRegisterExport = defineRoute({
  method: 'get',
  path: '/board/breaches/{file}',
  tag: 'board',
  summary: 'The breach register as CSV or PDF, in English or Dutch (?lang=)',
  access: 'board',
  page: true,
  params: z.object({
    file: z.enum(['register.csv', 'register.pdf']).describe('register.csv or register.pdf'),
  }),
  query: langQuery,
  responses: {
    200: { description: 'text/csv or application/pdf', content: 'text/csv' },
    303: signIn,
    400: bad,
  },
});

export const showBreachDecision = defineRoute({
  method: 'get',
  path: '/breaches/{id}',
  tag: 'board',
  summary: 'The DPO’s decision form for one incident (linked from the DPO’s e-mail)',
  access: 'board',
  page: true,
  params: incidentId,
  query: langQuery,
  responses: {
    200: html('The form, with the decision recorded so far'),
    303: signIn,
    400: bad,
    403: html('Signed in, but not as the data-protection officer (or an admin)'),
    404: html('No such incident (drills are not breaches)'),
  },
});

/** A date, or a date and time, as the organisation's clock shows it (the page's datetime-local field). */
const when = z
  .string()
  .trim()
  .refine(
    (v) =>
      v === '' ||
      (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/.test(v) &&
        !Number.isNaN(Date.parse(`${v.length === 10 ? `${v}T00:00` : v}Z`))),
    'a date (and time), e.g. 2026-10-01T14:30',
  )
  .optional();

export const breachDecisionForm = z
  .object({
    authority: z.enum(['reported', 'not-reported'], { error: 'choose reported or not reported' }),
    reportedAt: when,
    reference: z.string().trim().max(120).optional(),
    notReportedReason: z.string().trim().max(2000).optional(),
    subjects: z.enum(['informed', 'not-informed'], { error: 'choose informed or not informed' }),
    informedAt: when,
    informedHow: z.string().trim().max(500).optional(),
    notInformedReason: z.string().trim().max(2000).optional(),
    csrf: z.string().max(512).optional(),
  })
  .superRefine((f, ctx) => {
    const need = (field: keyof typeof f, message: string) => {
      if (!f[field]) ctx.addIssue({ code: 'custom', path: [field], message });
    };
    if (f.authority === 'reported') {
      need('reportedAt', 'when it was reported');
      need('reference', 'the reference the Autoriteit Persoonsgegevens gave');
    } else need('notReportedReason', 'why it was not reported (Art. 33(5) asks for the reasoning)');
    if (f.subjects === 'informed') {
      need('informedAt', 'when the people affected were informed');
      need('informedHow', 'how they were informed (e-mail, letter, website…)');
    } else need('notInformedReason', 'why they were not informed (Art. 34(3))');
  });

export const recordBreachDecision = defineRoute({
  method: 'post',
  path: '/breaches/{id}',
  tag: 'board',
  summary:
    'Record the DPO’s decision (the form, with its CSRF token); a later decision supersedes, both stay on record',
  access: 'board',
  sessionForm: true,
  params: incidentId,
  body: { kind: 'form', schema: breachDecisionForm },
  responses: {
    303: { description: 'Recorded: back to the form', headers: ['Location'] },
    400: { description: 'A field is missing or malformed; the message names it', json: errorBody },
    401: { description: 'Not signed in', json: errorBody },
    403: html('The page expired (CSRF), or not the data-protection officer (or an admin)'),
    404: html('No such incident'),
  },
});

export const BREACH_ROUTES = [
  breachRegisterPage,
  breachRegisterExport,
  showBreachDecision,
  recordBreachDecision,
];
