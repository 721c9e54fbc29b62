// Approval links: the e-mailed link is the credential. GET and HEAD only show; the page's form decides.
import { z } from 'zod';
import { defineRoute, type ResponseSpec } from '../contract';
import { errorBody, incidentId, pendingApproval } from './schemas';

const html = (description: string): ResponseSpec => ({ description, content: 'text/html' });
/** The decision form both approval pages post: the button pressed and the page's CSRF token. */
const decisionForm = z.looseObject({ decision: z.string().optional(), csrf: z.string().optional() });
const token = z.object({ token: z.string().min(1).max(200).describe('The approval link’s token') });

export const showApproval = defineRoute({
  method: 'get',
  path: '/approve/{token}',
  tag: 'approvals',
  summary:
    'Approval page from an e-mailed link: shows what happened and what Reflex wants to do; decides nothing',
  access: 'link',
  params: token,
  responses: {
    200: html('The confirmation page'),
    404: html('Not a valid link'),
    409: html('Used, or the step is decided'),
    410: html('Expired'),
    503: html('The workflow service is unreachable: try again'),
    429: html('Too many links opened from this address; see Retry-After'),
  },
});

export const decideApproval = defineRoute({
  method: 'post',
  path: '/approve/{token}',
  tag: 'approvals',
  summary: 'Approve or reject from the confirmation page (a form with its CSRF token)',
  access: 'link',
  params: token,
  body: {
    kind: 'form',
    schema: decisionForm,
  },
  responses: {
    200: html('Recorded'),
    400: html('Neither approve nor reject'),
    403: html('The page expired (CSRF)'),
    404: html('Not a valid link'),
    409: html('Used, or the step is decided'),
    410: html('Expired'),
    429: html('Too many attempts from this address; see Retry-After'),
    503: html('The workflow service is unreachable: the link stays valid'),
  },
});

export const listPendingApprovals = defineRoute({
  method: 'get',
  path: '/api/approvals',
  tag: 'approvals',
  summary: 'Steps waiting for approval',
  access: 'responder',
  query: z
    .object({ state: z.literal('pending', { error: 'only "pending" is supported' }).default('pending') })
    .strict(),
  responses: {
    200: { description: 'Pending approvals', json: z.object({ approvals: z.array(pendingApproval) }) },
    400: { description: 'A malformed parameter', json: errorBody },
  },
});

export const pendingApprovalsPage = defineRoute({
  method: 'get',
  path: '/approvals',
  tag: 'approvals',
  summary: 'Pending approvals page',
  access: 'responder',
  page: true,
  responses: { 200: html('The list'), 303: { description: 'Not signed in', headers: ['Location'] } },
});

const stepParams = z.object({
  incidentId: incidentId.describe('The incident'),
  stepId: z.string().min(1).max(200).describe('The step waiting for approval'),
});

export const showSignedInApproval = defineRoute({
  method: 'get',
  path: '/approvals/{incidentId}/{stepId}',
  tag: 'approvals',
  summary:
    'Approval page for a signed-in approver (where chat buttons lead): shows what happened and what Reflex wants to do; decides nothing',
  access: 'responder',
  page: true,
  params: stepParams,
  responses: {
    200: html('The confirmation page'),
    303: { description: 'Not signed in: to the sign-in, and back', headers: ['Location'] },
    403: html('Not one of the step’s approvers, or a sign-in without an e-mail address'),
    404: html('No such incident or step'),
    409: html('The step is not waiting for a decision'),
    503: html('The workflow service is unreachable: try again'),
  },
});

export const decideSignedInApproval = defineRoute({
  method: 'post',
  path: '/approvals/{incidentId}/{stepId}',
  tag: 'approvals',
  summary: 'Approve or reject as the signed-in person (the page’s form, with its CSRF token)',
  access: 'responder',
  sessionForm: true,
  params: stepParams,
  body: {
    kind: 'form',
    schema: decisionForm,
  },
  responses: {
    200: html('Recorded'),
    400: html('Neither approve nor reject'),
    401: { description: 'Not signed in', json: errorBody },
    403: html('The page expired (CSRF), or not one of the step’s approvers'),
    404: html('No such incident or step'),
    409: html('The step is not waiting for a decision, or this person has decided already'),
    503: html('The workflow service is unreachable: nothing was decided'),
  },
});

export const APPROVAL_ROUTES = [
  showApproval,
  decideApproval,
  listPendingApprovals,
  pendingApprovalsPage,
  showSignedInApproval,
  decideSignedInApproval,
];
