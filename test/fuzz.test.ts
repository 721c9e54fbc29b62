// Property-based tests (fast-check) of every edge attackers reach (issue 12): the webhook intake for
// every adapter and auth scheme (random and mutated JSON, deep and wide nesting, huge strings, invalid
// UTF-8, duplicated and oversized headers, wrong content types), the approval endpoints, the syslog and
// file parsers, the rule engine with hostile keys and values, and playbook loading. A case passes when
// the answer is a well-formed 2xx or 4xx (or a clean refusal), nothing throws that should not, and
// memory stays bounded. `npm test` runs FUZZ_RUNS=60 cases a target; `npm run fuzz` runs 10,000.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { freshDatabaseUrl } from './helpers/postgres';
import { withLeafReplaced } from './helpers/hostile';
import { inProcessApp, type InProcessApp } from './helpers/app';
import { ARTIFACTS } from './helpers/browser';
import { parseSyslog } from '../triggers/logs/syslog';
import { FileTail } from '../triggers/logs/file-source';
import { RuleEngine } from '../triggers/logs/engine';
import { loadRules } from '../triggers/logs/rules';
import { parsePlaybook, PlaybookError } from '../playbooks/load';
import { SHIPPED_PLAYBOOKS_DIR, SHIPPED_RULES_DIR } from '../startup/project';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
jest.setTimeout(Math.max(60_000, RUNS * 60));

// --- what attackers write -------------------------------------------------------------------------

const HOSTILE_STRINGS = [
  '__proto__',
  'constructor',
  'toString',
  '{{alert.title}}',
  '{{{contacts.dpo}}}',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../admin/x?',
  '\u0000\u0001\u001b[31m',
  '\r\nX-Injected: yes',
  '𝕽𝖊𝖋𝖑𝖊𝖝 🔥',
  '\ud800', // a lone surrogate
  'a'.repeat(70_000),
];
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'id', 'user'),
  fc.string({ maxLength: 12 }),
);
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
    fc.constant({ toString: 1, valueOf: 1 }),
  ),
})).value;

