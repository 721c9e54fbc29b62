// Webhook authentication, table-driven for every scheme: valid, wrong secret, stale timestamp,
// replayed id, missing header, rotated secret. Where a scheme cannot carry something (a bearer token
// has no timestamp), the row says so instead of pretending. Replays are refused by the intake with
// the delivery id verifyDelivery returns; test/webhook-sources.test.ts shows the 409 over HTTP.
import { createHmac } from 'node:crypto';
import { verifyDelivery, constantTimeEqual } from '../triggers/auth';
import { AuthError } from '../common/errors';
import { signedHeaders, TEST_SECRET, ROTATED_SECRET } from './helpers/reflex';
import type { SourceAuth } from '../triggers/source';
import { sourceAuthSchema } from '../triggers/source';

const raw = '{"id":"a1"}';
const body = Buffer.from(raw);
const WRONG = 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM0';
const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const now = () => Math.floor(Date.now() / 1000);

const schemes = {
  standard: sourceAuthSchema.parse({ scheme: 'standard-webhooks', secrets: [TEST_SECRET, ROTATED_SECRET] }),
  bearer: sourceAuthSchema.parse({ scheme: 'bearer', secrets: ['token-old', 'token-new'] }),
  header: sourceAuthSchema.parse({
    scheme: 'header',
    header: 'X-Reflex-Token',
    secrets: ['hdr-old', 'hdr-new'],
  }),
  github: sourceAuthSchema.parse({ scheme: 'github', secrets: ['gh-old', 'gh-new'] }),
  grafana: sourceAuthSchema.parse({ scheme: 'grafana-hmac', secrets: ['gf-old', 'gf-new'] }),
  grafanaTs: sourceAuthSchema.parse({
    scheme: 'grafana-hmac',
    secrets: ['gf-old', 'gf-new'],
    timestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
  }),
  url: sourceAuthSchema.parse({
    scheme: 'url-secret',
    secrets: ['url-secret-old-0123456789abcdefghijklmnop', 'url-secret-new-0123456789abcdefghijklmnop'],
  }),
} satisfies Record<string, SourceAuth>;

const grafanaTs = (secret: string, ts = now()) => ({
  'x-grafana-alerting-signature': hmac(secret, `${ts}:${raw}`),
  'x-grafana-alerting-signature-timestamp': String(ts),
});

const GRAFANA_SIGNED = grafanaTs('gf-old');
const GRAFANA_ID = `hmac:${GRAFANA_SIGNED['x-grafana-alerting-signature']}`;

interface Row {
  auth: SourceAuth;
  headers?: Record<string, string>;
  urlSecret?: string;
  /** The matching secret's index, the delivery id used for replay refusal, or the refusal. */
  expect: { index: number; deliveryId?: string | RegExp } | RegExp | 'n/a';
}

