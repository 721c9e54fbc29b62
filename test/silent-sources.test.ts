// Silent sources (issue 16, item 3): a webhook source and a log file that say how often they speak
// (`expectEvery`) — and a syslog listener — and then stop raise exactly one notification to on-call, and one more when they
// speak again; the silence shows on the board, in the metrics and in the readiness check. Real
// Temporal, SMTP (the demo mailbox), PostgreSQL.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { alertBody, auth, postSigned, startTestReflex, TEST_SECRET, TEST_SOURCES } from './helpers/reflex';
import { freshDatabaseUrl } from './helpers/postgres';
import { useReflex } from './helpers/bootstrap';
import { until } from './helpers/incidents';

const logDir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'silent-'));
const logFile = join(logDir, 'crm.jsonl');
writeFileSync(logFile, '');

const reflex = useReflex({
  database: 'postgres',
  extra: {
    server: { port: 0, maxBodyBytes: 64 * 1024, readinessCheckMinutes: 0, silenceCheckSeconds: 1 },
    sources: [
      ...TEST_SOURCES,
      {
        name: 'heartbeat',
        format: 'generic',
        auth: { scheme: 'standard-webhooks', secrets: [TEST_SECRET] },
        expectEvery: '4s',
      },
    ],
    logs: {
      shippedRules: false,
      pollMs: 200,
      files: [{ name: 'crm-log', path: logFile, kind: 'crm', expectEvery: '4s' }],
    },
  },
});

const mails = (source: string, what: 'has been silent' | 'speaks again') =>
  reflex
    .mailbox!.list()
    .filter((m) => m.subject.includes(`"${source}" ${what}`))
    .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : 1));

const metrics = async () => (await fetch(`${reflex.url}/metrics`, { headers: auth('board') })).text();

test('a webhook source that stops sending: one notification, shown on the board, in metrics and readiness; one when it recovers', async () => {
  const first = await postSigned(reflex.url, alertBody({ title: 'Heartbeat' }), { source: 'heartbeat' });
  expect(first.status).toBe(202);
  const silent = await until('the silence notification', () => mails('heartbeat', 'has been silent')[0]);
  expect(silent.to).toEqual(['oncall@museum.example']);
  expect(silent.subject).toMatch(
    /\[Reflex\] medium: The webhook source "heartbeat" has been silent: nothing since \d{4}-\d\d-\d\dT[\d:.]+Z, expected every 4s/,
  );

  // It stays silent for several more checks: still one notification.
  await new Promise((r) => setTimeout(r, 3_000));
  expect(mails('heartbeat', 'has been silent')).toHaveLength(1);
  expect(await metrics()).toMatch(/reflex_source_silent\{source="heartbeat"\} 1/);
  const sources = (await (await fetch(`${reflex.url}/api/sources`, { headers: auth('board') })).json()) as {
    sources: Array<{ name: string; silentSince?: string; lastSeenAt?: string; expectEvery?: string }>;
  };
  expect(sources.sources.find((s) => s.name === 'heartbeat')).toMatchObject({
    expectEvery: '4s',
    silentSince: expect.any(String),
    lastSeenAt: expect.any(String),
  });
  // A source nobody promised anything for is listed, not watched.
  expect(sources.sources.find((s) => s.name === 'tokened')).toEqual({ name: 'tokened', kind: 'webhook' });
  const page = await (await fetch(`${reflex.url}/board/sources`, { headers: auth('board') })).text();
  expect(page).toMatch(/<b>heartbeat<\/b> <small>webhook<\/small>.*data-source-status="silent">Silent</s);
  const readiness = (await (
    await fetch(`${reflex.url}/api/readiness`, { headers: auth('admin') })
  ).json()) as {
    findings: Array<{ check: string; status: string; message: string; fix?: string }>;
  };
  expect(readiness.findings).toContainEqual({
    check: 'source heartbeat',
    status: 'problem',
    message: expect.stringMatching(
      /^heartbeat is silent: last delivery \d{4}-\d\d-\d\d \d\d:\d\d UTC, expected every 4s$/,
    ),
    fix: expect.stringContaining('/hooks/heartbeat'),
  });

  // A forged delivery does not count as the source speaking.
  const forged = await postSigned(reflex.url, alertBody(), {
    source: 'heartbeat',
    secret: 'whsec_' + Buffer.from('not the secret at all, 32 bytes!').toString('base64'),
  });
  expect(forged.status).toBe(401);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(mails('heartbeat', 'speaks again')).toHaveLength(0);

  expect(
    (await postSigned(reflex.url, alertBody({ title: 'Heartbeat' }), { source: 'heartbeat' })).status,
  ).toBe(202);
  const back = await until('the recovery notification', () => mails('heartbeat', 'speaks again')[0]);
  expect(back.subject).toContain('informational: The webhook source "heartbeat" speaks again');
  expect(mails('heartbeat', 'speaks again')).toHaveLength(1);
  await until('the gauge back at 0', async () =>
    (await metrics()).match(/reflex_source_silent\{source="heartbeat"\} 0/) ? true : undefined,
  );
  // Each notification is an incident on the record like any other alert's.
  expect(back.headers['x-reflex-incident']).toMatch(/^notify-on-call-/);
});

test('a log file that stops growing: one notification per silence, and one when lines arrive again', async () => {
  // Nothing was ever written: silent one period after Reflex began watching it.
  const never = await until(
    'the log silence notification',
    () => mails('crm-log', 'has been silent')[0],
    40_000,
  );
  expect(never.subject).toContain(
    'The file log source "crm-log" has been silent: never heard from, expected every 4s',
  );
  appendFileSync(logFile, `${JSON.stringify({ at: new Date().toISOString(), event: 'login' })}\n`);
  await until('the log recovery notification', () => mails('crm-log', 'speaks again')[0]);
  expect(mails('crm-log', 'speaks again')).toHaveLength(1);
  // And silent again: a second episode, told once more.
  const again = await until('the second silence', () => mails('crm-log', 'has been silent')[1], 40_000);
  expect(again.subject).toMatch(/has been silent: nothing since \d{4}-/);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(mails('crm-log', 'has been silent')).toHaveLength(2);
});

test('a syslog listener that stops receiving: one notification, and one when a message arrives', async () => {
  const syslogReflex = await startTestReflex({
    // A database of its own: on the shared one, another test file's Reflex may hold the log lease.
    databaseUrl: await freshDatabaseUrl('silent'),
    extra: {
      server: { port: 0, maxBodyBytes: 64 * 1024, readinessCheckMinutes: 0, silenceCheckSeconds: 1 },
      logs: { shippedRules: false, pollMs: 200, syslog: { name: 'firewall', udpPort: 0, expectEvery: '3s' } },
    },
  });
  const told = (what: string) =>
    syslogReflex
      .mailbox!.list()
      .filter((m) => m.subject.includes(`The syslog log source "firewall" ${what}`));
  try {
    await until('the syslog silence', () => told('has been silent')[0], 40_000);
    const udp = createSocket('udp4');
    const message = '<38>Mar  2 10:00:00 fw kernel: DROP IN=eth0 SRC=198.51.100.9';
    await new Promise<void>((done) =>
      udp.send(message, syslogReflex.logTriggers!.syslogPorts.udp!, '127.0.0.1', () => done()),
    );
    udp.close();
    await until('the syslog recovery', () => told('speaks again')[0]);
    expect(told('speaks again')).toHaveLength(1);
    expect(told('has been silent').length).toBeGreaterThanOrEqual(1);
  } finally {
    await syslogReflex.stop();
  }
});
