// Starts the local OpenID provider (test/fakes/oidc-provider.mjs, the certified oidc-provider package)
// in its own process, and signs in through its development login pages in Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export interface OidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

export interface ProviderOptions {
  port: number;
  clients: Array<{ client_id: string; client_secret: string; redirect_uris: string[] }>;
  accounts: Record<string, { email?: string; preferred_username?: string; name?: string; groups?: string[] }>;
  /** How far behind the provider's clock runs. */
  skewSeconds?: number;
  /** How long its ID tokens last. */
  idTokenTtlSeconds?: number;
}

export async function startProvider(options: ProviderOptions): Promise<OidcProvider> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '../fakes/oidc-provider.mjs')], {
    env: {
      ...process.env,
      OIDC_PORT: String(options.port),
      OIDC_CLIENTS: JSON.stringify(options.clients),
      OIDC_ACCOUNTS: JSON.stringify(options.accounts),
      SKEW_SECONDS: String(options.skewSeconds ?? 0),
      ...(options.idTokenTtlSeconds && { ID_TOKEN_TTL: String(options.idTokenTtlSeconds) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const issuer = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) done((JSON.parse(line) as { issuer: string }).issuer);
    });
    child.once('exit', (code) => fail(new Error(`the OpenID provider exited (${code}): ${stderr}`)));
  });
  return {
    issuer,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** On the provider's login page: signs in as `login`, and consents when asked. */
export async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.waitForSelector('input[name="login"]');
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  // The consent page comes next on a first sign-in.
  const consent = page.locator('button:has-text("Continue")');
  if ((await consent.count()) > 0) await Promise.all([page.waitForNavigation(), consent.click()]);
}
