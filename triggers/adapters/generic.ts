// Reflex's own generic alert schema (docs/ALERT-SCHEMA.md): what any tool can send.
import { z } from 'zod';
import { entitiesSchema, severitySchema } from '../alert-schema';
import type { Alert } from '../../workflows/model/alert';

export const genericAlertSchema = z
  .object({
    /** The sender's id for this alert; repeats of the same id are the same alert. */
    id: z.string().min(1).max(200),
    type: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,80}$/, 'lowercase letters, digits, dot, dash or underscore'),
    title: z.string().min(1).max(500),
    severity: severitySchema,
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    entities: entitiesSchema.prefault({}),
  })
  .loose();

/** Turns a generic-schema body into an Alert; throws a ZodError on a malformed body. */
export function fromGeneric(source: string, body: unknown, receivedAt: Date): Alert {
  const parsed = genericAlertSchema.parse(body);
  return {
    source,
    externalId: parsed.id,
    type: parsed.type,
    title: parsed.title,
    severity: parsed.severity,
    occurredAt: parsed.occurredAt ?? receivedAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
    entities: parsed.entities,
    raw: body,
  };
}
