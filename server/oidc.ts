// Sign in with Microsoft: OpenID Connect's authorization code flow with PKCE, through openid-client
// (discovery, the provider's keys, the ID token's issuer, audience, expiry and nonce all checked by
// the library). The flow's state, nonce and PKCE verifier travel in a short-lived cookie signed by
// the server secret, so any server process can finish a sign-in another began. The person gets the
// highest role their Entra groups or address give them; someone with none is refused. The identity is
// kept in the session and its role worked out again on every request, so a change to the roles in
// the configuration takes effect at once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Configuration } from 'openid-client' with { 'resolution-mode': 'import' };
import type { Role } from './roles';

/** Who signed in, as the ID token says. */
export interface Identity {
  /** The provider's subject (Entra: the user's id in the app). */
  sub: string;
  /** `email`, else `preferred_username` (Entra: the UPN), lowercase. */
  email?: string;
  name?: string;
  /** Entra group object ids (the `groups` claim). */
  groups: string[];
}

/** What must come back with the provider's redirect, kept in the signed cookie. */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  /** Milliseconds since the epoch after which the cookie is refused. */
  until: number;
}

/** A sign-in refused: the reason is for the log (never a token), the page says less. */
export class SignInRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SignInRefused';
  }
}

export const OIDC_COOKIE = 'reflex-oidc';
const PENDING_MS = 10 * 60_000;

/** Who has a role: members of these groups (Entra object ids), or these addresses. */
export interface OidcRole {
  groups: string[];
  emails: string[];
}
export type OidcRoles = Record<Role, OidcRole>;

/** access.oidc, with the issuer worked out. */
export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The sign-in button's words. */
  label: string;
  roles: OidcRoles;
}

/** The highest role `identity` has under `roles`, or undefined. */
export function roleFor(identity: Identity, roles: OidcRoles): Role | undefined {
  for (const role of ['admin', 'responder', 'board'] as const) {
    const r = roles[role];
    if (identity.email && r.emails.some((e) => e.toLowerCase() === identity.email)) return role;
    if (identity.groups.some((g) => r.groups.includes(g))) return role;
  }
  return undefined;
}

// openid-client is an ES module; Reflex's CommonJS loads it with import() when it is first needed.
type Client = Awaited<ReturnType<typeof loadClient>>;
const loadClient = () => import('openid-client');

export class OidcSignIn {
  private configuration?: Promise<{ client: Client; config: Configuration }>;

  constructor(
    private readonly options: OidcOptions,
    /** Where the provider sends people back: <publicUrl>/login/oidc/callback. */
    readonly redirectUri: string,
    /** Signs the pending-flow cookie. */
    private readonly secret: string,
  ) {}

  get label(): string {
    return this.options.label;
  }

  /** Discovery once (and again after a failure, so a provider outage at start is not fatal). */
  private discovered() {
    this.configuration ??= (async () => {
      const client = await loadClient();
      const config = await client.discovery(
        new URL(this.options.issuer),
        this.options.clientId,
        this.options.clientSecret,
      );
      return { client, config };
    })();
    this.configuration.catch(() => (this.configuration = undefined));
    return this.configuration;
  }

  /** Where to send the person, and the cookie that must come back with them. */
  async begin(next: string): Promise<{ url: string; cookie: string }> {
    const { client, config } = await this.discovered();
    const pending: Pending = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      next,
      until: Date.now() + PENDING_MS,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile email',
      response_type: 'code',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, cookie: this.seal(pending) };
  }

  /**
   * Finishes the flow from the provider's redirect: the code exchanged (with the PKCE verifier), the
   * ID token checked (issuer, audience, expiry, nonce) and read.
   */
  async finish(callbackUrl: URL, cookie: string | undefined): Promise<{ identity: Identity; next: string }> {
    const pending = this.open(cookie);
    const { client, config } = await this.discovered();
    let tokens;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      // openid-client's own message is general; the check that failed is in its cause.
      const e = err as { code?: string; error?: string; message: string; cause?: { message?: string } };
      const detail = e.cause?.message ? `${e.message}: ${e.cause.message}` : e.message;
      throw new SignInRefused(
        `the provider's answer was refused: ${e.error ?? e.code ?? ''} ${detail}`.trim(),
      );
    }
    const claims = tokens.claims();
    if (!claims) throw new SignInRefused('no ID token in the answer');
    const address = [claims.email, claims.preferred_username].find(
      (v): v is string => typeof v === 'string' && v.includes('@'),
    );
    const groups = Array.isArray(claims.groups)
      ? claims.groups.filter((g): g is string => typeof g === 'string')
      : [];
    return {
      identity: {
        sub: claims.sub,
        email: address?.toLowerCase(),
        name: typeof claims.name === 'string' ? claims.name : undefined,
        groups,
      },
      next: pending.next,
    };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(`oidc:${payload}`).digest();
  }

  private seal(pending: Pending): string {
    const payload = Buffer.from(JSON.stringify(pending)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  private open(cookie: string | undefined): Pending {
    const [payload, mac] = (cookie ?? '').split('.');
    if (!payload || !mac)
      throw new SignInRefused('no sign-in was started in this browser (or it took over 10 minutes)');
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SignInRefused('the sign-in cookie was altered');
    }
    const pending = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Pending;
    if (pending.until < Date.now()) throw new SignInRefused('the sign-in took over 10 minutes');
    return pending;
  }
}
