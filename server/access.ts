// Access control: API tokens with a role (board < responder < admin), and a browser sign-in with the
// same tokens. Only SHA-256 hashes of tokens are held in memory. A browser session reads: it opens
// pages and reports, and anything that changes state needs the token itself (a Bearer header), so a
// cross-site form can never resolve or trigger on a signed-in person's behalf. The one exception is a
// page's own form (`sessionForm` routes: a responder approving a step as themselves), which carries
// the page's CSRF token bound to the session; the session cookie is SameSite=Lax.
// Sessions live on the server (the cookie is a random id, stored only as its hash), bound to the token
// they were opened with: signing out ends one, and so does rotating or removing its token. Guessing
// is slowed per address: failed Bearer tokens and sign-ins beyond a budget get 429 with Retry-After.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiters, type Limiter, type Limiters } from '../common/rate-limits';
import { RANK, type Role } from './roles';
import { HttpError } from './errors';
import { loginPage } from './pages/board-pages';
import type { RouteTable } from './contract';
import * as contracts from './contracts/access';
import { OIDC_COOKIE, SignInRefused, type Identity, type OidcSignIn } from './oidc';
import type { Logger } from '../common/logger';

export const SESSION_COOKIE = 'reflex-session';

/** One access token as the configuration gives it (access.tokens): the token, or only its SHA-256. */
export interface AccessToken {
  /** Shown in logs and on the audit trail instead of the token. */
  name: string;
  role: Role;
  /** The person behind it: approvals made with it are theirs. */
  email?: string;
  token?: string;
  sha256?: string;
}

export interface Principal {
  name: string;
  role: Role;
  email?: string;
  via: 'token' | 'session';
}

/** What a session stands for: a token (by its hash), or a signed-in identity. */
export type SessionBinding = { tokenHash: string } | { identity: unknown };

/** Where browser sessions are kept (storage/sessions.ts): by the hash of their id, never the id. */
export interface SessionStore {
  create(idHash: string, binding: SessionBinding, expiresAt: Date): Promise<void>;
  /** The session, unless it has expired. */
  find(idHash: string): Promise<SessionBinding | undefined>;
  remove(idHash: string): Promise<void>;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** How many failures an address may have before it waits. */
export interface GuessingLimits {
  /** Failed Bearer tokens per address and minute. @default 30 */
  bearerFailuresPerMinute?: number;
  /** Sign-in attempts per address and minute. @default 10 */
  loginsPerMinute?: number;
  /** Where the budgets are kept. @default in this process's memory */
  limiters?: Limiters;
}

/** Too many failed attempts from one address: try again after `retryAfterSeconds`. */
export class TooManyAttemptsError extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(429, `too many attempts from this address; retry after ${retryAfterSeconds} s`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

/** Consumes one point of `limiter` for `key`; throws {@link TooManyAttemptsError} when spent. */
export async function spend(limiter: Limiter, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (res) {
    if (res instanceof Error) throw res;
    throw new TooManyAttemptsError(Math.max(1, Math.ceil((res as RateLimiterRes).msBeforeNext / 1000)));
  }
}

export class AccessControl {
  private readonly tokens: Array<{ hash: Buffer; token: AccessToken }>;
  private readonly bearerFailures: Limiter;
  readonly logins: Limiter;

  constructor(
    tokens: readonly AccessToken[],
    private readonly sessions: SessionStore,
    private readonly sessionMs: number,
    readonly secure: boolean,
    limits: GuessingLimits = {},
    /** The role of someone signed in with their own account (access.oidc.roles). */
    private readonly roleOfIdentity: (identity: Identity) => Role | undefined = () => undefined,
  ) {
    this.tokens = tokens.map((token) => ({
      hash: token.sha256 ? Buffer.from(token.sha256, 'hex') : sha256(token.token!),
      token,
    }));
    const limiters = limits.limiters ?? memoryLimiters;
    this.bearerFailures = limiters({
      name: 'failed-tokens',
      points: limits.bearerFailuresPerMinute ?? 30,
      durationSeconds: 60,
    });
    this.logins = limiters({ name: 'sign-ins', points: limits.loginsPerMinute ?? 10, durationSeconds: 60 });
  }

  /** The token's entry, comparing hashes in constant time. */
  private entryOf(presented: string): { hash: Buffer; token: AccessToken } | undefined {
    const hash = sha256(presented);
    let found: { hash: Buffer; token: AccessToken } | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.hash, hash)) found = t;
    return found;
  }

