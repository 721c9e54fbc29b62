// Shared by the hardening tests: hostile copies of good input, and the error a refusal throws.

/** How many leaves (non-object values) `value` has. */
export function leafCount(value: unknown): number {
  return value && typeof value === 'object'
    ? Object.values(value).reduce<number>((n, v) => n + leafCount(v), 0)
    : 1;
}

/** A copy of `value` with its n-th leaf (depth first) replaced by `replacement`. */
export function withLeafReplaced(value: unknown, n: number, replacement: unknown): unknown {
  let i = 0;
  const walk = (node: unknown): unknown => {
    if (node && typeof node === 'object') {
      if (Array.isArray(node)) return node.map(walk);
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    }
    return i++ === n ? replacement : node;
  };
  return walk(value);
}

/** The error `fn` throws; fails the test when it throws nothing. */
export function refusalOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}
