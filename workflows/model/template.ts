// Renders `{{path}}` templates in step arguments. Deterministic and sandbox-safe (mustache is an
// interpreter: no eval, no Function). A value that is exactly one tag keeps its type, so
// `to: "{{contacts.onCall}}"` stays a list.
import Mustache from 'mustache';

const WHOLE_TAG = /^\{\{\{?\s*([\w.-]+)\s*\}?\}\}$/;

/** Looks up `a.b.0.c` in `context`; `undefined` when any part is missing. */
export function lookup(context: unknown, path: string): unknown {
  let value: unknown = context;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Renders every string inside `value` against `context`, leaving other values as they are. */
export function render(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = value.match(WHOLE_TAG);
    if (whole?.[1]) return lookup(context, whole[1]);
    // No HTML escaping here: e-mail bodies are escaped by the template that renders them.
    return Mustache.render(value, context, {}, { escape: (text: string) => text });
  }
  if (Array.isArray(value)) return value.map((item) => render(item, context));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, context)]));
  }
  return value;
}

/** Every `{{path}}` a value's strings refer to (sections and inverted sections included). */
export function templatePaths(value: unknown): string[] {
  if (typeof value === 'string') {
    const names: string[] = [];
    const walk = (tokens: unknown[]): void => {
      for (const token of tokens as Array<[string, string, number, number, unknown[]?]>) {
        if (token[0] === 'name' || token[0] === '&' || token[0] === '#' || token[0] === '^')
          names.push(token[1]);
        if (token[4]) walk(token[4]);
      }
    };
    walk(Mustache.parse(value));
    return names;
  }
  if (Array.isArray(value)) return value.flatMap(templatePaths);
  if (value && typeof value === 'object') return Object.values(value).flatMap(templatePaths);
  return [];
}
