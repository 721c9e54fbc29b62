// A webhook source: its name in the URL, the format its sender speaks, and how the sender proves who it
// is. Part of reflex.yaml (`sources`), owned here with the intake that uses it.
import { z } from 'zod';
import { ADAPTER_NAMES } from './adapters/names';
import { durationSchema } from '../playbooks/schema';

const secret = z.string().min(1);

/** One way a webhook sender proves who it is. Two secrets may be valid at once, for rotation. */
const secrets = z.array(secret).min(1).max(2);
export const sourceAuthSchema = z.discriminatedUnion('scheme', [
  z
    .object({
      scheme: z.literal('standard-webhooks'),
      /** `whsec_…` secrets (at most two, so one can be rotated without downtime). Timestamps must be within ±5 minutes; a replayed webhook-id is refused. */
      secrets,
    })
    .strict(),
  z
    .object({
      scheme: z.literal('bearer'),
      /** Accepted `Authorization: Bearer …` values (at most two, for rotation). */
      secrets,
    })
    .strict(),
  z
    .object({
      scheme: z.literal('header'),
      /** A shared secret sent in a header of your choice (e.g. Kibana's or Wazuh's custom headers). */
      header: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .transform((h) => h.toLowerCase()),
      secrets,
    })
    .strict(),
  z
    .object({
      scheme: z.literal('github'),
      /** `X-Hub-Signature-256: sha256=<hex HMAC of the body>`; `X-GitHub-Delivery` is the delivery id. */
      secrets,
    })
    .strict(),
  z
    .object({
      scheme: z.literal('grafana-hmac'),
      secrets,
      /** @default X-Grafana-Alerting-Signature */
      header: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .default('X-Grafana-Alerting-Signature')
        .transform((h) => h.toLowerCase()),
      /** When set, the HMAC covers `timestamp + ":" + body` and the timestamp must be within ±5 minutes. */
      timestampHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .transform((h) => h.toLowerCase())
        .optional(),
    })
    .strict(),
  z
    .object({
      scheme: z.literal('url-secret'),
      /** For senders that cannot send headers (Splunk's webhook action): POST /hooks/{name}/{secret}. Use long random values. */
      secrets: z
        .array(z.string().regex(/^[A-Za-z0-9_-]{32,200}$/, 'at least 32 URL-safe characters'))
        .min(1)
        .max(2),
    })
    .strict(),
]);

export const sourceSchema = z.object({
  /** Appears in the URL: `POST /hooks/{name}`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  /** Which format adapter turns the body into an Alert. @default generic */
  format: z.enum(ADAPTER_NAMES).default('generic'),
  auth: sourceAuthSchema,
  /** Deliveries accepted per minute from this source; beyond it, 429 with Retry-After. @default 3000 */
  ratePerMinute: z.number().int().min(1).max(1_000_000).default(3000),
  /** Every alert from this source runs as a drill: dry-run actions, DRILL timelines. @default false */
  drill: z.boolean().default(false),
  /**
   * How often it should speak at least (e.g. 24h, for a SIEM that sends a daily heartbeat alert):
   * silent longer, on-call is told once, and again when it speaks. Unset: never watched.
   */
  expectEvery: durationSchema.optional(),
});

export type SourceConfig = z.infer<typeof sourceSchema>;
export type SourceAuth = z.infer<typeof sourceAuthSchema>;
