// The playbook language: one zod schema for every YAML file in playbooks/.
import { z } from 'zod';
import { severitySchema } from '../triggers/alert';

const stepId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

export const actionStepSchema = z
  .object({
    id: stepId,
    /** A name from the action catalog. */
    action: z.string().min(1),
    /** Plain-language purpose, shown to boards. */
    description: z.string().min(1),
    /** Arguments; strings may hold `{{alert.…}}`, `{{entities.…}}`, `{{contacts.…}}`, `{{steps.<id>.output.…}}`. */
    with: z.record(z.string(), z.unknown()).default({}),
    /** @default 30 */
    timeoutSeconds: z.number().int().min(1).max(3600).default(30),
    /** @default 5 */
    maxAttempts: z.number().int().min(1).max(100).default(5),
  })
  .strict();

export const triggerSchema = z
  .object({
    /** A source name, or `*` for every source. @default '*' */
    source: z.string().default('*'),
    /** Alert types this playbook handles; every type when absent. */
    types: z.array(z.string().min(1)).optional(),
    /** @default 'informational' */
    minSeverity: severitySchema.default('informational'),
  })
  .strict();

export const playbookSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    version: z.number().int().min(1),
    title: z.string().min(1),
    /** Plain language, for the board. */
    description: z.string().min(1),
    triggers: z.array(triggerSchema).min(1),
    dedup: z
      .object({
        /** Alerts with the same rendered key share one incident. */
        key: z.string().min(1).default('{{alert.source}}:{{alert.externalId}}'),
      })
      .strict()
      .prefault({}),
    steps: z.array(actionStepSchema).min(1),
  })
  .strict();

export type PlaybookFile = z.infer<typeof playbookSchema>;
export type Trigger = z.infer<typeof triggerSchema>;
