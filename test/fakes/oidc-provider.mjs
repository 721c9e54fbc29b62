// A real OpenID provider for the sign-in tests: the certified `oidc-provider` package, configured like
// Entra ID (an HTTPS issuer, confidential clients, PKCE required, `email`, `preferred_username`, `name`
// and `groups` in the ID token), with its development login pages. Runs in its own process so that
// SKEW_SECONDS can put its clock back (the expired-token test) without touching the test's.
//   OIDC_PORT     port on 127.0.0.1 (0: any; the issuer is printed as {"issuer": …} on stdout)
//   OIDC_CLIENTS  JSON: [{ client_id, client_secret, redirect_uris }]
//   OIDC_ACCOUNTS JSON: { <login>: { email, name, groups } }
//   SKEW_SECONDS  how far behind the provider's clock runs
//   ID_TOKEN_TTL  seconds an ID token lasts (default the provider's: an hour)
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const skew = Number(process.env.SKEW_SECONDS ?? 0) * 1000;
if (skew) {
  const real = Date.now;
  Date.now = () => real() - skew;
}
const tls = join(import.meta.dirname, '..', 'fixtures', 'tls');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]').map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}));

let handle = (_req, res) => res.writeHead(503).end();
const server = createServer(
  { key: readFileSync(join(tls, 'localhost.key')), cert: readFileSync(join(tls, 'localhost.pem')) },
  (req, res) => handle(req, res),
);
server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', () => {
  const issuer = `https://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    pkce: { required: () => true },
    // Entra puts these in the ID token itself.
    claims: { openid: ['sub', 'email', 'preferred_username', 'name', 'groups'] },
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) =>
      accounts[sub] ? { accountId: sub, claims: () => ({ sub, ...accounts[sub] }) } : undefined,
    cookies: { keys: ['test-only-oidc-cookie-key'] },
    ...(process.env.ID_TOKEN_TTL && { ttl: { IdToken: Number(process.env.ID_TOKEN_TTL) } }),
    features: { devInteractions: { enabled: true } },
  });
  // Its own warnings about development keys and interactions are expected here.
  provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider: ${err.stack}\n`));
  handle = provider.callback();
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