/** Nested `depth` levels deep, or `width` values wide. */
const shaped = fc.oneof(
  fc.integer({ min: 1, max: 80 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc
    .integer({ min: 1, max: 30_000 })
    .map((width) =>
      JSON.stringify(Object.fromEntries(Array.from({ length: width }, (_, i) => [`k${i}`, i]))),
    ),
);

const FIXTURES = Object.fromEntries(
  readdirSync(join(__dirname, 'fixtures/adapters')).map((f) => [
    f.replace(/\.json$/, ''),
    JSON.parse(readFileSync(join(__dirname, 'fixtures/adapters', f), 'utf8')) as unknown,
  ]),
);

// --- target 1: the webhook intake, every adapter and scheme ----------------------------------------

const SECRET = 'whsec_ZnV6ei1zZWNyZXQtZm9yLXJlZmxleC10ZXN0cy0wMDAx';
const HMAC = 'fuzz-hmac-secret-0123456789';
const URL_SECRET = 'fuzz-url-secret-0123456789abcdefghijk';
const SOURCES = [
  {
    name: 'generic',
    format: 'generic',
    auth: { scheme: 'standard-webhooks', secrets: [SECRET] },
    fixture: undefined,
  },
  {
    name: 'sentinel',
    format: 'sentinel',
    auth: { scheme: 'header', header: 'X-Reflex-Token', secrets: [HMAC] },
    fixture: 'sentinel-incident',
  },
  {
    name: 'defender',
    format: 'defender',
    auth: { scheme: 'bearer', secrets: [HMAC] },
    fixture: 'defender-alert',
  },
  {
    name: 'splunk',
    format: 'splunk',
    auth: { scheme: 'url-secret', secrets: [URL_SECRET] },
    fixture: 'splunk-webhook',
  },
  {
    name: 'elastic',
    format: 'elastic',
    auth: { scheme: 'github', secrets: [HMAC] },
    fixture: 'elastic-kibana',
  },
  {
    name: 'wazuh',
    format: 'wazuh',
    auth: { scheme: 'standard-webhooks', secrets: [SECRET] },
    fixture: 'wazuh-alert',
  },
  {
    name: 'grafana',
    format: 'grafana',
    auth: {
      scheme: 'grafana-hmac',
      secrets: [HMAC],
      timestampHeader: 'X-Grafana-Alerting-Signature-Timestamp',
    },
    fixture: 'grafana-firing',
  },
  {
    name: 'grafana-plain',
    format: 'grafana',
    auth: { scheme: 'grafana-hmac', secrets: [HMAC] },
    fixture: 'grafana-firing',
  },
] as const;

const hmac = (text: Buffer | string) => createHmac('sha256', HMAC).update(text).digest('hex');

/** The headers (and URL suffix) that authenticate `body` for `source`'s scheme. */
function credentials(
  source: (typeof SOURCES)[number],
  body: Buffer,
): { headers: Record<string, string>; suffix: string } {
  const auth = source.auth;
  switch (auth.scheme) {
    case 'standard-webhooks': {
      const id = randomUUID();
      const at = new Date();
      return {
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(SECRET).sign(id, at, body.toString('utf8')),
        },
        suffix: '',
      };
    }
    case 'header':
      return { headers: { 'x-reflex-token': HMAC }, suffix: '' };
    case 'bearer':
      return { headers: { authorization: `Bearer ${HMAC}` }, suffix: '' };
    case 'url-secret':
      return { headers: {}, suffix: `/${URL_SECRET}` };
    case 'github':
      return { headers: { 'x-hub-signature-256': `sha256=${hmac(body)}` }, suffix: '' };
    case 'grafana-hmac': {
      if (!('timestampHeader' in auth))
        return { headers: { 'x-grafana-alerting-signature': hmac(body) }, suffix: '' };
      const ts = String(Math.floor(Date.now() / 1000));
      return {
        headers: {
          'x-grafana-alerting-signature-timestamp': ts,
          'x-grafana-alerting-signature': hmac(Buffer.concat([Buffer.from(`${ts}:`), body])),
        },
        suffix: '',
      };
    }
  }
}

const ACCEPTED_STATUSES = new Set([202, 400, 401, 404, 405, 409, 413, 415, 429, 431]);
const figures: Record<string, { cases: number; failures: number; ms: number }> = {};
let peakRss = 0;
let startRss = 0;
// With --expose-gc (`npm run fuzz` sets it), the live heap after a full collection: what a leak grows.
const gc = (globalThis as { gc?: () => void }).gc;
const liveHeap = () => (gc?.(), process.memoryUsage().heapUsed);
let startHeap = 0;
let endHeap = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

async function run(
  target: string,
  property: fc.IAsyncPropertyWithHooks<unknown> | fc.IPropertyWithHooks<unknown>,
) {
  const started = Date.now();
  let cases = 0;
  let failures = 0;
  const counted = property.beforeEach(() => {
    cases += 1;
    if (cases % 50 === 0) sampleRss();
  });
  try {
    await fc.assert(counted as fc.IAsyncPropertyWithHooks<unknown>, { numRuns: RUNS });
  } catch (err) {
    failures = 1; // fast-check stops at the first failing case (and shrinks it)
    throw err;
  } finally {
    sampleRss();
    figures[target] = { cases, failures, ms: Date.now() - started };
  }
}

let env: InProcessApp;
beforeAll(async () => {
  env = await inProcessApp({
    temporalAddress: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
    // PostgreSQL in its own process, so the memory measured is Reflex's and not the embedded
    // database's (which would hold every accepted delivery in this process).
    databaseUrl: await freshDatabaseUrl('fuzz'),
    config: {
      sources: SOURCES.map(({ fixture: _f, ...s }) => ({ ...s, ratePerMinute: 1_000_000, drill: true })),
    },
  });
  startRss = process.memoryUsage().rss;
  startHeap = liveHeap();
});
afterAll(async () => {
  await env?.close();
  mkdirSync(ARTIFACTS, { recursive: true });
  const summary = {
    runsPerTarget: RUNS,
    targets: figures,
    crashes: Object.values(figures).reduce((sum, f) => sum + f.failures, 0),
    startRssMiB: Math.round(startRss / 1048576),
    peakRssMiB: Math.round(peakRss / 1048576),
    ...(gc && {
      liveHeapMiB: { start: Math.round(startHeap / 1048576), end: Math.round(endHeap / 1048576) },
    }),
  };
  writeFileSync(join(ARTIFACTS, 'fuzz-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (RUNS >= 1000) process.stdout.write(`fuzz summary: ${JSON.stringify(summary)}\n`);
});

test('the webhook intake answers every delivery with a well-formed 2xx or 4xx', async () => {
  const body = fc.oneof(
    // A sender's own format, with one value replaced by something hostile.
    fc.record({ kind: fc.constant('mutated' as const), n: fc.nat({ max: 60 }), value: hostileValue }),
    // Any JSON at all, or a hostile shape.
    fc.record({ kind: fc.constant('json' as const), value: hostileValue }),
    fc.record({ kind: fc.constant('shaped' as const), text: shaped }),
    // Not JSON, not even UTF-8.
    fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
  );
  const delivery = fc.record({
    source: fc.constantFrom(...SOURCES),
    body,
    signed: fc.boolean(),
    contentType: fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ),
    duplicateSignature: fc.boolean(),
    oversizedHeader: fc.integer({ min: 0, max: 20 }).map((n) => (n === 0 ? 20_000 : 0)),
    extra: fc.dictionary(
      fc.stringMatching(/^x-[a-z]{1,10}$/),
      fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      { maxKeys: 3 },
    ),
  });
  await run(
    'webhook intake',
    fc.asyncProperty(delivery, async (d) => {
      const raw =
        d.body.kind === 'mutated'
          ? Buffer.from(
              JSON.stringify(
                withLeafReplaced(
                  d.source.fixture
                    ? FIXTURES[d.source.fixture]
                    : { id: 'x', type: 't', title: 'T', severity: 'high' },
                  d.body.n,
                  d.body.value,
                ),
              ),
            )
          : d.body.kind === 'json'
            ? Buffer.from(JSON.stringify(d.body.value) ?? 'null')
            : d.body.kind === 'shaped'
              ? Buffer.from(d.body.text)
              : Buffer.from(d.body.bytes);
      const { headers, suffix } = d.signed ? credentials(d.source, raw) : { headers: {}, suffix: '' };
      let r = request(env.app).post(`/hooks/${d.source.name}${suffix}`).set(d.extra).set(headers);
      if (d.contentType) r = r.set('content-type', d.contentType);
      // Sent twice: the header reaches the app as a list.
      if (d.duplicateSignature) r = r.set('webhook-signature', ['v1,AAAA', 'v1,BBBB'] as unknown as string);
      if (d.oversizedHeader) r = r.set('x-padding', 'p'.repeat(d.oversizedHeader));
      const answer = await r.send(raw).catch((err: NodeJS.ErrnoException) => {
        // Node refuses a header block over 16 KiB with a 431 and closes the connection; a client still
        // writing its body sees the close as a reset. That is the only reset allowed, and the server
        // must go on answering.
        if (!d.oversizedHeader || !['ECONNRESET', 'EPIPE'].includes(err.code ?? '')) throw err;
        return undefined;
      });
      if (!answer) {
        expect((await request(env.app).get('/healthz')).status).toBe(200);
        return;
      }
      expect(ACCEPTED_STATUSES).toContain(answer.status);
      if (answer.status !== 431) {
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        const parsed = answer.body as { error?: unknown; incidents?: unknown };
        expect(typeof parsed.error === 'string' || Array.isArray(parsed.incidents)).toBe(true);
      }
    }),
  );
});

test('the approval endpoints refuse every forged link, form and cookie with a clear page', async () => {
  const attempt = fc.record({
    method: fc.constantFrom('get', 'head', 'post'),
    token: fc.oneof(
      fc.string({ maxLength: 80 }).map((t) => encodeURIComponent(t.replace(/[\ud800-\udfff]/g, '')) || 'x'),
      fc.constantFrom(...HOSTILE_STRINGS.slice(0, 10)).map(encodeURIComponent),
      // Sent as they are: malformed percent-encodings, path tricks.
      fc.constantFrom('%E0%A4%A', '%', '%00', '..%2F..%2Fapi%2Fconfig', '%2e%2e', 'a%ZZb'),
    ),
    decision: fc.oneof(fc.constantFrom('approve', 'reject'), hostileString),
    csrf: fc.option(fc.string({ maxLength: 90 })),
    cookie: fc.option(fc.string({ maxLength: 90 }).map((s) => `reflex-csrf=${encodeURIComponent(s)}`)),
  });
  await run(
    'approval endpoints',
    fc.asyncProperty(attempt, async (a) => {
      const path = `/approve/${a.token}`;
      let r = request(env.app)[a.method](path);
      if (a.cookie) r = r.set('cookie', a.cookie);
      const answer =
        a.method === 'post'
          ? await r.type('form').send({ decision: a.decision, ...(a.csrf ? { csrf: a.csrf } : {}) })
          : await r;
      expect([200, 400, 403, 404, 409, 410, 413, 429]).toContain(answer.status);
      expect(answer.status).not.toBe(200); // no such link exists: nothing can be shown or decided
      if (a.method !== 'head' && answer.headers['content-type']?.startsWith('text/html')) {
        expect(answer.text).toMatch(/^<!doctype html>/);
      }
    }),
  );
});

test('the syslog parser reads or refuses any message, and never throws', async () => {
  const message = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .record({
        pri: fc.integer({ min: 0, max: 999 }),
        host: hostileString,
        app: hostileString,
        body: fc.oneof(
          hostileString,
          hostileValue.map((v) => JSON.stringify(v) ?? ''),
        ),
      })
      .map(
        ({ pri, host, app, body }) =>
          `<${pri}>1 2026-12-01T10:00:00Z ${host.replace(/\s/g, '') || '-'} ${app.replace(/\s/g, '') || '-'} - - - ${body}`,
      ),
    fc
      .record({ host: fc.string({ maxLength: 20 }), body: hostileString })
      .map(({ host, body }) => `<38>Dec  1 10:00:00 ${host.replace(/\s/g, '') || 'h'} sshd[1]: ${body}`),
  );
  await run(
    'syslog parser',
    fc.property(message, (m) => {
      const fields = parseSyslog(m);
      expect(fields === undefined || (typeof fields === 'object' && typeof fields.message === 'string')).toBe(
        true,
      );
    }),
  );
});

test('the file reader turns any lines into records or counts them skipped, and never throws', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'fuzz-file-'));
  const lines = fc.array(
    fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => s.replace(/\n/g, ' ')),
      hostileValue.map((v) => JSON.stringify(v) ?? ''),
    ),
    { maxLength: 20 },
  );
  let n = 0;
  await run(
    'file parser',
    fc.asyncProperty(lines, fc.boolean(), async (written, regex) => {
      const path = join(dir, `log-${n++}.txt`);
      writeFileSync(path, `${written.join('\n')}\n`);
      const tail = new FileTail({
        name: 'f',
        path,
        format: regex ? 'regex' : 'jsonl',
        pattern: '^(?<user>\\S+) (?<rest>.*)$',
        kind: 'log',
      });
      const records = await tail.poll();
      expect(records.length + tail.skipped).toBe(written.filter((l) => l.trim()).length);
    }),
  );
});

