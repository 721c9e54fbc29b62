// `reflex tokens new`: a random access token, shown once, and the config entry that keeps only its hash.
import { createHash, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { accessTokenSchema } from '../../config/schema';
import { ROLES } from '../../server/roles';
import type { Output } from './playbooks';

/** A random token, and the configuration entry that keeps only its SHA-256. */
export function makeToken(name: string, role: string, email?: string) {
  const token = randomBytes(32).toString('base64url');
  const entry = {
    name,
    role,
    ...(email ? { email } : {}),
    sha256: createHash('sha256').update(token).digest('hex'),
  };
  return { token, entry };
}

export function tokensCommand(
  sub: string | undefined,
  flags: { name?: string; role?: string; email?: string },
  io: Output,
): number {
  if (sub !== 'new' || !flags.name || !flags.role) {
    io.err(`usage: reflex tokens new --name NAME --role ${ROLES.join('|')} [--email EMAIL]`);
    return 2;
  }
  const { token, entry } = makeToken(flags.name, flags.role, flags.email);
  const parsed = accessTokenSchema.safeParse(entry);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      io.err(`reflex tokens new: --${issue.path.join('.')}: ${issue.message}`);
    return 2;
  }
  io.out(`Token (shown once; give it to ${flags.name}):\n  ${token}\n`);
  io.out('Add to reflex.yaml under access.tokens:');
  io.out(stringify([entry]).replace(/^/gm, '  '));
  return 0;
}
