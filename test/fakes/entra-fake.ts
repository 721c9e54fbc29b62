// A local HTTPS fake of the Entra ID token authority and of the Microsoft Graph endpoints Reflex uses,
// so the real @azure/identity and Graph client libraries can be tested end to end. Faults (429 with
// Retry-After, 503, 403, 404) can be queued per route.
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TLS_DIR = process.env.REFLEX_TLS_DIR ?? join(__dirname, '../fixtures/tls');

export interface FakeUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  managerId?: string;
  /** Graph refuses to change privileged admins for a less privileged app (403). */
  privilegedAdmin?: boolean;
  forceChangePasswordNextSignIn?: boolean;
  sessionsRevokedAt?: string;
  riskState?: 'confirmedCompromised' | 'dismissed';
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  code?: string;
  retryAfter?: number;
  /** How many requests it answers before it is used up. @default 1 */
  times?: number;
}

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
  authorized: boolean;
  status: number;
}

export const TENANT = '11111111-2222-3333-4444-555555555555';
export const CLIENT_ID = 'reflex-test-client';
export const CLIENT_SECRET = 'fake-client-secret-for-tests';

export interface FakeCredential {
  keyId: string;
  displayName: string;
  hint: string;
  endDateTime: string;
  /** Shown once by addPassword, as Graph does; kept here so tests can look for leaks. */
  secretText: string;
}

export class EntraFake {
  readonly users = new Map<string, FakeUser>();
  /** Entra sign-in and directory audit log records the fake serves under /auditLogs. */
  readonly signIns: Array<Record<string, unknown>> = [];
  readonly directoryAudits: Array<Record<string, unknown>> = [];
  /** Records per page of /auditLogs answers (small in tests, to exercise paging). */
  logPageSize = 1000;
  /** The query strings of /auditLogs requests. */
  readonly logQueries: string[] = [];
  readonly applications = new Map<
    string,
    { id: string; displayName: string; passwordCredentials: FakeCredential[] }
  >();
  /** Every secret text addPassword ever returned. */
  readonly issuedSecrets: string[] = [];
  readonly calls: RecordedCall[] = [];
  readonly tokensIssued: string[] = [];
  private readonly faults: Fault[] = [];
  private server?: Server;
  port = 0;

  get url(): string {
    return `https://localhost:${this.port}`;
  }

  addUser(user: Partial<FakeUser> & { userPrincipalName: string }): FakeUser {
    const full: FakeUser = {
      id: randomUUID(),
      displayName: user.userPrincipalName.split('@')[0]!,
      accountEnabled: true,
      ...user,
    };
    this.users.set(full.id, full);
    return full;
  }

  addApplication(displayName: string, existingSecrets = 1) {
    const app = { id: randomUUID(), displayName, passwordCredentials: [] as FakeCredential[] };
    for (let i = 0; i < existingSecrets; i++)
      app.passwordCredentials.push(this.newCredential(`original ${i + 1}`));
    this.applications.set(app.id, app);
    return app;
  }

  private newCredential(
    displayName: string,
    endDateTime = new Date(Date.now() + 90 * 86_400_000).toISOString(),
  ): FakeCredential {
    const secretText = `s3cr3t~${randomUUID().replace(/-/g, '')}`;
    this.issuedSecrets.push(secretText);
    return { keyId: randomUUID(), displayName, hint: secretText.slice(0, 3), endDateTime, secretText };
  }

  user(ref: string): FakeUser | undefined {
    const lower = ref.toLowerCase();
    return (
      this.users.get(ref) ?? [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === lower)
    );
  }

