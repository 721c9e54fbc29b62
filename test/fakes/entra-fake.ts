// A local HTTPS fake of the Entra ID token authority and of the Microsoft Graph endpoints Reflex uses,
// so the real @azure/identity and Graph client libraries can be tested end to end. Faults (429 with
// Retry-After, 503, 403, 404) can be queued per route.
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ActivityFeedFake } from './activity-feed';

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

export interface FakeServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  accountEnabled: boolean;
  appOwnerOrganizationId: string;
  passwordCredentials?: FakeCredential[];
  keyCredentials?: FakeCertificate[];
  /** The application permissions an API offers (Microsoft Graph's service principal). */
  appRoles?: Array<{ id: string; value: string; allowedMemberTypes: string[] }>;
}

/** A certificate credential; Graph returns `key` only when keyCredentials is selected on one object. */
export interface FakeCertificate {
  keyId: string;
  displayName: string;
  type: 'AsymmetricX509Cert';
  usage: 'Verify';
  key: string;
  endDateTime: string;
}

export interface FakeApplication {
  id: string;
  appId: string;
  displayName: string;
  passwordCredentials: FakeCredential[];
  keyCredentials: FakeCertificate[];
}

export interface FakeGrant {
  id: string;
  clientId: string;
  consentType: 'AllPrincipals' | 'Principal';
  principalId: string | null;
  resourceId: string;
  scope: string;
}

export interface FakeAssignment {
  id: string;
  principalId: string;
  principalType: string;
  resourceId: string;
  appRoleId: string;
}

export interface FakeRule {
  id: string;
  displayName: string;
  sequence: number;
  isEnabled: boolean;
  conditions?: Record<string, unknown>;
  actions: Record<string, unknown>;
}

export interface FakeMailbox {
  folders: Array<{ id: string; displayName: string; wellKnown?: string }>;
  rules: FakeRule[];
}

export interface FakeAuthMethod {
  '@odata.type': string;
  id: string;
  displayName?: string;
  phoneNumber?: string;
  createdDateTime?: string;
}

/** The path segment Graph deletes each method type under. */
const METHOD_SEGMENTS: Record<string, string> = {
  phoneMethods: '#microsoft.graph.phoneAuthenticationMethod',
  microsoftAuthenticatorMethods: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
  fido2Methods: '#microsoft.graph.fido2AuthenticationMethod',
  softwareOathMethods: '#microsoft.graph.softwareOathAuthenticationMethod',
  emailMethods: '#microsoft.graph.emailAuthenticationMethod',
  temporaryAccessPassMethods: '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
  windowsHelloForBusinessMethods: '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod',
};

/** `field eq 'value'` as Graph's OData filter writes it ('' inside the literal is one quote). */
function equalsFilter(filter: string): { field: string; value: string } | undefined {
  const m = /^(\w+) eq '((?:[^']|'')*)'$/.exec(filter);
  return m ? { field: m[1]!, value: m[2]!.replace(/''/g, "'") } : undefined;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  code?: string;
  retryAfter?: number;
  /** How many requests it answers before it is used up. @default 1 */
  times?: number;
  /**
   * Instead of a count: answers every matching request for this long after the first (Graph's
   * throttling: while the app is throttled, every call is refused with the same Retry-After).
   */
  forMs?: number;
  /** When `forMs` began (set on its first answer). */
  since?: number;
}

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
  authorized: boolean;
  status: number;
  /** The query string, as sent. */
  search: string;
  /** When it was answered (Date.now()). */
  at: number;
}

export const TENANT = '11111111-2222-3333-4444-555555555555';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const MANAGEMENT_SCOPE = 'https://manage.office.com/.default';
export const CLIENT_ID = 'reflex-test-client';
export const CLIENT_SECRET = 'fake-client-secret-for-tests';

