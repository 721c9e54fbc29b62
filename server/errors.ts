// The one place errors become HTTP responses. Handlers throw; this maps; nothing secret leaks.
import type { ErrorRequestHandler, Request } from 'express';
import { ZodError } from 'zod';
import { ReflexError } from '../common/errors';
import type { Logger } from '../common/logger';

/** An HTTP-only refusal (a malformed id, a role too small, a route that does not exist). */
export class HttpError extends ReflexError {
  constructor(
    readonly status: number,
    message: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
  override headers() {
    return this.extraHeaders;
  }
}

interface Mapped {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

function map(err: unknown): Mapped | undefined {
  if (err instanceof ZodError) {
    return {
      status: 400,
      body: {
        error: 'the body does not match the expected schema',
        issues: err.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message })),
      },
    };
  }
  // Every expected failure carries its own HTTP meaning (common/errors.ts).
  if (err instanceof ReflexError) return { status: err.status, body: err.body(), headers: err.headers() };
  // body-parser's errors carry a status and a type.
  const e = err as { status?: number; type?: string; message?: string };
  if (e?.type === 'entity.too.large') return { status: 413, body: { error: 'body too large' } };
  if (e?.type === 'entity.parse.failed')
    return { status: 400, body: { error: `malformed JSON: ${e.message}` } };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, body: { error: e.message ?? 'bad request' } };
  }
  return undefined;
}

/** The HTTP status an error is answered with (500 for anything unexpected). */
export function statusOf(err: unknown): number {
  return map(err)?.status ?? 500;
}

/**
 * The route a request matched, as its pattern (`POST /approve/:token`), for logs: a path can carry a
 * credential (an approval link's token, a source's URL secret) and never goes into a log line.
 */
function routeOf(req: Request): string {
  const pattern = (req.route as { path?: string } | undefined)?.path;
  return `${req.method} ${pattern ?? '(no route)'}`;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const mapped = map(err);
    if (mapped) {
      if (mapped.status >= 500)
        log.warn({ err: (err as { cause?: unknown }).cause ?? err, route: routeOf(req) }, 'request failed');
      res
        .status(mapped.status)
        .set(mapped.headers ?? {})
        .json(mapped.body);
      return;
    }
    log.error({ err, route: routeOf(req) }, 'unexpected error');
    res.status(500).json({ error: 'internal error' });
  };
}
