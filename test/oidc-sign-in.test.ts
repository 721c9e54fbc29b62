// Sign in with Microsoft (issue 15, item 3), against a real OpenID provider started locally (the
// certified oidc-provider package, configured like Entra ID: an HTTPS issuer, PKCE required, a
// `groups` claim) and driven in Chromium: discovery, the provider's keys, the code flow with PKCE, roles
// from groups or addresses, a signed-in responder approving as themselves — and every refusal (a code
// issued to another application, an expired ID token, a forged state, an altered cookie, an account
// without a role) refused, logged and changing nothing.
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { started, useReflex } from './helpers/bootstrap';
import { launchBrowser, ARTIFACTS } from './helpers/browser';
import { freePort } from './helpers/ports';
import { signInAtProvider, startProvider, type OidcProvider } from './helpers/oidc';
import { alertBody, postSigned } from './helpers/reflex';
import { step, waitForState } from './helpers/incidents';

const CLIENT_SECRET = 'reflex-client-secret-0123456789abcdef';
const ACCOUNTS = {
  anna: { email: 'anna@museum.example', name: 'Anna de Vries', groups: ['grp-oncall', 'grp-staff'] },
  // Entra's UPN, without an `email` claim: the board member by address.
  bert: { preferred_username: 'bert@museum.example', name: 'Bert Board', groups: ['grp-staff'] },
  carl: { email: 'carl@museum.example', name: 'Carl Nobody', groups: ['grp-staff'] },
};

const providerPort = started(
  async () => ({ port: await freePort() }),
  () => Promise.resolve(),
);
const reflex = useReflex(() => ({
  playbooksDir: join(__dirname, 'fixtures/playbooks-chat'),
  contacts: { onCall: ['anna@museum.example'], dpo: 'dpo@museum.example' },
  extra: {
    access: {
      tokens: [],
      attemptsPerMinute: { failedTokens: 10_000, signIns: 10_000, approvalLinks: 10_000 },
      oidc: {
        issuer: `https://127.0.0.1:${providerPort.port}`,
        clientId: 'reflex',
        clientSecret: CLIENT_SECRET,
        roles: { responder: { groups: ['grp-oncall'] }, board: { emails: ['bert@museum.example'] } },
      },
    },
  },
}));

