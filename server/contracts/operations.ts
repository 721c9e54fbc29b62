// What operators and orchestrators read: liveness, readiness, metrics and this API's own description.
import { z } from 'zod';
import { defineRoute } from '../contract';
import { readiness } from './schemas';

export const healthz = defineRoute({
  method: 'get',
  path: '/healthz',
  tag: 'operations',
  summary: 'Liveness',
  access: 'public',
  responses: { 200: { description: 'Alive', json: z.object({ status: z.literal('ok') }) } },
});

export const readyz = defineRoute({
  method: 'get',
  path: '/readyz',
  tag: 'operations',
  summary: 'Readiness: Temporal, the worker and the audit store reachable',
  access: 'public',
  responses: {
    200: { description: 'Ready', json: readiness },
    503: { description: 'A dependency is unreachable; the body names it', json: readiness },
  },
});

export const metrics = defineRoute({
  method: 'get',
  path: '/metrics',
  tag: 'operations',
  summary: 'Prometheus metrics: deliveries by source and outcome, intake latency, rule firings',
  access: 'board',
  responses: { 200: { description: 'Prometheus text format', content: 'text/plain' } },
});

export const openapi = defineRoute({
  method: 'get',
  path: '/openapi.json',
  tag: 'operations',
  summary: 'This document (OpenAPI 3.1)',
  access: 'public',
  responses: { 200: { description: 'OpenAPI 3.1', json: z.record(z.string(), z.unknown()) } },
});

export const HEALTH_ROUTES = [healthz, readyz];
export const OPERATIONS_ROUTES = [metrics, openapi];
