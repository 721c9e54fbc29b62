// Access control: API tokens with a role (board < responder < admin), and a browser sign-in with the
// same tokens. Only SHA-256 hashes of tokens are held in memory. A browser session is read-only: it
// opens pages and reports, and anything that changes state needs the token itself (a Bearer header),
// so a cross-site form can never approve, resolve or trigger on a signed-in person's behalf.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import cookieParser from 'cookie-parser';
import { RANK, type Role } from './roles';
import { HttpError } from './errors';
import { loginPage } from './pages/board-pages';
import type { RouteTable } from './contract';
import * as contracts from './contracts/access';

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
export const SESSION_COOKIE = 'reflex-session';

export interface Principal {
  name: string;
  role: Role;
  email?: string;
  via: 'token' | 'session';
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export class AccessControl {
  private readonly tokens: Array<{ hash: Buffer; token: AccessToken }>;

  constructor(
    tokens: readonly AccessToken[],
    private readonly secret: string,
    private readonly sessionMs: number,
    private readonly secureCookies: boolean,
  ) {
    this.tokens = tokens.map((token) => ({
      hash: token.sha256 ? Buffer.from(token.sha256, 'hex') : sha256(token.token!),
      token,
    }));
  }

  /** The token's owner, comparing hashes in constant time. */
  byToken(presented: string): AccessToken | undefined {
    const hash = sha256(presented);
    let found: AccessToken | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.hash, hash)) found = t.token;
    return found;
  }

  authenticate(req: Request): Principal | undefined {
    const header = req.get('authorization');
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const token = match ? this.byToken(match[1]!) : undefined;
      return token ? { name: token.name, role: token.role, email: token.email, via: 'token' } : undefined;
    }
    const cookie = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    return cookie ? this.fromSession(cookie) : undefined;
  }

  sessionValue(token: AccessToken, now = Date.now()): string {
    const payload = Buffer.from(JSON.stringify({ n: token.name, e: now + this.sessionMs })).toString(
      'base64url',
    );
    return `${payload}.${this.sign(payload)}`;
  }

  cookieOptions() {
    return {
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: this.secureCookies,
      path: '/',
      maxAge: this.sessionMs,
    };
  }

  private fromSession(value: string): Principal | undefined {
    const [payload, signature] = value.split('.');
    if (!payload || !signature) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let session: { n?: string; e?: number };
    try {
      session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof session;
    } catch {
      return undefined;
    }
    if (typeof session.e !== 'number' || session.e < Date.now()) return undefined;
    // A token removed from the configuration ends its sessions too.
    const token = this.tokens.find((t) => t.token.name === session.n)?.token;
    return token ? { name: token.name, role: token.role, email: token.email, via: 'session' } : undefined;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update('reflex-session\n').update(payload).digest('base64url');
  }
}

/**
 * Lets the request through when its principal has at least `role`. Without credentials: 401 (pages
 * redirect to the sign-in); with too small a role: 403.
 */
export function requireRole(access: AccessControl, role: Role, kind: 'api' | 'page' = 'api'): RequestHandler {
  const parseCookies = cookieParser();
  return (req: Request, res: Response, next: NextFunction) => {
    parseCookies(req, res, () => {
      const principal = access.authenticate(req);
      if (!principal) {
        if (kind === 'page' && (req.method === 'GET' || req.method === 'HEAD')) {
          return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
        }
        return next(new HttpError(401, 'a valid access token is required', { 'WWW-Authenticate': 'Bearer' }));
      }
      if (principal.via === 'session' && req.method !== 'GET' && req.method !== 'HEAD') {
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
    });
  };
}

/** Only same-site relative paths, so the sign-in cannot be used to send people elsewhere. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/board';
}

export function mountLogin(routes: RouteTable, access: AccessControl, organisation: string): void {
  routes.add(contracts.loginPage, ({ query }, _req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(loginPage(organisation, safeNext(query.next)));
  });
  routes.add(contracts.login, ({ body }, _req, res) => {
    const token = typeof body.token === 'string' ? access.byToken(body.token.trim()) : undefined;
    if (!token) {
      return void res
        .status(401)
        .type('html')
        .send(loginPage(organisation, safeNext(body.next), 'That token is not valid.'));
    }
    res.cookie(SESSION_COOKIE, access.sessionValue(token), access.cookieOptions());
    res.redirect(303, safeNext(body.next));
  });
  routes.add(contracts.logout, (_input, _req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });
}
