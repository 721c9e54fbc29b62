// The `demo` webhook source of `reflex start --demo`: a Standard Webhooks source whose secret is made
// once and kept in the data directory, and whose alerts are drills.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceConfig } from '../config/schema';

export function demoSource(dataDir: string): SourceConfig {
  const secretFile = join(dataDir, 'demo-source.secret');
  if (!existsSync(secretFile)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(secretFile, `whsec_${randomBytes(24).toString('base64')}\n`, { mode: 0o600 });
  }
  return {
    name: 'demo',
    format: 'generic',
    auth: { scheme: 'standard-webhooks', secrets: [readFileSync(secretFile, 'utf8').trim()] },
    ratePerMinute: 3000,
    // The demo shows an incident end to end without touching any real account.
    drill: true,
  };
}
