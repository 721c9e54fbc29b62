// HTTP contracts: each route declares, once and in zod, its method and path, who may call it, its path
// parameters, query, body and answers. The route table mounts handlers from their contracts (adding the
// role check and the body parser the contract names) and hands them the parsed request; the OpenAPI
// document is generated from the same list (openapi.ts). A request that does not fit is a 400 naming
// the parameter or field, before any handler runs.
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { ReflexError } from '../common/errors';
import type { Role } from './roles';

/**
 * Who may call a route: anyone; a webhook sender (authenticated per source by triggers/auth); the
 * holder of an approval link (the link is the credential); or a role, by Bearer token or, for reads,
 * by a browser sign-in.
 */
export type Access = 'public' | 'sender' | 'link' | Role;

export interface ResponseSpec {
  description: string;
  /** A JSON answer's schema. */
  json?: z.ZodType;
  /** Another content type (HTML pages, PDFs, Prometheus text). */
  content?: 'text/html' | 'application/pdf' | 'text/plain' | 'text/csv';
  /** Headers the answer carries (e.g. Retry-After, Location). */
  headers?: readonly string[];
}

export interface RouteContract<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post';
  /** OpenAPI style: `/api/incidents/{id}`. */
  path: `/${string}`;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  /** An HTML page: a missing sign-in redirects to /login instead of answering 401. */
  page?: boolean;
  /**
   * A form on a page that a signed-in person submits: a browser sign-in may post it (sign-ins otherwise
   * only read). The handler must check the page's CSRF token.
   */
  sessionForm?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: { kind: 'json' | 'form' | 'raw'; schema?: z.ZodType<B>; limit?: string };
  responses: Record<number, ResponseSpec>;
}

/** Declares a route's contract (the types of its parsed parts are inferred from the schemas). */
export function defineRoute<P = unknown, Q = unknown, B = unknown>(
  contract: RouteContract<P, Q, B>,
): RouteContract<P, Q, B> {
  return contract;
}

/** The path in Express's form: `{id}` → `:id`. */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

export interface RequestIssue {
  /** Where: path, query or body. */
  in: 'path' | 'query' | 'body';
  path: string;
  code: string;
  message: string;
}

/** A request that does not fit its route's contract. */
export class InvalidRequestError extends ReflexError {
  readonly status = 400;
  constructor(readonly issues: readonly RequestIssue[]) {
    super(issues.map(describeIssue).join('; '));
    this.name = 'InvalidRequestError';
  }
  override body() {
    return { error: this.message, issues: this.issues };
  }
}

function describeIssue(issue: RequestIssue): string {
  if (issue.in === 'body') {
    return `the body does not match the expected schema: ${issue.path || '(body)'}: ${issue.message}`;
  }
  return `${issue.in === 'path' ? 'path' : 'query'} parameter "${issue.path}": ${issue.message}`;
}

/** zod's issues as request issues; an unknown query parameter is named as the parameter. */
function issuesOf(where: RequestIssue['in'], error: z.ZodError, known: readonly string[]): RequestIssue[] {
  return error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys' && where !== 'body') {
      return i.keys.map((key) => ({
        in: where,
        path: key,
        code: i.code,
        message: `unknown (known: ${known.join(', ')})`,
      }));
    }
    return [{ in: where, path: i.path.join('.'), code: i.code, message: i.message }];
  });
}

/** The keys an object schema declares (to name the known query parameters). */
function keysOf(schema: z.ZodType | undefined): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** What a handler gets: the parsed parts, and the raw request for headers, address and cookies. */
export interface Parsed<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export type Handler<P, Q, B> = (input: Parsed<P, Q, B>, req: Request, res: Response) => unknown;

export interface RouteGuards {
  /** The role check of a role route (pages redirect to the sign-in). */
  role(role: Role, page: boolean, sessionForm: boolean): RequestHandler;
  /** The largest raw body (webhooks). */
  rawLimit: number;
}

/** Mounts handlers on a router from their contracts. */
export class RouteTable {
  readonly contracts: RouteContract[] = [];

  constructor(
    private readonly router: Router,
    private readonly guards: RouteGuards,
  ) {}

  add<P, Q, B>(contract: RouteContract<P, Q, B>, handler: Handler<P, Q, B>): void {
    this.contracts.push(contract as RouteContract);
    const before: RequestHandler[] = [];
    if (contract.access !== 'public' && contract.access !== 'sender' && contract.access !== 'link') {
      before.push(this.guards.role(contract.access, contract.page ?? false, contract.sessionForm ?? false));
    }
    if (contract.body?.kind === 'json') before.push(express.json({ limit: contract.body.limit ?? '64kb' }));
    if (contract.body?.kind === 'form') {
      before.push(express.urlencoded({ extended: false, limit: contract.body.limit ?? '4kb' }));
    }
    if (contract.body?.kind === 'raw') {
      before.push(express.raw({ type: () => true, limit: contract.body.limit ?? this.guards.rawLimit }));
    }
    this.router[contract.method](expressPath(contract.path), ...before, async (req, res) => {
      await handler(parse(contract, req), req, res);
    });
  }
}

function parse<P, Q, B>(contract: RouteContract<P, Q, B>, req: Request): Parsed<P, Q, B> {
  const issues: RequestIssue[] = [];
  const part = <T>(where: RequestIssue['in'], schema: z.ZodType<T> | undefined, value: unknown): T => {
    if (!schema) return value as T;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    issues.push(...issuesOf(where, result.error, keysOf(schema)));
    return undefined as T;
  };
  const parsed = {
    params: part('path', contract.params, req.params),
    query: part('query', contract.query, req.query),
    body:
      contract.body?.kind === 'raw'
        ? ((Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)) as B)
        : part('body', contract.body?.schema, req.body ?? {}),
  };
  if (issues.length) throw new InvalidRequestError(issues);
  return parsed;
}

/** Text given once: Express makes an array of a repeated query parameter, which is refused by name. */
export function once(message?: string) {
  return z.string({
    error: (issue) => (Array.isArray(issue.input) ? 'give it once' : message),
  });
}