let provider: OidcProvider;
const startAt = (skewSeconds = 0, idTokenTtlSeconds?: number) =>
  startProvider({
    port: providerPort.port,
    skewSeconds,
    idTokenTtlSeconds,
    accounts: ACCOUNTS,
    clients: [
      {
        client_id: 'reflex',
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${reflex.url}/login/oidc/callback`],
      },
      // Another application of the same tenant.
      {
        client_id: 'other-app',
        client_secret: 'other-secret-0123456789',
        redirect_uris: [`${reflex.url}/login/oidc/callback`],
      },
    ],
  });
beforeAll(async () => {
  provider = await startAt();
});
afterAll(async () => {
  await provider?.stop();
});

const browser: Browser = started(launchBrowser, (b) => b.close());
let context: BrowserContext;
beforeEach(async () => {
  context = await browser.newContext({ ignoreHTTPSErrors: true }); // the provider's test certificate
});
afterEach(async () => {
  await context.close();
});
const sessionCookie = async () =>
  (await context.cookies(reflex.url)).find((c) => c.name === 'reflex-session');

/** From Reflex's sign-in page, through the provider, back to Reflex. */
async function signIn(login: string, next = '/board') {
  const page = await context.newPage();
  await page.goto(`${reflex.url}/login?next=${encodeURIComponent(next)}`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Sign in with Microsoft")')]);
  expect(page.url().startsWith(provider.issuer)).toBe(true);
  // PKCE and a nonce went along (the provider refuses a flow without PKCE).
  await signInAtProvider(page, login);
  return page;
}

test('a responder signs in with Microsoft in the browser: discovery, code flow with PKCE, role from a group', async () => {
  const page = await signIn('anna', '/approvals');
  await page.waitForURL(`${reflex.url}/approvals`);
  expect(await page.locator('h1').textContent()).toBe('Pending approvals');
  await page.screenshot({ path: join(ARTIFACTS, 'oidc-signed-in.png') });
  const cookie = await sessionCookie();
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  expect(reflex.logs()).toMatch(
    /"email":"anna@museum\.example","role":"responder".*"msg":"signed in with Microsoft"/,
  );
});

test('a board member by address (Entra UPN) reads the board but may not approve', async () => {
  const page = await signIn('bert');
  await page.waitForURL(`${reflex.url}/board`);
  const approvals = await page.goto(`${reflex.url}/approvals`);
  expect(approvals!.status()).toBe(403);
});

test('an account in no role’s group is refused, logged, and gets no session', async () => {
  const page = await signIn('carl');
  expect(page.url()).toBe(`${reflex.url}/login/oidc/callback?${new URL(page.url()).searchParams}`);
  expect(await page.locator('.error').textContent()).toBe(
    'carl@museum.example has no role in Reflex. Ask whoever runs Reflex to add you (access.oidc.roles).',
  );
  expect(await sessionCookie()).toBeUndefined();
  expect(reflex.logs()).toContain('sign-in with Microsoft: the account has no role');
});

test('a code issued to another application is refused at the exchange; nothing changes', async () => {
  // Reflex starts a sign-in (its state, nonce and PKCE in the cookie) …
  const begun = await fetch(`${reflex.url}/login/oidc?next=/board`, { redirect: 'manual' });
  const oidcCookie = begun.headers.get('set-cookie')!.split(';')[0]!.split('=');
  const authorize = new URL(begun.headers.get('location')!);
  // … and the browser is given a code minted for another application, with Reflex's state.
  authorize.searchParams.set('client_id', 'other-app');
  await context.addCookies([
    { name: oidcCookie[0]!, value: oidcCookie.slice(1).join('='), url: `${reflex.url}/login/oidc/callback` },
  ]);
  const page = await context.newPage();
  await page.goto(authorize.href);
  await signInAtProvider(page, 'anna');
  await page.waitForURL(/\/login\/oidc\/callback/);
  expect(await page.locator('.error').textContent()).toBe(
    'The sign-in was refused. Try again from this page.',
  );
  expect(await sessionCookie()).toBeUndefined();
  expect(reflex.logs()).toMatch(
    /"reason":"the provider's answer was refused: invalid_grant[^"]*".*sign-in with Microsoft refused/,
  );
});

test('a forged state, or an altered sign-in cookie, is refused before anything is exchanged', async () => {
  const begun = await fetch(`${reflex.url}/login/oidc`, { redirect: 'manual' });
  const cookie = begun.headers.get('set-cookie')!.split(';')[0]!;
  const iss = encodeURIComponent(provider.issuer);
  const forgedState = await fetch(
    `${reflex.url}/login/oidc/callback?code=abc&state=forged-state&iss=${iss}`,
    {
      headers: { cookie },
      redirect: 'manual',
    },
  );
  expect(forgedState.status).toBe(403);
  expect(forgedState.headers.get('set-cookie') ?? '').not.toContain('reflex-session=');
  // Its payload (state, nonce, verifier) changed: the signature no longer fits.
  const [name, value] = cookie.split('=') as [string, string];
  const [payload, mac] = value.split('.') as [string, string];
  const pending = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { nonce: string };
  pending.nonce = 'attacker-nonce';
  const altered = `${name}=${Buffer.from(JSON.stringify(pending)).toString('base64url')}.${mac}`;
  const state = new URL(begun.headers.get('location')!).searchParams.get('state');
  const alteredAnswer = await fetch(`${reflex.url}/login/oidc/callback?code=abc&state=${state}&iss=${iss}`, {
    headers: { cookie: altered },
    redirect: 'manual',
  });
  expect(alteredAnswer.status).toBe(403);
  expect(reflex.logs()).toContain('"reason":"the sign-in cookie was altered"');
  expect(reflex.logs()).toContain('unexpected \\"state\\" response parameter value');
});

test('a signed-in responder approves a step as themselves', async () => {
  const response = await postSigned(
    reflex.url,
    alertBody({
      type: 'chat-test',
      title: 'Mass export from the CRM',
      entities: { users: ['eva@museum.example'] },
    }),
  );
  const id = response.body.incidentId as string;
  await waitForState(reflex.gateway, id, (s) => step(s, 'block-in-crm').status === 'awaiting-approval');
  const page = await signIn('anna', `/approvals/${id}/block-in-crm`);
  await page.waitForURL(`${reflex.url}/approvals/${id}/block-in-crm`);
  expect(await page.locator('dd').filter({ hasText: 'You (' }).textContent()).toBe(
    'You (anna@museum.example)',
  );
  await Promise.all([page.waitForNavigation(), page.click('button.approve')]);
  expect(await page.locator('h1').textContent()).toBe('You approved');
  const done = await waitForState(reflex.gateway, id, (s) => step(s, 'block-in-crm').status === 'succeeded');
  expect(step(done, 'block-in-crm').approval!.decisions).toEqual([
    expect.objectContaining({ approver: 'anna@museum.example', decision: 'approve' }),
  ]);
});

test('an expired ID token is refused (a minute-long token from a provider two and a half minutes behind)', async () => {
  // Its login cookies (an hour) still live in the browser; its ID token expired 90 s ago.
  await provider.stop();
  provider = await startAt(150, 60);
  const page = await signIn('anna');
  await page.waitForURL(/\/login\/oidc\/callback/);
  expect(await page.locator('.error').textContent()).toBe(
    'The sign-in was refused. Try again from this page.',
  );
  expect(await sessionCookie()).toBeUndefined();
  expect(reflex.logs()).toMatch(/"reason":"the provider's answer was refused: [^"]*exp[^"]*"/);
});