  fail(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Graph calls (token requests left out). */
  graphCalls(): RecordedCall[] {
    return this.calls.filter((c) => c.path.startsWith('/v1.0/'));
  }

  async start(): Promise<this> {
    this.server = createServer(
      {
        key: readFileSync(join(TLS_DIR, 'localhost.key')),
        cert: readFileSync(join(TLS_DIR, 'localhost.pem')),
      },
      (req, res) => void this.handle(req, res),
    );
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* form-encoded token requests stay text */
    }
    const authorized = this.tokensIssued.some((t) => req.headers.authorization === `Bearer ${t}`);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ method, path: url.pathname, body, authorized, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const graphError = (
      status: number,
      code: string,
      message: string,
      headers: Record<string, string> = {},
    ) =>
      send(
        status,
        {
          error: {
            code,
            message,
            innerError: { date: new Date().toISOString(), 'request-id': randomUUID() },
          },
        },
        headers,
      );

    // --- the token authority ---
    if (url.pathname === `/${TENANT}/v2.0/.well-known/openid-configuration`) {
      return send(200, {
        issuer: `${this.url}/${TENANT}/v2.0`,
        token_endpoint: `${this.url}/${TENANT}/oauth2/v2.0/token`,
        authorization_endpoint: `${this.url}/${TENANT}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${this.url}/${TENANT}/oauth2/v2.0/logout`,
        jwks_uri: `${this.url}/${TENANT}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (url.pathname === `/${TENANT}/oauth2/v2.0/token` && method === 'POST') {
      const form = new URLSearchParams(text);
      if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) {
        return send(401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      }
      const token = `fake-token-${randomUUID()}`;
      this.tokensIssued.push(token);
      return send(200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token });
    }

    // --- Microsoft Graph ---
    if (!url.pathname.startsWith('/v1.0/')) return send(404, { error: 'not found' });
    if (!authorized)
      return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    const fault = this.faults.find(
      (f) => f.method === method && f.path.test(url.pathname) && (f.times ?? 1) > 0,
    );
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      const headers: Record<string, string> =
        fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      return graphError(fault.status, fault.code ?? 'FaultInjected', `injected ${fault.status}`, headers);
    }
    const path = url.pathname.slice('/v1.0'.length);
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/users\/([^/]+)\/revokeSignInSessions$/)) && method === 'POST') {
      const user = this.user(decodeURIComponent(m[1]!));
      if (!user) return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      user.sessionsRevokedAt = new Date().toISOString();
      return send(200, {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean',
        value: true,
      });
    }
    if ((m = path.match(/^\/users\/([^/]+)\/manager$/)) && method === 'GET') {
      const user = this.user(decodeURIComponent(m[1]!));
      const manager = user?.managerId ? this.users.get(user.managerId) : undefined;
      if (!manager) return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      return send(200, { id: manager.id, displayName: manager.displayName, mail: manager.userPrincipalName });
    }
    if ((m = path.match(/^\/users\/([^/]+)$/))) {
      const user = this.user(decodeURIComponent(m[1]!));
      if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`);
      if (method === 'GET') {
        return send(200, {
          id: user.id,
          displayName: user.displayName,
          userPrincipalName: user.userPrincipalName,
          accountEnabled: user.accountEnabled,
        });
      }
      if (method === 'PATCH') {
        if (user.privilegedAdmin)
          return graphError(
            403,
            'Authorization_RequestDenied',
            'Insufficient privileges to complete the operation.',
          );
        const patch = body as {
          accountEnabled?: boolean;
          passwordProfile?: { forceChangePasswordNextSignIn?: boolean };
        };
        if (patch.accountEnabled !== undefined) user.accountEnabled = patch.accountEnabled;
        if (patch.passwordProfile)
          user.forceChangePasswordNextSignIn = patch.passwordProfile.forceChangePasswordNextSignIn;
        return send(204);
      }
    }
    if ((m = path.match(/^\/auditLogs\/(signIns|directoryAudits)$/)) && method === 'GET') {
      // As Graph: newest first, `$filter=<time> ge <ISO>`, pages of `$top` with an absolute nextLink.
      const resource = m[1] as 'signIns' | 'directoryAudits';
      const field = resource === 'signIns' ? 'createdDateTime' : 'activityDateTime';
      this.logQueries.push(url.search);
      const filter = url.searchParams.get('$filter') ?? '';
      const since = new RegExp(`^${field} ge (\\S+)$`).exec(filter)?.[1];
      if (filter && !since) return graphError(400, 'BadRequest', `unsupported filter ${filter}`);
      const top = Math.min(Number(url.searchParams.get('$top') ?? 1000), this.logPageSize);
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const all = this[resource]
        .filter((r) => !since || String(r[field]) >= since)
        .sort((a, b) => (String(a[field]) < String(b[field]) ? 1 : -1));
      const value = all.slice(skip, skip + top);
      const next = new URL(url.href);
      next.searchParams.set('$skiptoken', String(skip + top));
      return send(200, {
        '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#auditLogs/${resource}`,
        value,
        ...(skip + top < all.length
          ? { '@odata.nextLink': `${this.url}${next.pathname}${next.search}` }
          : {}),
      });
    }
    if (path === '/identityProtection/riskyUsers/confirmCompromised' && method === 'POST') {
      for (const id of (body as { userIds: string[] }).userIds) {
        const user = this.users.get(id);
        if (!user) return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
        user.riskState = 'confirmedCompromised';
      }
      return send(204);
    }
    if (path === '/identityProtection/riskyUsers/dismiss' && method === 'POST') {
      for (const id of (body as { userIds: string[] }).userIds) {
        const user = this.users.get(id);
        if (user) user.riskState = 'dismissed';
      }
      return send(204);
    }
    if ((m = path.match(/^\/applications\/([^/]+)(\/addPassword|\/removePassword)?$/))) {
      const app = this.applications.get(decodeURIComponent(m[1]!));
      if (!app) return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      if (!m[2] && method === 'GET') {
        return send(200, {
          id: app.id,
          passwordCredentials: app.passwordCredentials.map(({ secretText: _hidden, ...visible }) => visible),
        });
      }
      if (m[2] === '/addPassword' && method === 'POST') {
        const request =
          (body as { passwordCredential?: { displayName?: string; endDateTime?: string } })
            .passwordCredential ?? {};
        const credential = this.newCredential(request.displayName ?? '', request.endDateTime);
        app.passwordCredentials.push(credential);
        return send(200, credential);
      }
      if (m[2] === '/removePassword' && method === 'POST') {
        const keyId = (body as { keyId: string }).keyId;
        const index = app.passwordCredentials.findIndex((c) => c.keyId === keyId);
        if (index < 0)
          return graphError(404, 'Request_ResourceNotFound', 'No password credential with that keyId.');
        app.passwordCredentials.splice(index, 1);
        return send(204);
      }
    }
    return graphError(400, 'BadRequest', `the fake does not serve ${method} ${url.pathname}`);
  }
}
