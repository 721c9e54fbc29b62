// The configuration as an admin may read it: every secret replaced, passwords taken out of URLs.
const SECRET_KEY = /secret|token|apikey|password|sha256/i;

/**
 * Under a secret-named key, strings (and the strings of a list or a name → value record) are secrets;
 * objects in a list (a token, a secret store) are walked as usual, so their names stay readable.
 */
function redactUnder(value: unknown): unknown {
  if (typeof value === 'string') return '[redacted]';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? '[redacted]' : redactConfig(v)));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? '[redacted]' : redactConfig(v, k)]),
    );
  }
  return value;
}

export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key)) return redactUnder(value);
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(value)) {
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, '$1:[redacted]@');
  }
  return value;
}
