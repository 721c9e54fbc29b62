// The configuration as an admin may read it: every secret replaced, and every URL cut to its scheme and
// host (a URL can carry a password in its user part, its path or its query: postgres://u@h/db?password=…).
// `value`: a named secret's value (actions.http.secrets.<name>.value).
const SECRET_KEY = /secret|token|apikey|password|sha256|^value$/i;

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
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return schemeAndHost(value);
  return value;
}

/** `scheme://host[:port]` of a URL, nothing else; an unparsable one is redacted whole. */
function schemeAndHost(value: string): string {
  try {
    const url = new URL(value);
    return url.host ? `${url.protocol}//${url.host}` : '[redacted]';
  } catch {
    return '[redacted]';
  }
}