const table: Record<string, Record<string, Row>> = {
  standard: {
    valid: {
      auth: schemes.standard,
      headers: signedHeaders(raw, { id: 'msg_1' }),
      expect: { index: 0, deliveryId: 'msg_1' },
    },
    'wrong secret': {
      auth: schemes.standard,
      headers: signedHeaders(raw, { secret: WRONG }),
      expect: /no matching signature/,
    },
    'stale timestamp': {
      auth: schemes.standard,
      headers: signedHeaders(raw, { at: new Date(Date.now() - 301_000) }),
      expect: /timestamp outside the ±5 minute tolerance/,
    },
    'replayed id': {
      auth: schemes.standard,
      headers: signedHeaders(raw, { id: 'msg_1' }),
      expect: { index: 0, deliveryId: 'msg_1' },
    },
    'missing header': {
      auth: schemes.standard,
      headers: { 'content-type': 'application/json' },
      expect: /missing webhook-id/,
    },
    'rotated secret': {
      auth: schemes.standard,
      headers: signedHeaders(raw, { secret: ROTATED_SECRET }),
      expect: { index: 1 },
    },
  },
  bearer: {
    valid: { auth: schemes.bearer, headers: { authorization: 'Bearer token-old' }, expect: { index: 0 } },
    'wrong secret': {
      auth: schemes.bearer,
      headers: { authorization: 'Bearer token-guess' },
      expect: /wrong bearer token/,
    },
    'stale timestamp': { auth: schemes.bearer, expect: 'n/a' },
    'replayed id': { auth: schemes.bearer, expect: 'n/a' },
    'missing header': { auth: schemes.bearer, headers: {}, expect: /missing Authorization/ },
    'rotated secret': {
      auth: schemes.bearer,
      headers: { authorization: 'Bearer token-new' },
      expect: { index: 1 },
    },
  },
  header: {
    valid: { auth: schemes.header, headers: { 'x-reflex-token': 'hdr-old' }, expect: { index: 0 } },
    'wrong secret': {
      auth: schemes.header,
      headers: { 'x-reflex-token': 'hdr-guess' },
      expect: /wrong x-reflex-token value/,
    },
    'stale timestamp': { auth: schemes.header, expect: 'n/a' },
    'replayed id': { auth: schemes.header, expect: 'n/a' },
    'missing header': { auth: schemes.header, headers: {}, expect: /missing x-reflex-token header/ },
    'rotated secret': {
      auth: schemes.header,
      headers: { 'x-reflex-token': 'hdr-new' },
      expect: { index: 1 },
    },
  },
  github: {
    valid: {
      auth: schemes.github,
      headers: { 'x-hub-signature-256': `sha256=${hmac('gh-old', raw)}`, 'x-github-delivery': 'd-1' },
      expect: { index: 0, deliveryId: `hmac:${hmac('gh-old', raw)}` },
    },
    'wrong secret': {
      auth: schemes.github,
      headers: { 'x-hub-signature-256': `sha256=${hmac('gh-guess', raw)}` },
      expect: /no matching signature/,
    },
    'stale timestamp': { auth: schemes.github, expect: 'n/a' },
    // A captured delivery sent again under a new (unsigned) X-GitHub-Delivery: the same id, refused.
    'replayed id': {
      auth: schemes.github,
      headers: { 'x-hub-signature-256': `sha256=${hmac('gh-old', raw)}`, 'x-github-delivery': 'd-2-new' },
      expect: { index: 0, deliveryId: `hmac:${hmac('gh-old', raw)}` },
    },
    'missing header': { auth: schemes.github, headers: {}, expect: /missing X-Hub-Signature-256/ },
    'rotated secret': {
      auth: schemes.github,
      headers: { 'x-hub-signature-256': `sha256=${hmac('gh-new', raw)}` },
      expect: { index: 1 },
    },
  },
  'grafana (no timestamp)': {
    valid: {
      auth: schemes.grafana,
      headers: { 'x-grafana-alerting-signature': hmac('gf-old', raw) },
      expect: { index: 0, deliveryId: `hmac:${hmac('gf-old', raw)}` },
    },
    'wrong secret': {
      auth: schemes.grafana,
      headers: { 'x-grafana-alerting-signature': hmac('gf-guess', raw) },
      expect: /no matching signature/,
    },
    'stale timestamp': { auth: schemes.grafana, expect: 'n/a' },
    // Without a timestamp the signature is all a delivery has: sent again, it is the same id.
    'replayed id': {
      auth: schemes.grafana,
      headers: { 'x-grafana-alerting-signature': hmac('gf-old', raw) },
      expect: { index: 0, deliveryId: `hmac:${hmac('gf-old', raw)}` },
    },
    'missing header': {
      auth: schemes.grafana,
      headers: {},
      expect: /missing x-grafana-alerting-signature header/,
    },
    'rotated secret': {
      auth: schemes.grafana,
      headers: { 'x-grafana-alerting-signature': hmac('gf-new', raw) },
      expect: { index: 1 },
    },
  },
  'grafana (timestamp)': {
    valid: { auth: schemes.grafanaTs, headers: GRAFANA_SIGNED, expect: { index: 0, deliveryId: GRAFANA_ID } },
    'wrong secret': {
      auth: schemes.grafanaTs,
      headers: grafanaTs('gf-guess'),
      expect: /no matching signature/,
    },
    'stale timestamp': {
      auth: schemes.grafanaTs,
      headers: grafanaTs('gf-old', now() - 301),
      expect: /timestamp outside/,
    },
    // The same signed request again has the same delivery id (its signature), which the intake refuses.
    'replayed id': {
      auth: schemes.grafanaTs,
      headers: { ...GRAFANA_SIGNED },
      expect: { index: 0, deliveryId: GRAFANA_ID },
    },
    'missing header': {
      auth: schemes.grafanaTs,
      headers: { 'x-grafana-alerting-signature': hmac('gf-old', raw) },
      expect: /missing x-grafana-alerting-signature-timestamp header/,
    },
    'rotated secret': { auth: schemes.grafanaTs, headers: grafanaTs('gf-new'), expect: { index: 1 } },
  },
  'url secret': {
    valid: {
      auth: schemes.url,
      urlSecret: 'url-secret-old-0123456789abcdefghijklmnop',
      expect: { index: 0 },
    },
    'wrong secret': {
      auth: schemes.url,
      urlSecret: 'url-secret-bad-0123456789abcdefghijklmnop',
      expect: /wrong URL secret/,
    },
    'stale timestamp': { auth: schemes.url, expect: 'n/a' },
    'replayed id': { auth: schemes.url, expect: 'n/a' },
    'missing header': { auth: schemes.url, expect: /missing secret in the URL/ },
    'rotated secret': {
      auth: schemes.url,
      urlSecret: 'url-secret-new-0123456789abcdefghijklmnop',
      expect: { index: 1 },
    },
  },
};

