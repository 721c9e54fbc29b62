// http.request: the generic action for systems without a native one (a CRM's session-revoke or
// user-block API, a ticketing tool, a newsletter tool). Secrets for headers come from configuration by
// name and never appear in playbooks, results, logs or the audit trail.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { retryAfterSeconds } from '../retry-after';
import { activitiesOf, defineAction } from '../action';

const headerValue = z.union([
  z.string(),
  z.object({ secret: z.string().min(1), prefix: z.string().default('') }).strict(),
]);

export const httpArgsSchema = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    url: z
      .url()
      .refine(
        (u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(u),
        'must be https://',
      ),
    /** Header values; `{ secret: name, prefix: 'Bearer ' }` takes the value from actions.http.secrets. */
    headers: z.record(z.string(), headerValue).default({}),
    /** JSON body (templated from the incident). */
    body: z.unknown().optional(),
    /** Statuses that mean success. @default [200, 201, 202, 204] */
    expectStatus: z.union([z.number().int(), z.array(z.number().int()).min(1)]).default([200, 201, 202, 204]),
  })
  .strict();

export interface HttpDeps {
  /** Named secrets usable in headers. */
  secrets: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

type HttpArgs = z.infer<typeof httpArgsSchema>;

/** The request's headers, and the same with every secret shown by name only (for drills and records). */
function headersOf(args: HttpArgs, ctx: { incidentId: string; stepId: string }, deps: HttpDeps) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': `${ctx.incidentId}:${ctx.stepId}`,
  };
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(args.headers)) {
    if (typeof value === 'string') {
      headers[name] = shown[name] = value;
      continue;
    }
    const secret = deps.secrets[value.secret];
    if (secret === undefined) {
      throw ApplicationFailure.nonRetryable(
        `http.request: with.headers.${name}: no secret "${value.secret}" in actions.http.secrets`,
        'InvalidArguments',
      );
    }
    headers[name] = `${value.prefix}${secret}`;
    shown[name] = `${value.prefix}[secret ${value.secret}]`;
  }
  return { headers, shown };
}

export const httpRequest = defineAction<HttpDeps>()({
  name: 'http.request',
  description: 'Call an external system over HTTPS',
  input: httpArgsSchema,
  permissionNote: 'none: credentials come from `actions.http.secrets`',
  mutates: true,
  timeoutSeconds: 30,
  maxAttempts: 5,
  dryRun: (args, ctx, deps) => [
    { method: args.method, path: args.url, headers: headersOf(args, ctx, deps).shown, body: args.body },
  ],
  async run(deps, args, ctx) {
    const { headers } = headersOf(args, ctx, deps);
    const expected = [args.expectStatus].flat();
    const target = `${args.method} ${args.url}`;
    let response: Response;
    try {
      response = await fetch(args.url, {
        method: args.method,
        headers,
        body: args.body === undefined || args.method === 'GET' ? undefined : JSON.stringify(args.body),
        signal: AbortSignal.timeout(deps.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw ApplicationFailure.create({
        type: 'HttpUnreachable',
        message: `${target}: ${(err as Error).name}`,
      });
    }
    const text = (await response.text()).slice(0, 2000);
    if (expected.includes(response.status)) {
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, body };
    }
    const retryable = response.status >= 500 || response.status === 429;
    const seconds = retryAfterSeconds(response.headers.get('retry-after'));
    throw ApplicationFailure.create({
      type: retryable ? 'HttpRetryable' : 'HttpRejected',
      nonRetryable: !retryable,
      message: `${target} answered ${response.status}, expected ${expected.join(' or ')}`,
      nextRetryDelay: retryable && seconds !== undefined ? `${seconds} seconds` : undefined,
    });
  },
});

export function createHttpActivities(deps: HttpDeps) {
  return activitiesOf([httpRequest] as const, deps);
}
