// Verifies that a webhook came from the configured sender. Every comparison is constant-time.
import { timingSafeEqual, createHash } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { SourceAuth } from '../../server/config/schema';

/** Why a delivery was refused; safe to show the sender (never contains a secret). */
export class AuthError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthError';
  }
}

export interface VerifiedDelivery {
  /** The sender's delivery id when the scheme carries one (Standard Webhooks' `webhook-id`). */
  deliveryId?: string;
  /** Which of the configured secrets matched (0 or 1), for rotation monitoring. */
  secretIndex: number;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Verifies `rawBody` and `headers` against the source's scheme, or throws {@link AuthError}. */
export function verifyDelivery(auth: SourceAuth, rawBody: Buffer, headers: Headers): VerifiedDelivery {
  switch (auth.scheme) {
    case 'standard-webhooks':
      return verifyStandardWebhook(auth.secrets, rawBody, headers);
    case 'bearer':
      return verifyBearer(auth.secrets, headers);
  }
}

function verifyStandardWebhook(
  secrets: readonly string[],
  rawBody: Buffer,
  headers: Headers,
): VerifiedDelivery {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) {
    throw new AuthError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  let lastReason = 'no matching signature';
  for (const [index, secret] of secrets.entries()) {
    try {
      new Webhook(secret).verify(
        rawBody,
        {
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': signature,
        },
        // Verify only: the body is parsed later, so malformed JSON gets its own 400.
        { jsonParse: false },
      );
      return { deliveryId: id, secretIndex: index };
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      // The library's messages name the failure (timestamp too old, no matching signature), never the secret.
      lastReason = err.message.toLowerCase();
      if (lastReason.includes('timestamp')) break;
    }
  }
  throw new AuthError(lastReason);
}

function verifyBearer(secrets: readonly string[], headers: Headers): VerifiedDelivery {
  const value = header(headers, 'authorization');
  const match = value?.match(/^Bearer (.+)$/);
  if (!match?.[1]) throw new AuthError('missing Authorization: Bearer header');
  const index = secrets.findIndex((secret) => constantTimeEqual(match[1]!, secret));
  if (index < 0) throw new AuthError('wrong bearer token');
  return { secretIndex: index };
}

/** Compares two strings in time independent of where they differ (hashing equalises lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
