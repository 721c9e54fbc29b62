// The webhook intake's contract: where senders deliver alerts, and every answer they can get.
import { z } from 'zod';
import { defineRoute, type ResponseSpec } from '../contract';
import { errorBody, intakeResult } from './schemas';

const error = (description: string): ResponseSpec => ({ description, json: errorBody });

const ANSWERS: Record<number, ResponseSpec> = {
  202: {
    description:
      'Accepted: the alert is durably journalled and will not be lost; its incidents are open (or `pending: true`: open shortly)',
    json: intakeResult,
  },
  400: error('Malformed or too deeply nested JSON, or a body that does not match the format (issues)'),
  401: error('Signature, timestamp, token or URL secret refused (recorded on the intake chain)'),
  404: error('No source with that name'),
  409: error('A replayed delivery id: already accepted, with the incident it made'),
  413: error('Body larger than server.maxBodyBytes'),
  429: { ...error('Rate limit for this source reached'), headers: ['Retry-After'] },
  503: {
    ...error(
      'The intake journal unreachable or full, Temporal unreachable without a journal, or another attempt with this delivery id may still be running: nothing was recorded; retry',
    ),
    headers: ['Retry-After'],
  },
};

const source = z.string().max(64).describe('A configured source name');

export const deliverAlert = defineRoute({
  method: 'post',
  path: '/hooks/{source}',
  tag: 'intake',
  summary: 'Deliver an alert from a configured source',
  description:
    'Authenticated per source (Standard Webhooks, GitHub-style or Grafana HMAC, bearer, header). The 202 comes once the alert is durably written to the intake journal; it names the incidents Temporal started or joined, or says `pending` when they open shortly (an alert storm, Temporal slow or down).',
  access: 'sender',
  params: z.object({ source }),
  body: { kind: 'raw' },
  responses: ANSWERS,
});

export const deliverAlertWithUrlSecret = defineRoute({
  method: 'post',
  path: '/hooks/{source}/{secret}',
  tag: 'intake',
  summary: 'Deliver an alert with the source secret in the URL (senders that cannot send headers)',
  access: 'sender',
  params: z.object({ source, secret: z.string().describe('The source’s URL secret') }),
  body: { kind: 'raw' },
  responses: ANSWERS,
});

export const INTAKE_ROUTES = [deliverAlert, deliverAlertWithUrlSecret];