const rows = Object.entries(table).flatMap(([scheme, cases]) =>
  Object.entries(cases).map(([situation, row]) => [scheme, situation, row] as const),
);

test('every scheme has all six situations', () => {
  for (const cases of Object.values(table)) {
    expect(Object.keys(cases).sort()).toEqual(
      ['missing header', 'replayed id', 'rotated secret', 'stale timestamp', 'valid', 'wrong secret'].sort(),
    );
  }
});

test.each(rows.filter(([, , row]) => row.expect !== 'n/a'))('%s: %s', (_scheme, _situation, row) => {
  const run = () =>
    verifyDelivery(row.auth, { rawBody: body, headers: row.headers ?? {}, urlSecret: row.urlSecret });
  if (row.expect instanceof RegExp) {
    expect(run).toThrow(AuthError);
    expect(run).toThrow(row.expect);
  } else if (row.expect !== 'n/a') {
    const verified = run();
    expect(verified.secretIndex).toBe(row.expect.index);
    if (row.expect.deliveryId !== undefined) expect(verified.deliveryId).toMatch(row.expect.deliveryId);
  }
});

test('a secret in the URL is refused by every other scheme', () => {
  expect(() =>
    verifyDelivery(schemes.bearer, {
      rawBody: body,
      headers: { authorization: 'Bearer token-old' },
      urlSecret: 'x'.repeat(40),
    }),
  ).toThrow('this source does not take a secret in the URL');
});

test('a body altered after signing is refused by the signing schemes', () => {
  const altered = Buffer.from('{"id":"a2"}');
  for (const [auth, headers] of [
    [schemes.standard, signedHeaders(raw)],
    [schemes.github, { 'x-hub-signature-256': `sha256=${hmac('gh-old', raw)}` }],
    [schemes.grafanaTs, grafanaTs('gf-old')],
  ] as const) {
    expect(() => verifyDelivery(auth, { rawBody: altered, headers })).toThrow(/no matching signature/);
  }
});

test('refusals never echo a secret', () => {
  for (const [, , row] of rows) {
    try {
      verifyDelivery(row.auth, { rawBody: body, headers: row.headers ?? {}, urlSecret: row.urlSecret });
    } catch (err) {
      for (const secret of row.auth.secrets) expect((err as Error).message).not.toContain(secret);
    }
  }
});

test('constantTimeEqual compares values of any length', () => {
  expect(constantTimeEqual('abc', 'abc')).toBe(true);
  expect(constantTimeEqual('abc', 'abd')).toBe(false);
  expect(constantTimeEqual('abc', 'abcd')).toBe(false);
});
