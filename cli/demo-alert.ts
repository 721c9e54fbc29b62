// The demo drill for `reflex start --demo`: a signed alert sent to Reflex's own webhook, end to end.
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { retryAfterMs } from '../common/retry-after';
import type { SourceConfig } from '../config/schema';

export interface DemoAlertResult {
  status: number;
  body: { incidentId?: string; deduplicated?: boolean; error?: string };
}

/** How long the demo keeps retrying an alert that Reflex could not accept yet (503 while Temporal starts). */
const RETRY_FOR_MS = 60_000;

/**
 * Sends a signed generic alert about a risky sign-in to `baseUrl`'s `/hooks/{source}`. Like a SIEM, it
 * sends the same delivery again (same webhook-id, signed afresh) on a 429 or 5xx, after the Retry-After
 * Reflex names, for up to a minute: a 503 while the embedded Temporal is still starting is not a failure.
 */
export async function sendDemoAlert(baseUrl: string, source: SourceConfig): Promise<DemoAlertResult> {
  if (source.auth.scheme !== 'standard-webhooks')
    throw new Error('the demo source must use standard-webhooks');
  const secret = source.auth.secrets[0]!;
  const id = `demo-${randomUUID()}`;
  const body = JSON.stringify({
    id,
    type: 'risky-sign-in',
    title: 'Risky sign-in: impossible travel for a CRM user (demo)',
    severity: 'high',
    occurredAt: new Date().toISOString(),
    entities: { users: ['j.devries@museum.example'], ips: ['203.0.113.77'], apps: ['CRM'] },
  });
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    const timestamp = new Date();
    const response = await fetch(`${baseUrl}/hooks/${source.name}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
      },
      body,
    });
    const result = {
      status: response.status,
      body: (await response.json().catch(() => ({}))) as DemoAlertResult['body'],
    };
    const retryable = response.status === 429 || response.status >= 500;
    const wait = retryAfterMs(response.headers.get('retry-after'), 2) ?? 2000;
    if (!retryable || Date.now() + wait > deadline) return result;
    await new Promise((done) => setTimeout(done, wait));
  }
}
