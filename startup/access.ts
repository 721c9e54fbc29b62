// Who may use the board and the API: the configured tokens, or on a one-machine start without any, a
// local admin token kept in the data directory. And the server secret that signs sessions and CSRF.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessToken, ReflexConfig } from '../config/schema';
import type { Mode } from '../config/checks';
import type { Contacts } from '../workflows/model/incident';

export interface AccessSetup {
  tokens: AccessToken[];
  /** Where the local admin token is kept, when one was made. */
  demoTokenFile?: string;
  /** Signs session cookies and CSRF tokens. */
  secret: string;
}

export function setUpAccess(
  config: ReflexConfig,
  mode: Mode,
  dataDir: string,
  contacts: Contacts,
): AccessSetup {
  const secret = config.server.secret ?? persistentSecret(join(dataDir, 'server.secret'));
  if (mode !== 'start' || config.access.tokens.length > 0) return { tokens: config.access.tokens, secret };
  const demoTokenFile = join(dataDir, 'admin.token');
  return {
    tokens: [
      {
        name: 'local-admin',
        role: 'admin',
        email: contacts.onCall[0],
        token: persistentSecret(demoTokenFile),
      },
    ],
    demoTokenFile,
    secret,
  };
}

/** A random secret made once and kept in `file` (mode 0600). */
export function persistentSecret(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
