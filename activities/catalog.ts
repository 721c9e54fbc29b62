// The action catalog: every action a playbook may name, with its input schema and a plain-language line.
import type { z } from 'zod';
import { emailArgsSchema } from './notify-email';

export interface CatalogEntry {
  /** One plain-language line, used on timelines. */
  description: string;
  /** Whether the action changes anything outside Reflex (drills never run mutating actions for real). */
  mutates: boolean;
  /** Validates the step's arguments once their templates are rendered. */
  input: z.ZodType;
}

export const ACTION_CATALOG = {
  'notify.email': {
    description: 'Send an e-mail',
    mutates: false,
    input: emailArgsSchema,
  },
} as const satisfies Record<string, CatalogEntry>;

export type ActionName = keyof typeof ACTION_CATALOG;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTION_CATALOG, name);
}