  /** The token's owner. */
  byToken(presented: string): AccessToken | undefined {
    return this.entryOf(presented)?.token;
  }

  /**
   * Who is asking: the Bearer token's owner, or the browser session's. An address that keeps
   * presenting wrong tokens is slowed down (429) before any comparison.
   */
  async authenticate(req: Request): Promise<Principal | undefined> {
    const header = req.get('authorization');
    if (header) {
      const key = req.ip ?? 'unknown';
      const budget = await this.bearerFailures.get(key);
      if (budget && budget.remainingPoints <= 0) {
        throw new TooManyAttemptsError(Math.max(1, Math.ceil(budget.msBeforeNext / 1000)));
      }
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const token = match ? this.byToken(match[1]!) : undefined;
      if (!token) await this.bearerFailures.penalty(key, 1);
      return token ? { name: token.name, role: token.role, email: token.email, via: 'token' } : undefined;
    }
    const cookie = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
    const session = await this.sessions.find(sha256(cookie).toString('hex'));
    if (!session) return undefined;
    if ('identity' in session) {
      const identity = session.identity as Identity;
      const role = this.roleOfIdentity(identity);
      return role
        ? { name: identity.email ?? identity.sub, role, email: identity.email, via: 'session' }
        : undefined;
    }
    // Bound to the token it was opened with: rotated or removed, the session is gone.
    const entry = this.tokens.find((t) => t.hash.toString('hex') === session.tokenHash);
    return entry
      ? { name: entry.token.name, role: entry.token.role, email: entry.token.email, via: 'session' }
      : undefined;
  }

  /** Opens a browser session for someone signed in with their own account (who has a role). */
  async signInIdentity(identity: Identity): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.sessions.create(
      sha256(id).toString('hex'),
      { identity },
      new Date(Date.now() + this.sessionMs),
    );
    return id;
  }

  /** Opens a browser session for the holder of `presented`; undefined when it is not a token. */
  async signIn(presented: string): Promise<string | undefined> {
    const entry = this.entryOf(presented);
    if (!entry) return undefined;
    const id = randomBytes(32).toString('base64url');
    await this.sessions.create(
      sha256(id).toString('hex'),
      { tokenHash: entry.hash.toString('hex') },
      new Date(Date.now() + this.sessionMs),
    );
    return id;
  }

  /** Ends the request's browser session, if it has one. */
  async signOut(req: Request): Promise<void> {
    const cookie = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    if (cookie) await this.sessions.remove(sha256(cookie).toString('hex'));
  }

  cookieOptions() {
    // Lax: a link from Teams, Slack or an e-mail opens a page signed in (top-level GETs only read);
    // no other site's form or script request carries it, and the one form a session may post has a
    // CSRF token.
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.secure,
      path: '/',
      maxAge: this.sessionMs,
    };
  }
}

/**
 * Lets the request through when its principal has at least `role`. Without credentials: 401 (pages
 * redirect to the sign-in); with too small a role: 403.
 */
export function requireRole(
  access: AccessControl,
  role: Role,
  kind: 'api' | 'page' = 'api',
  { sessionForm = false }: { sessionForm?: boolean } = {},
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    access.authenticate(req).then((principal) => {
      if (!principal) {
        if (kind === 'page' && (req.method === 'GET' || req.method === 'HEAD')) {
          return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
        }
        return next(new HttpError(401, 'a valid access token is required', { 'WWW-Authenticate': 'Bearer' }));
      }
      if (principal.via === 'session' && req.method !== 'GET' && req.method !== 'HEAD' && !sessionForm) {
        return next(
          new HttpError(401, 'a browser sign-in only reads; send the access token as a Bearer header', {
            'WWW-Authenticate': 'Bearer',
          }),
        );
      }
      if (RANK[principal.role] < RANK[role]) {
        return next(new HttpError(403, `the ${principal.role} role may not do this (needs ${role})`));
      }
      req.principal = principal;
      next();
    }, next);
  };
}

