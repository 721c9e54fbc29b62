// YAML parsing that remembers where each value came from, so errors can name file and line.
import { LineCounter, parseDocument, isMap, isNode, isScalar, visit, type Document } from 'yaml';

export interface YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  /** The document as plain data (aliases resolved). */
  readonly value: unknown;
}

/** Aliases a document may expand: enough for any real file, too few for a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

/** A problem in a YAML file, located at `file:line`. */
export class YamlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
    this.name = 'YamlError';
  }
}

/** Parses YAML text; syntax errors throw a {@link YamlError} with the line. */
export function parseYaml(file: string, text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = lines.linePos(first.pos[0]).line;
    throw new YamlError(file, line, first.message.split('\n')[0] ?? 'invalid YAML');
  }
  // Aliases are checked here rather than left to toJS, which throws a bare ReferenceError.
  let dangling: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      dangling = node.range ? lines.linePos(node.range[0]).line : 0;
      return visit.BREAK;
    },
  });
  if (dangling !== undefined) {
    throw new YamlError(
      file,
      dangling || undefined,
      'an alias (*name) refers to an anchor (&name) that is not set before it',
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new YamlError(
      file,
      undefined,
      `the document cannot be read: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  return { file, doc, lines, value };
}

/**
 * The line of the value at `path`, or of its nearest existing parent: a missing key is
 * reported where its parent object starts.
 */
export function lineOf(source: YamlSource, path: readonly PropertyKey[]): number | undefined {
  // A key's own line reads best ("when:" rather than the first line of the mapping under it).
  const parent: unknown = source.doc.getIn(path.slice(0, -1) as unknown[], true);
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
    if (isScalar(pair?.key) && pair.key.range) return source.lines.linePos(pair.key.range[0]).line;
  }
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = source.doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return source.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Formats a path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
