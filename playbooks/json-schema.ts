// The playbook JSON Schema, for editors (yaml-language-server) to validate and complete playbooks.
// Derived from the one playbook schema and from the action list: each action's `with` is checked
// against that action's own input schema, where any value may also be a `{{template}}`.
import { z } from 'zod';
import { playbookSchema } from './schema';
import { ACTIONS } from '../activities/actions';
import { NOTIFICATION_TEMPLATES } from '../activities/notify/templates';

type JsonSchema = Record<string, unknown>;

/** A value rendered from the incident at run time. */
const TEMPLATE: JsonSchema = { type: 'string', pattern: '\\{\\{', description: 'a {{template}}' };

/** Lets every scalar in `schema` also be a template (objects and lists keep their shape). */
function templated(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const s = schema as JsonSchema;
  if (s.type === 'object' || s.properties) {
    const properties = Object.fromEntries(
      Object.entries((s.properties as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [
        k,
        templated(v),
      ]),
    );
    return {
      ...s,
      properties,
      ...(s.additionalProperties && typeof s.additionalProperties === 'object'
        ? { additionalProperties: templated(s.additionalProperties) }
        : {}),
    };
  }
  if (s.type === 'array') return { anyOf: [{ ...s, items: templated(s.items) }, TEMPLATE] };
  if (Array.isArray(s.anyOf)) return { ...s, anyOf: [...s.anyOf.map(templated), TEMPLATE] };
  return { anyOf: [s, TEMPLATE] };
}

/** Finds the action step's schema (the object with an `action` property) inside the document. */
function findActionStep(node: unknown): JsonSchema | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const s = node as JsonSchema;
  if (s.type === 'object' && (s.properties as JsonSchema | undefined)?.action) return s;
  for (const child of Object.values(s)) {
    const found = Array.isArray(child) ? child.map(findActionStep).find(Boolean) : findActionStep(child);
    if (found) return found;
  }
  return undefined;
}

/** An action's input as JSON Schema, without the document-level `$schema` key. */
function inputSchema(input: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(input, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

export function playbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(playbookSchema, {
    io: 'input',
    unrepresentable: 'any',
    cycles: 'ref',
  }) as Record<string, unknown>;
  const step = findActionStep(schema);
  if (step) {
    (step.properties as JsonSchema).action = {
      type: 'string',
      enum: ACTIONS.map((a) => a.name),
      description: 'An action from the catalog (reflex playbooks schema lists them)',
    };
    step.allOf = ACTIONS.map((a) => ({
      if: { properties: { action: { const: a.name } }, required: ['action'] },
      then: {
        properties: {
          with: { description: a.description, ...(templated(inputSchema(a.input)) as object) },
        },
      },
    }));
  }
  return {
    ...schema,
    title: 'Reflex playbook',
    description:
      `A Reflex playbook. Actions: ${ACTIONS.map((a) => `${a.name} (${a.description})`).join('; ')}. ` +
      `Notification templates: ${Object.keys(NOTIFICATION_TEMPLATES).join(', ')}.`,
  };
}