/** Only same-site relative paths, so the sign-in cannot be used to send people elsewhere. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/board';
}

export interface LoginOptions {
  /** Sign in with Microsoft, when configured. */
  oidc?: OidcSignIn;
  /** The role someone signed in with their own account has (access.oidc.roles). */
  roleOf?: (identity: Identity) => Role | undefined;
  log: Logger;
}

export function mountLogin(
  routes: RouteTable,
  access: AccessControl,
  organisation: string,
  { oidc, roleOf, log }: LoginOptions,
): void {
  routes.add(contracts.loginPage, ({ query }, _req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(loginPage(organisation, safeNext(query.next), undefined, oidc?.label));
  });
  routes.add(contracts.login, async ({ body }, req, res) => {
    // Every attempt counts: guessing tokens through the sign-in form is as slow as through the API.
    await spend(access.logins, req.ip ?? 'unknown');
    const id = typeof body.token === 'string' ? await access.signIn(body.token.trim()) : undefined;
    if (!id) {
      return void res
        .status(401)
        .type('html')
        .send(loginPage(organisation, safeNext(body.next), 'That token is not valid.'));
    }
    res.cookie(SESSION_COOKIE, id, access.cookieOptions());
    res.redirect(303, safeNext(body.next));
  });
  const oidcCookie = {
    httpOnly: true,
    // Lax, not Strict: it must come back with the provider's redirect, a cross-site navigation.
    sameSite: 'lax' as const,
    secure: access.secure,
    path: '/login/oidc',
  };
  const refusedPage = (res: Response, detail: string) =>
    res
      .status(403)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(loginPage(organisation, '/board', detail, oidc?.label));

  routes.add(contracts.oidcLogin, async ({ query }, _req, res) => {
    if (!oidc) throw new HttpError(404, 'sign-in with Microsoft is not configured');
    let started;
    try {
      started = await oidc.begin(safeNext(query.next));
    } catch (err) {
      log.warn({ err }, 'sign-in with Microsoft: the provider cannot be reached');
      return void res
        .status(503)
        .set('Retry-After', '30')
        .type('html')
        .send(
          loginPage(
            organisation,
            safeNext(query.next),
            'Microsoft cannot be reached right now: try again in a minute, or use an access token.',
            oidc.label,
          ),
        );
    }
    res.cookie(OIDC_COOKIE, started.cookie, { ...oidcCookie, maxAge: 10 * 60_000 });
    res.set('Cache-Control', 'no-store').redirect(303, started.url);
  });

  routes.add(contracts.oidcCallback, async (_input, req, res) => {
    if (!oidc) throw new HttpError(404, 'sign-in with Microsoft is not configured');
    await spend(access.logins, req.ip ?? 'unknown');
    res.clearCookie(OIDC_COOKIE, { path: oidcCookie.path });
    const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    let finished;
    try {
      finished = await oidc.finish(
        new URL(`${oidc.redirectUri}${search}`),
        (req.cookies as Record<string, string>)[OIDC_COOKIE],
      );
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      log.warn({ reason: err.message, ip: req.ip }, 'sign-in with Microsoft refused');
      return void refusedPage(res, 'The sign-in was refused. Try again from this page.');
    }
    const { identity, next } = finished;
    const role = roleOf?.(identity);
    if (!role) {
      log.warn(
        { sub: identity.sub, email: identity.email, ip: req.ip },
        'sign-in with Microsoft: the account has no role',
      );
      return void refusedPage(
        res,
        `${identity.email ?? 'This account'} has no role in Reflex. Ask whoever runs Reflex to add you (access.oidc.roles).`,
      );
    }
    const id = await access.signInIdentity(identity);
    log.info({ email: identity.email, role }, 'signed in with Microsoft');
    res.cookie(SESSION_COOKIE, id, access.cookieOptions());
    res.redirect(303, next);
  });

  routes.add(contracts.logout, async (_input, req, res) => {
    await access.signOut(req);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });
}
