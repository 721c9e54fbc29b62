// http.request: the generic action for systems without a native one (a CRM's session-revoke or
// user-block API, a ticketing tool, a newsletter tool). Secrets for headers come from configuration by
// name, only to the origins configured for them, and never appear in playbooks, results, logs or the
// audit trail. Values rendered into the URL are percent-encoded; the call goes through activities/
// outbound.ts (HTTPS, not this machine, no redirects followed).
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { retryAfterSeconds } from '../../common/retry-after';
import { activitiesOf, defineAction } from '../action';
import { OutboundRedirect, OutboundRefused, send, urlProblem, type OutboundOptions } from '../outbound';

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
    /**
     * Header values; `{ secret: name, prefix: 'Bearer ' }` takes the value from actions.http.secrets
     * (written out in the playbook: a template cannot name a secret).
     */
    headers: z.record(z.string(), headerValue).default({}),
    /** JSON body (templated from the incident). */
    body: z.unknown().optional(),
    /** Statuses that mean success. @default [200, 201, 202, 204] */
    expectStatus: z.union([z.number().int(), z.array(z.number().int()).min(1)]).default([200, 201, 202, 204]),
  })
  .strict();

/** A named secret, and the only origins it may be sent to. */
export interface HttpSecret {
  value: string;
  /** e.g. https://crm.museum.example */
  origins: readonly string[];
}

export interface HttpDeps extends OutboundOptions {
  /** Named secrets usable in headers. */
  secrets: Readonly<Record<string, HttpSecret>>;
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
    const secret = Object.hasOwn(deps.secrets, value.secret) ? deps.secrets[value.secret] : undefined;
    if (secret === undefined) {
      throw ApplicationFailure.nonRetryable(
        `http.request: with.headers.${name}: no secret "${value.secret}" in actions.http.secrets`,
        'InvalidArguments',
      );
    }
    const origin = new URL(args.url).origin;
    if (!secret.origins.some((o) => new URL(o).origin === origin)) {
      throw ApplicationFailure.nonRetryable(
        `http.request: with.headers.${name}: secret "${value.secret}" may not be sent to ${origin} (its origins: ${secret.origins.join(', ')})`,
        'SecretNotAllowed',
      );
    }
    headers[name] = `${value.prefix}${secret.value}`;
    shown[name] = `${value.prefix}[secret ${value.secret}]`;
  }
  return { headers, shown };
}

export const httpRequest = defineAction<HttpDeps>()({
  name: 'http.request',
  description: 'Call an external system over HTTPS',
  input: httpArgsSchema,
  encode: { url: 'url' },
  literal: ['headers.*.secret', 'headers.*.prefix'],
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
    const refusedScheme = urlProblem(new URL(args.url), deps.allowLoopback ?? false);
    if (refusedScheme)
      throw ApplicationFailure.nonRetryable(`http.request: with.url: ${refusedScheme}`, 'HttpRefused');
    let response;
    try {
      response = await send(
        args.url,
        {
          method: args.method,
          headers,
          body: args.body === undefined || args.method === 'GET' ? undefined : JSON.stringify(args.body),
        },
        deps,
      );
    } catch (err) {
      if (err instanceof OutboundRefused) {
        throw ApplicationFailure.nonRetryable(`${target}: refused: ${err.message}`, 'HttpRefused');
      }
      if (err instanceof OutboundRedirect) {
        throw ApplicationFailure.nonRetryable(`${target} ${err.message}`, 'HttpRedirect');
      }
      throw ApplicationFailure.create({
        type: 'HttpUnreachable',
        message: `${target}: ${(err as Error).name}`,
      });
    }
    if (expected.includes(response.status)) {
      let body: unknown = response.text;
      try {
        body = response.text ? JSON.parse(response.text) : null;
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
