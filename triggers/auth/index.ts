// Verifies that a webhook came from the configured sender. Every comparison is constant-time, every
// scheme takes two secrets at once (rotation without downtime), and no reason ever names a secret.
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { SourceAuth } from '../source';
import { AuthError } from '../../common/errors';

export interface VerifiedDelivery {
  /** The sender's delivery id when the scheme carries one: replays of it are refused. */
  deliveryId?: string;
  /** Which of the configured secrets matched (0 or 1), for rotation monitoring. */
  secretIndex: number;
}

export type Headers = Record<string, string | string[] | undefined>;

/** How far a signed timestamp may be from now. */
export const TOLERANCE_SECONDS = 5 * 60;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface DeliveryCredentials {
  rawBody: Buffer;
  headers: Headers;
  /** The secret from `POST /hooks/{source}/{secret}`, for senders that cannot send headers. */
  urlSecret?: string;
  now?: Date;
}

/** Verifies a delivery against the source's scheme, or throws {@link AuthError}. */
export function verifyDelivery(auth: SourceAuth, delivery: DeliveryCredentials): VerifiedDelivery {
  const { rawBody, headers, urlSecret } = delivery;
  const now = delivery.now ?? new Date();
  if (auth.scheme === 'url-secret') {
    if (!urlSecret) throw new AuthError('missing secret in the URL (POST /hooks/{source}/{secret})');
    return {
      secretIndex: matchIndex(auth.secrets, (s) => constantTimeEqual(urlSecret, s), 'wrong URL secret'),
    };
  }
  if (urlSecret !== undefined) throw new AuthError('this source does not take a secret in the URL');
  switch (auth.scheme) {
    case 'standard-webhooks':
      return verifyStandardWebhook(auth.secrets, rawBody, headers, now);
    case 'bearer': {
      const match = header(headers, 'authorization')?.match(/^Bearer (.+)$/);
      if (!match?.[1]) throw new AuthError('missing Authorization: Bearer header');
      return {
        secretIndex: matchIndex(auth.secrets, (s) => constantTimeEqual(match[1]!, s), 'wrong bearer token'),
      };
    }
    case 'header': {
      const value = header(headers, auth.header);
      if (!value) throw new AuthError(`missing ${auth.header} header`);
      return {
        secretIndex: matchIndex(
          auth.secrets,
          (s) => constantTimeEqual(value, s),
          `wrong ${auth.header} value`,
        ),
      };
    }
    case 'github': {
      const signature = header(headers, 'x-hub-signature-256');
      if (!signature) throw new AuthError('missing X-Hub-Signature-256 header');
      const given = /^sha256=([0-9a-f]{64})$/i.exec(signature)?.[1];
      if (!given) throw new AuthError('X-Hub-Signature-256 is not sha256=<64 hex digits>');
      const secretIndex = matchIndex(
        auth.secrets,
        (s) => hexEqual(given, hmacHex(s, rawBody)),
        'no matching signature',
      );
      // The signature is the delivery id: X-GitHub-Delivery is not signed, so a captured delivery sent
      // again under a new one would otherwise be taken for a new delivery.
      return { secretIndex, deliveryId: `hmac:${given.toLowerCase()}` };
    }
    case 'grafana-hmac': {
      const signature = header(headers, auth.header);
      if (!signature) throw new AuthError(`missing ${auth.header} header`);
      const given = /^(?:sha256=)?([0-9a-f]{64})$/i.exec(signature)?.[1];
      if (!given) throw new AuthError(`${auth.header} is not a hex HMAC-SHA256`);
      let signed: Buffer = rawBody;
      if (auth.timestampHeader) {
        const timestamp = header(headers, auth.timestampHeader);
        if (!timestamp) throw new AuthError(`missing ${auth.timestampHeader} header`);
        checkTimestamp(timestamp, now);
        signed = Buffer.concat([Buffer.from(`${timestamp}:`), rawBody]);
      }
      const secretIndex = matchIndex(
        auth.secrets,
        (s) => hexEqual(given, hmacHex(s, signed)),
        'no matching signature',
      );
      // The signature identifies the delivery: a replay of it is refused. (With a timestamp header, a
      // captured delivery is also refused once it is older than ±5 minutes; SOURCES.md recommends one.)
      return { secretIndex, deliveryId: `hmac:${given.toLowerCase()}` };
    }
  }
}

function verifyStandardWebhook(
  secrets: readonly string[],
  rawBody: Buffer,
  headers: Headers,
  now: Date,
): VerifiedDelivery {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) {
    throw new AuthError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  // Checked here too, so a stale delivery is refused before any signature work, with one clear reason.
  checkTimestamp(timestamp, now);
  let lastReason = 'no matching signature';
  for (const [index, secret] of secrets.entries()) {
    try {
      new Webhook(secret).verify(
        rawBody,
        { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
        // Verify only: the body is parsed later, so malformed JSON gets its own 400.
        { jsonParse: false },
      );
      return { deliveryId: id, secretIndex: index };
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      // The library's messages name the failure, never the secret.
      lastReason = err.message.toLowerCase();
    }
  }
  throw new AuthError(lastReason);
}

function checkTimestamp(value: string, now: Date): void {
  if (!/^\d{1,13}$/.test(value)) throw new AuthError('the timestamp header is not Unix seconds');
  const seconds = value.length > 11 ? Number(value) / 1000 : Number(value);
  if (Math.abs(now.getTime() / 1000 - seconds) > TOLERANCE_SECONDS) {
    throw new AuthError('timestamp outside the ±5 minute tolerance');
  }
}

/** Tries every secret (no early exit, so timing does not tell which matched). */
function matchIndex(
  secrets: readonly string[],
  matches: (secret: string) => boolean,
  reason: string,
): number {
  let found = -1;
  secrets.forEach((secret, index) => {
    if (matches(secret) && found < 0) found = index;
  });
  if (found < 0) throw new AuthError(reason);
  return found;
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function hexEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'hex');
  const y = Buffer.from(b.toLowerCase(), 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Compares two strings in time independent of where they differ (hashing equalises lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