test('the rule engine evaluates records with hostile keys and values, and its state survives JSON', async () => {
  const rules = loadRules([SHIPPED_RULES_DIR]);
  const record = fc.record({
    kind: fc.constantFrom('entra-signin', 'entra-audit', 'm365-audit', 'syslog'),
    fields: fc.dictionary(hostileKey, hostileValue, { maxKeys: 8 }),
    group: fc.constantFrom('__proto__', 'constructor', 'toString', 'anna@museum.example'),
  });
  await run(
    'rule engine',
    fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
      const engine = new RuleEngine(rules);
      for (const r of records) {
        const fields = {
          ...r.fields,
          userPrincipalName: r.group,
          ipAddress: r.group,
          UserId: r.group,
          status: { errorCode: 50126 },
        };
        engine.process({ source: 'fuzz', kind: r.kind, at: Date.now(), fields });
      }
      const restored = new RuleEngine(rules);
      restored.importState(JSON.parse(JSON.stringify(engine.exportState())));
      expect(JSON.stringify(restored.exportState())).toBe(JSON.stringify(engine.exportState()));
    }),
  );
});

test('loading a playbook either succeeds or names its problems; nothing else is thrown', async () => {
  const shipped = readdirSync(SHIPPED_PLAYBOOKS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(join(SHIPPED_PLAYBOOKS_DIR, f), 'utf8'));
  const text = fc.oneof(
    fc.string({ maxLength: 400 }),
    // A shipped playbook with a line replaced, cut short, or a value swapped for hostile text.
    fc
      .record({
        file: fc.constantFrom(...shipped),
        line: fc.nat({ max: 80 }),
        replacement: fc.oneof(
          hostileString,
          fc.constantFrom(
            '  - id: x',
            'steps: {',
            '    action: entra.nope',
            '      user: "{{{alert.raw}}}"',
            '&a [*a, *a]',
            'x: &x\n  y: *x',
          ),
        ),
      })
      .map(({ file, line, replacement }) =>
        file
          .split('\n')
          .map((l, i) => (i === line ? replacement : l))
          .join('\n'),
      ),
    fc
      .record({ file: fc.constantFrom(...shipped), cut: fc.nat({ max: 4000 }) })
      .map(({ file, cut }) => file.slice(0, cut)),
  );
  await run(
    'playbook loading',
    fc.property(text, (t) => {
      try {
        parsePlaybook('fuzz.yaml', t);
      } catch (err) {
        expect(err).toBeInstanceOf(PlaybookError);
        for (const problem of (err as PlaybookError).problems)
          expect(problem.message).toMatch(/^fuzz\.yaml(:\d+)?: /);
      }
    }),
  );
});

test('memory stayed bounded', () => {
  // A leak of even a kilobyte a case shows at 10,000 cases a target. With a collector to call, the
  // live heap is compared (V8 keeps freed pages, so RSS after huge bodies mostly says how big the
  // largest one was); without, the RSS growth over the run.
  endHeap = liveHeap();
  if (gc) expect(endHeap - startHeap).toBeLessThan(64 * 1048576);
  else expect(peakRss - startRss).toBeLessThan(768 * 1048576);
});
