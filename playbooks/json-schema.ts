// The playbook JSON Schema, for editors (yaml-language-server) to validate and complete playbooks.
import { z } from 'zod';
import { playbookSchema } from './schema';
import { ACTION_CATALOG } from '../activities/catalog';
import { NOTIFICATION_TEMPLATES } from '../activities/notification-templates';

export function playbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(playbookSchema, {
    io: 'input',
    unrepresentable: 'any',
    cycles: 'ref',
  }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'Reflex playbook',
    description:
      `A Reflex playbook. Actions: ${Object.entries(ACTION_CATALOG)
        .map(([n, e]) => `${n} (${e.description})`)
        .join('; ')}. ` + `Notification templates: ${Object.keys(NOTIFICATION_TEMPLATES).join(', ')}.`,
  };
}