/** Reflex's `entra` settings pointed at a fake at `url`: the test tenant and app (or another secret). */
export const entraSettingsFor = (url: string, clientSecret = CLIENT_SECRET) => ({
  tenantId: TENANT,
  clientId: CLIENT_ID,
  clientSecret,
  authorityHost: url,
  graphBaseUrl: url,
});

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
  /** False: the tenant has no Entra ID P1/P2, and sign-in logs answer 403 as Graph does. */
  signInLogsLicensed = true;
  /** Records per page of /auditLogs answers (small in tests, to exercise paging). */
  logPageSize = 1000;
  /** The query strings of /auditLogs requests. */
  readonly logQueries: string[] = [];
  readonly applications = new Map<string, FakeApplication>();
  /** keyCredentials PATCH bodies, as sent (to check a certificate kept is written back whole). */
  readonly keyCredentialWrites: Array<{ path: string; keyCredentials: unknown[] }> = [];
  readonly servicePrincipals = new Map<string, FakeServicePrincipal>();
  readonly grants: FakeGrant[] = [];
  /** App-role assignments: `principalId` holds the role on `resourceId`. */
  readonly assignments: FakeAssignment[] = [];
  readonly mailboxes = new Map<string, FakeMailbox>();
  readonly authMethods = new Map<string, FakeAuthMethod[]>();
  /** Items per page of the eviction collections (small in tests, to exercise paging). */
  collectionPageSize = 1000;
  /** Every secret text addPassword ever returned. */
  readonly issuedSecrets: string[] = [];
  readonly calls: RecordedCall[] = [];
  readonly tokensIssued: string[] = [];
  /** The scope each token was asked for. */
  readonly tokenScopes = new Map<string, string>();
  /** The Office 365 Management Activity API, on the same server and authority. */
  readonly feed = new ActivityFeedFake(() => this.url, TENANT);
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

  addApplication(displayName: string, existingSecrets = 1, certificates = 0): FakeApplication {
    const app: FakeApplication = {
      id: randomUUID(),
      appId: randomUUID(),
      displayName,
      passwordCredentials: [],
      keyCredentials: [],
    };
    for (let i = 0; i < existingSecrets; i++)
      app.passwordCredentials.push(this.newCredential(`original ${i + 1}`));
    for (let i = 0; i < certificates; i++) app.keyCredentials.push(this.certificate(`certificate ${i + 1}`));
    this.applications.set(app.id, app);
    return app;
  }

  /** The application's service principal in this tenant, with credentials of its own. */
  addAppServicePrincipal(app: FakeApplication, secrets = 0, certificates = 0): FakeServicePrincipal {
    return this.addServicePrincipal(app.displayName, {
      appId: app.appId,
      passwordCredentials: Array.from({ length: secrets }, (_, i) =>
        this.newCredential(`sp secret ${i + 1}`),
      ),
      keyCredentials: Array.from({ length: certificates }, (_, i) =>
        this.certificate(`sp certificate ${i + 1}`),
      ),
    });
  }

  certificate(displayName: string): FakeCertificate {
    return {
      keyId: randomUUID(),
      displayName,
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
      key: Buffer.from(`certificate ${randomUUID()}`).toString('base64'),
      endDateTime: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    };
  }

  addServicePrincipal(
    displayName: string,
    options: Partial<FakeServicePrincipal> = {},
  ): FakeServicePrincipal {
    const sp: FakeServicePrincipal = {
      id: randomUUID(),
      appId: randomUUID(),
      displayName,
      accountEnabled: true,
      appOwnerOrganizationId: randomUUID(),
      ...options,
    };
    this.servicePrincipals.set(sp.id, sp);
    return sp;
  }

  addGrant(grant: Omit<FakeGrant, 'id'>): FakeGrant {
    const full = { id: randomUUID().replace(/-/g, ''), ...grant };
    this.grants.push(full);
    return full;
  }

  addAssignment(assignment: Omit<FakeAssignment, 'id'>): FakeAssignment {
    const full = { id: randomUUID().replace(/-/g, ''), ...assignment };
    this.assignments.push(full);
    return full;
  }

  /** The user's mailbox, with Inbox, Deleted Items, Archive and RSS Feeds folders. */
  mailbox(user: FakeUser): FakeMailbox {
    let box = this.mailboxes.get(user.id);
    if (!box) {
      box = {
        folders: [
          { id: `inbox-${randomUUID()}`, displayName: 'Inbox', wellKnown: 'inbox' },
          { id: `deleted-${randomUUID()}`, displayName: 'Deleted Items', wellKnown: 'deleteditems' },
          { id: `archive-${randomUUID()}`, displayName: 'Archive', wellKnown: 'archive' },
          { id: `rss-${randomUUID()}`, displayName: 'RSS Feeds' },
          { id: `projects-${randomUUID()}`, displayName: 'Projects' },
        ],
        rules: [],
      };
      this.mailboxes.set(user.id, box);
    }
    return box;
  }

  folderId(user: FakeUser, displayName: string): string {
    return this.mailbox(user).folders.find((f) => f.displayName === displayName)!.id;
  }

  addRule(user: FakeUser, rule: Omit<FakeRule, 'id' | 'sequence' | 'isEnabled'>): FakeRule {
    const box = this.mailbox(user);
    const full = { id: `rule-${randomUUID()}`, sequence: box.rules.length + 1, isEnabled: true, ...rule };
    box.rules.push(full);
    return full;
  }

  addAuthMethod(user: FakeUser, method: Omit<FakeAuthMethod, 'id'>): FakeAuthMethod {
    const full = { id: randomUUID(), ...method };
    this.authMethods.set(user.id, [...(this.authMethods.get(user.id) ?? []), full]);
    return full;
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

  /** Forgets every fault not used up yet. */
  clearFaults(): void {
    this.faults.length = 0;
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
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const scopes = (token ? this.tokenScopes.get(token) : undefined)?.split(' ') ?? [];
    // Each API takes tokens for its own audience only, as Microsoft's do.
    const authorized = scopes.includes(GRAPH_SCOPE);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}, raw?: string) => {
      this.calls.push({
        method,
        path: url.pathname,
        body,
        authorized,
        status,
        search: url.search,
        at: Date.now(),
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(raw ?? (payload === undefined ? undefined : JSON.stringify(payload)));
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
      this.tokenScopes.set(token, form.get('scope') ?? '');
      return send(200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token });
    }

    // --- the Office 365 Management Activity API ---
    if (url.pathname.startsWith(`${this.feed.prefix}/`)) {
      return this.feed.handle(method, url, scopes.includes(MANAGEMENT_SCOPE), send);
    }

    // --- Microsoft Graph ---
    if (!url.pathname.startsWith('/v1.0/')) return send(404, { error: 'not found' });
    if (!authorized)
      return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    const live = (f: Fault) =>
      f.forMs !== undefined ? f.since === undefined || Date.now() - f.since < f.forMs : (f.times ?? 1) > 0;
    const fault = this.faults.find((f) => f.method === method && f.path.test(url.pathname) && live(f));
    if (fault) {
      if (fault.forMs !== undefined) fault.since ??= Date.now();
      else fault.times = (fault.times ?? 1) - 1;
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
    const eviction = this.eviction(method, path, url, body);
    if (eviction)
      return eviction.error ? graphError(...eviction.error) : send(eviction.status, eviction.payload);
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
          mail: user.userPrincipalName,
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
      // `createdDateTime ge <ISO>`, optionally after `userId eq '<id>' and ` (sign-ins of one account).
      const parts = new RegExp(`^(?:(userId|ipAddress) eq '([^']*)' and )?${field} ge (\\S+)$`).exec(filter);
      const since = parts?.[3];
      const only = parts?.[1] ? { field: parts[1], value: parts[2] } : undefined;
      if (filter && !since) return graphError(400, 'BadRequest', `unsupported filter ${filter}`);
      if (this.signInLogsLicensed === false && resource === 'signIns') {
        return graphError(
          403,
          'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
          "Neither tenant is B2C or tenant doesn't have premium license",
        );
      }
      const top = Math.min(Number(url.searchParams.get('$top') ?? 1000), this.logPageSize);
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const all = this[resource]
        .filter((r) => !since || String(r[field]) >= since)
        .filter((r) => !only || r[only.field] === only.value)
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
          appId: app.appId,
          ...this.credentialsView(app, url),
        });
      }
      if (!m[2] && method === 'PATCH') {
        const written = this.writeKeyCredentials(path, body);
        if (typeof written === 'string') return graphError(400, 'Request_BadRequest', written);
        app.keyCredentials = written;
        return send(204);
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

  /**
   * Credentials as Graph shows them: never a secret's text, and a certificate's key only when
   * keyCredentials is selected on a single object.
   */
  private credentialsView(
    owner: { passwordCredentials?: FakeCredential[]; keyCredentials?: FakeCertificate[] },
    single?: URL,
  ) {
    const withKey = single?.searchParams.get('$select')?.split(',').includes('keyCredentials') ?? false;
    return {
      passwordCredentials: (owner.passwordCredentials ?? []).map(
        ({ secretText: _hidden, ...visible }) => visible,
      ),
      keyCredentials: (owner.keyCredentials ?? []).map((k) => ({ ...k, key: withKey ? k.key : null })),
    };
  }

  /** A keyCredentials PATCH: the whole list, each certificate with its key (else Graph answers 400). */
  private writeKeyCredentials(path: string, body: unknown): FakeCertificate[] | string {
    const list = (body as { keyCredentials?: unknown }).keyCredentials;
    if (!Array.isArray(list)) return 'keyCredentials must be a list';
    this.keyCredentialWrites.push({ path, keyCredentials: list });
    for (const k of list as Array<Partial<FakeCertificate>>) {
      if (!k.key)
        return `Key credential ${k.keyId ?? '?'}: the key property is required to update keyCredentials.`;
    }
    return list as FakeCertificate[];
  }

  /** A page of `items` as Graph serves collections, with an absolute nextLink when more follow. */
  private page<T>(url: URL, items: T[]): { value: T[]; '@odata.nextLink'?: string } {
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const value = items.slice(skip, skip + this.collectionPageSize);
    if (skip + this.collectionPageSize >= items.length) return { value };
    const next = new URL(url.href);
    next.searchParams.set('$skiptoken', String(skip + this.collectionPageSize));
    return { value, '@odata.nextLink': `${this.url}${next.pathname}${next.search}` };
  }

  /** Service principals, grants, app-role assignments, inbox rules and authentication methods. */
  private eviction(
    method: string,
    path: string,
    url: URL,
    body: unknown,
  ):
    | { status: number; payload?: unknown; error?: undefined }
    | { error: [number, string, string]; status?: undefined; payload?: undefined }
    | undefined {
    const gone = {
      error: [404, 'Request_ResourceNotFound', 'Resource does not exist.'] as [number, string, string],
    };
    const ok = (status: number, payload?: unknown) => ({ status, payload });
    const filter = url.searchParams.get('$filter');
    let m: RegExpMatchArray | null;

    if (path === '/servicePrincipals' && method === 'GET') {
      const f = filter ? equalsFilter(filter) : undefined;
      if (filter && (!f || !['appId', 'displayName'].includes(f.field)))
        return { error: [400, 'BadRequest', `unsupported filter ${filter}`] };
      const all = [...this.servicePrincipals.values()]
        .filter((sp) => !f || sp[f.field as 'appId' | 'displayName'] === f.value)
        .map((sp) => ({ ...sp, ...this.credentialsView(sp) }));
      return ok(200, this.page(url, all));
    }
    if ((m = path.match(/^\/servicePrincipals\/([^/]+)$/))) {
      const sp = this.servicePrincipals.get(decodeURIComponent(m[1]!));
      if (!sp) return gone;
      if (method === 'GET') return ok(200, { ...sp, ...this.credentialsView(sp, url) });
      if (method === 'PATCH') {
        const patch = body as { accountEnabled?: boolean; keyCredentials?: unknown };
        if (patch.keyCredentials !== undefined) {
          const written = this.writeKeyCredentials(path, body);
          if (typeof written === 'string') return { error: [400, 'Request_BadRequest', written] };
          sp.keyCredentials = written;
        }
        if (patch.accountEnabled !== undefined) sp.accountEnabled = patch.accountEnabled;
        return ok(204);
      }
    }
    if ((m = path.match(/^\/servicePrincipals\/([^/]+)\/removePassword$/)) && method === 'POST') {
      const sp = this.servicePrincipals.get(decodeURIComponent(m[1]!));
      if (!sp) return gone;
      const keyId = (body as { keyId: string }).keyId;
      const index = (sp.passwordCredentials ?? []).findIndex((c) => c.keyId === keyId);
      if (index < 0)
        return { error: [404, 'Request_ResourceNotFound', 'No password credential with that keyId.'] };
      sp.passwordCredentials!.splice(index, 1);
      return ok(204);
    }
    if (
      (m = path.match(/^\/servicePrincipals\/([^/]+)\/(appRoleAssignments|appRoleAssignedTo)(?:\/([^/]+))?$/))
    ) {
      const spId = decodeURIComponent(m[1]!);
      if (!this.servicePrincipals.has(spId)) return gone;
      const side = m[2] === 'appRoleAssignments' ? 'principalId' : 'resourceId';
      const mine = this.assignments.filter((a) => a[side] === spId);
      if (!m[3] && method === 'GET') return ok(200, this.page(url, mine));
      if (!m[3] && method === 'POST') {
        const request = body as Omit<FakeAssignment, 'id' | 'principalType'>;
        if (request[side] !== spId)
          return { error: [400, 'BadRequest', 'the assignment is not of this service principal'] };
        if (
          this.assignments.some(
            (a) =>
              a.principalId === request.principalId &&
              a.resourceId === request.resourceId &&
              a.appRoleId === request.appRoleId,
          )
        )
          return {
            error: [409, 'Request_BadRequest', 'Permission being assigned already exists on the object'],
          };
        const principalType = this.servicePrincipals.has(request.principalId) ? 'ServicePrincipal' : 'User';
        return ok(201, this.addAssignment({ ...request, principalType }));
      }
      if (m[3] && method === 'DELETE') {
        const index = this.assignments.findIndex(
          (a) => a.id === decodeURIComponent(m![3]!) && a[side] === spId,
        );
        if (index < 0) return gone;
        this.assignments.splice(index, 1);
        return ok(204);
      }
    }
    if (path === '/oauth2PermissionGrants') {
      if (method === 'GET') {
        const f = filter ? equalsFilter(filter) : undefined;
        if (filter && f?.field !== 'clientId')
          return { error: [400, 'BadRequest', `unsupported filter ${filter}`] };
        return ok(
          200,
          this.page(
            url,
            this.grants.filter((g) => !f || g.clientId === f.value),
          ),
        );
      }
      if (method === 'POST') return ok(201, this.addGrant(body as Omit<FakeGrant, 'id'>));
    }
    if ((m = path.match(/^\/oauth2PermissionGrants\/([^/]+)$/)) && method === 'DELETE') {
      const index = this.grants.findIndex((g) => g.id === decodeURIComponent(m![1]!));
      if (index < 0) return gone;
      this.grants.splice(index, 1);
      return ok(204);
    }
    if ((m = path.match(/^\/users\/([^/]+)\/mailFolders(?:\/([^/]+))?(?:\/messageRules(?:\/([^/]+))?)?$/))) {
      const user = this.user(decodeURIComponent(m[1]!));
      if (!user) return gone;
      const box = this.mailbox(user);
      const folderRef = m[2] && decodeURIComponent(m[2]);
      const isRules = path.includes('/messageRules');
      if (!folderRef && method === 'GET')
        return ok(
          200,
          this.page(
            url,
            box.folders.map(({ wellKnown: _w, ...f }) => f),
          ),
        );
      const folder = box.folders.find((f) => f.wellKnown === folderRef?.toLowerCase() || f.id === folderRef);
      if (!folder)
        return {
          error: [404, 'ErrorFolderNotFound', 'The specified folder could not be found in the store.'],
        };
      if (!isRules && method === 'GET') return ok(200, { id: folder.id, displayName: folder.displayName });
      if (isRules && folder.wellKnown === 'inbox') {
        const ruleId = m[3] && decodeURIComponent(m[3]);
        if (!ruleId && method === 'GET') return ok(200, this.page(url, box.rules));
        if (!ruleId && method === 'POST') {
          const rule = body as Omit<FakeRule, 'id'>;
          return ok(
            201,
            this.addRule(user, {
              displayName: rule.displayName,
              conditions: rule.conditions,
              actions: rule.actions,
            }),
          );
        }
        if (ruleId && method === 'DELETE') {
          const index = box.rules.findIndex((r) => r.id === ruleId);
          if (index < 0)
            return { error: [404, 'ErrorItemNotFound', 'The specified object was not found in the store.'] };
          box.rules.splice(index, 1);
          return ok(204);
        }
      }
    }
    if ((m = path.match(/^\/users\/([^/]+)\/authentication\/(methods|\w+Methods)(?:\/([^/]+))?$/))) {
      const user = this.user(decodeURIComponent(m[1]!));
      if (!user) return gone;
      const methods = this.authMethods.get(user.id) ?? [];
      const password = {
        '@odata.type': '#microsoft.graph.passwordAuthenticationMethod',
        id: '28c10230-6103-485e-b985-444c60001490',
      };
      if (m[2] === 'methods' && !m[3] && method === 'GET')
        return ok(200, this.page(url, [password, ...methods]));
      if (m[2] !== 'methods' && m[3] && method === 'DELETE') {
        const type = METHOD_SEGMENTS[m[2]!];
        const index = methods.findIndex(
          (x) => x.id === decodeURIComponent(m![3]!) && x['@odata.type'] === type,
        );
        if (index < 0) return gone;
        methods.splice(index, 1);
        return ok(204);
      }
    }
    return undefined;
  }
}
