// Starts Reflex in-process against the run's real Temporal dev server, with a real loopback SMTP
// catcher and a captured log, on ephemeral ports.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import type { z } from 'zod';
import { configSchema } from '../../config/schema';
import type { sourceSchema } from '../../triggers/source';
import { createLogger } from '../../common/logger';
import { runReflex, type Reflex } from '../../startup/run';
import { entraSettingsFor } from '../fakes/entra-fake';

/** Test-only secrets (never used outside test/). */
export const TEST_SECRET = 'whsec_dGVzdC1zZWNyZXQtZm9yLXJlZmxleC10ZXN0cy0wMDE=';
export const ROTATED_SECRET = 'whsec_cm90YXRlZC1zZWNyZXQtZm9yLXJlZmxleC10ZXN0cy0y';
export const BEARER_SECRET = 'bearer-test-token-0123456789abcdef';

/** Access tokens of the test installation, one per role. */
export const TOKENS = {
  board: 'board-token-for-tests-0123456789abcdef',
  responder: 'responder-token-for-tests-0123456789ab',
  admin: 'admin-token-for-tests-0123456789abcdef',
} as const;
export type TestRole = keyof typeof TOKENS;

/** The Authorization header of a test token (default: responder). */
export const auth = (role: TestRole = 'responder') => ({ authorization: `Bearer ${TOKENS[role]}` });

export const TEST_ACCESS_TOKENS = [
  { name: 'board-member', role: 'board', token: TOKENS.board },
  { name: 'responder', role: 'responder', email: 'oncall@museum.example', token: TOKENS.responder },
  // Held as a hash only, as `reflex tokens new` suggests.
  { name: 'admin', role: 'admin', sha256: createHash('sha256').update(TOKENS.admin).digest('hex') },
];

export const TEST_SOURCES: z.input<typeof sourceSchema>[] = [
  {
    name: 'siem',
    format: 'generic',
    auth: { scheme: 'standard-webhooks', secrets: [TEST_SECRET, ROTATED_SECRET] },
  },
  { name: 'tokened', format: 'generic', auth: { scheme: 'bearer', secrets: [BEARER_SECRET] } },
];

export interface TestReflex extends Reflex {
  url: string;
  /** Its data directory. */
  dataDir: string;
  /** This instance's own task queue (each test file has one). */
  taskQueue: string;
  /** Every log line so far, as one string. */
  logs(): string;
}

export async function startTestReflex(
  overrides: {
    database?: 'embedded' | 'postgres';
    databaseUrl?: string;
    playbooksDir?: string;
    temporalAddress?: string;
    /** Point Entra ID at a local fake (its base URL). */
    entraUrl?: string;
    contacts?: Record<string, unknown>;
    /** Reuse a task queue (a restarted Reflex picks up its running incidents). */
    taskQueue?: string;
    /** `server`: no worker in this process (a test brings its own). @default 'start' */
    mode?: 'start' | 'server';
    /** Extra configuration merged over the test defaults. */
    extra?: Record<string, unknown>;
  } = {},
): Promise<TestReflex> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const config = configSchema.parse({
    dataDir: mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'reflex-')),
    // The readiness check's own runs would add Graph calls that tests count; GET /api/readiness runs it.
    server: { port: 0, maxBodyBytes: 64 * 1024, readinessCheckMinutes: 0 },
    temporal: {
      address: overrides.temporalAddress ?? process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
      taskQueue: overrides.taskQueue ?? `test-${randomUUID()}`,
    },
    database: {
      url:
        overrides.databaseUrl ??
        (overrides.database === 'postgres' ? process.env.REFLEX_TEST_DATABASE_URL : undefined),
    },
    mail: { demoMailbox: { smtpPort: 0 } },
    contacts: overrides.contacts ?? { onCall: ['oncall@museum.example'], dpo: 'dpo@museum.example' },
    organisation: { name: 'Museum Example' },
    entra: overrides.entraUrl ? entraSettingsFor(overrides.entraUrl) : {},
    sources: TEST_SOURCES,
    // The tests try many tokens and links from one address; the limits have tests of their own.
    access: {
      tokens: TEST_ACCESS_TOKENS,
      attemptsPerMinute: { failedTokens: 10_000, signIns: 10_000, approvalLinks: 10_000 },
    },
    // The tests' stand-ins (secret stores, CRMs) listen on this machine.
    outbound: { allowLoopback: true },
    // A test's own folder of playbooks runs instead of the shipped library.
    ...(overrides.playbooksDir && { playbooks: { shipped: false, dirs: [overrides.playbooksDir] } }),
    ...overrides.extra,
  });
  const reflex = await runReflex({
    mode: overrides.mode ?? 'start',
    config,
    log: createLogger({ level: 'debug', destination }),
    workflowBundle: { codePath: process.env.REFLEX_TEST_BUNDLE! },
  });
  return Object.assign(reflex, {
    url: reflex.url!,
    dataDir: config.dataDir,
    taskQueue: config.temporal.taskQueue,
    logs: () => lines.join(''),
  });
}

export interface AlertBody {
  id: string;
  type?: string;
  title?: string;
  severity?: string;
  entities?: Record<string, string[]>;
  [key: string]: unknown;
}

export function alertBody(overrides: Partial<AlertBody> = {}): AlertBody {
  return {
    id: `alert-${randomUUID()}`,
    type: 'risky-sign-in',
    title: 'Risky sign-in for a CRM user',
    severity: 'high',
    entities: { users: ['anna@museum.example'], ips: ['198.51.100.7'] },
    ...overrides,
  };
}

/** Standard Webhooks headers for `body`, signed with `secret` at `at`. */
export function signedHeaders(
  body: string,
  {
    secret = TEST_SECRET,
    id = randomUUID() as string,
    at = new Date(),
  }: { secret?: string; id?: string; at?: Date } = {},
) {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

/** POSTs a signed alert to `/hooks/{source}` and returns status and parsed body. */
export async function postSigned(
  baseUrl: string,
  body: unknown,
  options: { source?: string; secret?: string; id?: string; at?: Date } = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${baseUrl}/hooks/${options.source ?? 'siem'}`, {
    method: 'POST',
    headers: signedHeaders(text, options),
    body: text,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
