// Renders `{{path}}` templates in step arguments. Deterministic and sandbox-safe (mustache is an
// interpreter: no eval, no Function). Attackers write much of what templates render (alert titles,
// user names, app names), so:
// - a value that is exactly one tag keeps its type only for a scalar or a list of scalars (so
//   `to: "{{contacts.onCall}}"` stays a list); anything else becomes its JSON text, so no alert can
//   put an object where the playbook did not write one (a `{ secret: … }` reference, say);
// - an argument can be encoded: every value rendered into a URL is percent-encoded, into HTML escaped;
// - any value renders: `String()` throws on an object such as `{"toString": 1}`, which a workflow
//   would fail on, retrying forever, so objects are rendered as their JSON text.
import Mustache from 'mustache';

/** How values rendered into an argument are encoded: into a URL, or into HTML. */
export type Encoding = 'url' | 'html';

const ESCAPES: Record<Encoding | 'none', (text: string) => string> = {
  url: encodeURIComponent,
  html: Mustache.escape,
  // Plain text (e-mail text, subjects, messages): the templates that render them escape as they need.
  none: (text) => text,
};

/** Text for any value alert data can hold; objects, which `String()` may refuse, as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value))
    return value.map((v) => (v === null || v === undefined ? '' : textOf(v))).join(',');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Mustache's writer with every value turned to text by {@link textOf} before it is escaped. */
class TextWriter extends Mustache.Writer {
  override escapedValue(token: string[], context: Mustache.Context, config?: Mustache.RenderOptions): string {
    const value: unknown = context.lookup(token[1]!);
    if (value === null || value === undefined) return undefined as unknown as string;
    return (config?.escape ?? Mustache.escape)(textOf(value));
  }

  override unescapedValue(token: string[], context: Mustache.Context): string {
    const value: unknown = context.lookup(token[1]!);
    return value === null || value === undefined ? (undefined as unknown as string) : textOf(value);
  }
}
/**
 * One writer for every incident on a worker (the module is evaluated once): its only state is
 * mustache's cache of parsed templates, a pure function of playbook text (values are never parsed).
 */
// eslint-disable-next-line no-restricted-syntax -- a cache of parsed playbook templates, the same for every incident
const writer = new TextWriter();

/** Renders a mustache template; values are escaped with `escape` (HTML by default). */
export function renderTemplate(template: string, view: unknown, escape?: (text: string) => string): string {
  return writer.render(template, view, {}, escape ? { escape } : undefined);
}

const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** What a whole-tag template may yield as it is: scalars and lists of scalars. */
function keepable(value: unknown): unknown {
  if (value === undefined || isScalar(value)) return value;
  if (Array.isArray(value) && value.every(isScalar)) return value;
  return JSON.stringify(value);
}

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

/**
 * Renders every string inside `value` against `context`, leaving other values as they are. With an
 * encoding, every value rendered in is encoded, and a whole tag is rendered as text like any other.
 */
export function render(value: unknown, context: Record<string, unknown>, encoding?: Encoding): unknown {
  if (typeof value === 'string') {
    const whole = encoding ? null : value.match(WHOLE_TAG);
    if (whole?.[1]) return keepable(lookup(context, whole[1]));
    return renderTemplate(value, context, ESCAPES[encoding ?? 'none']);
  }
  if (Array.isArray(value)) return value.map((item) => render(item, context, encoding));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, context, encoding)]));
  }
  return value;
}

/** Renders an action's arguments, each with the encoding its action declares for it. */
export function renderArguments(
  args: Record<string, unknown>,
  context: Record<string, unknown>,
  encode: Readonly<Record<string, Encoding>> = {},
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, render(v, context, encode[k])]));
}

/** Whether a template writes a value unescaped (`{{{x}}}` or `{{&x}}`), which an encoded argument refuses. */
export function hasUnescapedTags(value: string): boolean {
  const walk = (tokens: unknown[]): boolean =>
    (tokens as Array<[string, string, number, number, unknown[]?]>).some(
      (t) => t[0] === '&' || (t[4] !== undefined && walk(t[4])),
    );
  return walk(Mustache.parse(value));
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
