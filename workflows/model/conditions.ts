// `when:` conditions: structured YAML, evaluated by this small interpreter. No eval, no Function:
// deterministic, and the same code runs in the workflow sandbox and at load time.
import { lookup, textOf } from './template';

export const SEVERITY_ORDER = ['informational', 'low', 'medium', 'high', 'critical'] as const;

/** One test on one value. */
export interface Test {
  equals?: string | number | boolean;
  in?: Array<string | number | boolean>;
  /** Severity at least this (informational < low < medium < high < critical). */
  atLeast?: (typeof SEVERITY_ORDER)[number];
  /** true: the value is present and not empty; false: it is absent or empty. */
  exists?: boolean;
  /** A regular expression the value (as text) must match. */
  matches?: string;
}

/**
 * A condition: every `path: test` pair must hold; `any` holds when one of its conditions holds,
 * `all` when all do, `not` when its condition does not.
 */
export type Condition = {
  any?: Condition[];
  all?: Condition[];
  not?: Condition;
} & { [path: string]: Test | Condition[] | Condition | undefined };

const COMBINATORS: readonly string[] = ['any', 'all', 'not'];

/**
 * Patterns compiled once (they were checked against catastrophic backtracking when they loaded).
 * Shared by every incident on a worker (the module is evaluated once): a pure function of playbook
 * text, without flags, so a compiled pattern carries no state (`lastIndex`) from one test to the next.
 */
// eslint-disable-next-line no-restricted-syntax -- a cache of playbook patterns, the same for every incident
const PATTERNS = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let regex = PATTERNS.get(pattern);
  if (!regex) PATTERNS.set(pattern, (regex = new RegExp(pattern)));
  return regex;
}

/** The `path: test` pairs of a condition, without its combinators. */
export function testsOf(condition: Condition): Array<[string, Test]> {
  return Object.entries(condition).filter(([key]) => !COMBINATORS.includes(key)) as Array<[string, Test]>;
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

function holds(test: Test, value: unknown): boolean {
  if (test.exists !== undefined && test.exists === isEmpty(value)) return false;
  if (test.equals !== undefined && value !== test.equals) return false;
  if (test.in !== undefined && !test.in.includes(value as string)) return false;
  if (test.atLeast !== undefined) {
    const rank = SEVERITY_ORDER.indexOf(value as (typeof SEVERITY_ORDER)[number]);
    if (rank < 0 || rank < SEVERITY_ORDER.indexOf(test.atLeast)) return false;
  }
  if (
    test.matches !== undefined &&
    !compiled(test.matches).test(value === null || value === undefined ? '' : textOf(value))
  )
    return false;
  return true;
}

/** Evaluates `condition` against `context`. An absent condition holds. */
export function evaluate(condition: Condition | undefined, context: unknown): boolean {
  if (!condition) return true;
  if (condition.any && !condition.any.some((c) => evaluate(c, context))) return false;
  if (condition.all && !condition.all.every((c) => evaluate(c, context))) return false;
  if (condition.not && evaluate(condition.not, context)) return false;
  return testsOf(condition).every(([path, test]) => holds(test, lookup(context, path)));
}

/** Every path a condition reads, for load-time checks. */
export function pathsOf(condition: Condition | undefined): string[] {
  if (!condition) return [];
  return [
    ...testsOf(condition).map(([path]) => path),
    ...(condition.any ?? []).flatMap(pathsOf),
    ...(condition.all ?? []).flatMap(pathsOf),
    ...pathsOf(condition.not),
  ];
}
