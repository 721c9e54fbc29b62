// The demo drill for `reflex start --demo`: a signed alert sent to Reflex's own webhook, end to end.
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { SourceConfig } from '../config/schema';

export interface DemoAlertResult {
  status: number;
  body: { incidentId?: string; deduplicated?: boolean; error?: string };
}

/** Sends a signed generic alert about a risky sign-in to `baseUrl`'s `/hooks/{source}`. */
export async function sendDemoAlert(baseUrl: string, source: SourceConfig): Promise<DemoAlertResult> {
  if (source.auth.scheme !== 'standard-webhooks')
    throw new Error('the demo source must use standard-webhooks');
  const id = `demo-${randomUUID()}`;
  const body = JSON.stringify({
    id,
    type: 'risky-sign-in',
    title: 'Risky sign-in: impossible travel for a CRM user (demo)',
    severity: 'high',
    occurredAt: new Date().toISOString(),
    entities: { users: ['j.devries@museum.example'], ips: ['203.0.113.77'], apps: ['CRM'] },
  });
  const timestamp = new Date();
  const signature = new Webhook(source.auth.secrets[0]!).sign(id, timestamp, body);
  const response = await fetch(`${baseUrl}/hooks/${source.name}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as DemoAlertResult['body'] };
}
