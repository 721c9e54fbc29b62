// Webhook authentication, table-driven: valid, wrong secret, stale timestamp, missing header, rotated secret.
import { verifyDelivery, AuthError, constantTimeEqual } from '../triggers/auth';
import { signedHeaders, TEST_SECRET, ROTATED_SECRET } from './helpers/reflex';
import type { SourceAuth } from '../server/config/schema';

const body = Buffer.from('{"id":"a1"}');
const standard: SourceAuth = { scheme: 'standard-webhooks', secrets: [TEST_SECRET, ROTATED_SECRET] };
const bearer: SourceAuth = { scheme: 'bearer', secrets: ['token-old', 'token-new'] };
const WRONG = 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM0';

type Case = [string, SourceAuth, Record<string, string>, number | RegExp];
const cases: Case[] = [
  ['standard: valid, first secret', standard, signedHeaders(body.toString()), 0],
  [
    'standard: valid, rotated second secret',
    standard,
    signedHeaders(body.toString(), { secret: ROTATED_SECRET }),
    1,
  ],
  [
    'standard: wrong secret',
    standard,
    signedHeaders(body.toString(), { secret: WRONG }),
    /no matching signature/,
  ],
  [
    'standard: stale timestamp',
    standard,
    signedHeaders(body.toString(), { at: new Date(Date.now() - 301_000) }),
    /timestamp too old/,
  ],
  [
    'standard: timestamp from the future',
    standard,
    signedHeaders(body.toString(), { at: new Date(Date.now() + 301_000) }),
    /timestamp too new/,
  ],
  ['standard: missing headers', standard, { 'content-type': 'application/json' }, /missing webhook-id/],
  ['standard: body altered after signing', standard, signedHeaders('{"id":"a2"}'), /no matching signature/],
  ['bearer: valid', bearer, { authorization: 'Bearer token-old' }, 0],
  ['bearer: rotated', bearer, { authorization: 'Bearer token-new' }, 1],
  ['bearer: wrong', bearer, { authorization: 'Bearer token-guess' }, /wrong bearer token/],
  ['bearer: missing', bearer, {}, /missing Authorization/],
];

test.each(cases)('%s', (_name, auth, headers, expected) => {
  if (typeof expected === 'number') {
    expect(verifyDelivery(auth, body, headers).secretIndex).toBe(expected);
  } else {
    expect(() => verifyDelivery(auth, body, headers)).toThrow(AuthError);
    expect(() => verifyDelivery(auth, body, headers)).toThrow(expected);
  }
});

test('refusals never echo a secret', () => {
  for (const [, auth, headers] of cases) {
    try {
      verifyDelivery(auth, body, headers);
    } catch (err) {
      for (const secret of auth.secrets) expect((err as Error).message).not.toContain(secret);
    }
  }
});

test('constantTimeEqual compares values of any length', () => {
  expect(constantTimeEqual('abc', 'abc')).toBe(true);
  expect(constantTimeEqual('abc', 'abd')).toBe(false);
  expect(constantTimeEqual('abc', 'abcd')).toBe(false);
});
