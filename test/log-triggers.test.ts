// Log triggers in a running Reflex: a password spray in a sign-in log fires its rule once and opens
// one incident, across a restart mid-file and a log rotation; a crash between delivering a firing and
// saving the checkpoint does not deliver it twice; syslog over UDP and TCP reaches the rules.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { freshDatabaseUrl } from './helpers/postgres';
import { startTestReflex, type TestReflex } from './helpers/reflex';
import {} from './helpers/bootstrap';
import { fastPlaybooks } from './helpers/playbooks';
import { openDb } from '../storage/db';
import { DbLogState } from '../storage/log-state';
import { WebhookDeliveries } from '../storage/deliveries';
import { LogTriggers, type LogState } from '../triggers/logs/runner';
import { loadRules } from '../triggers/logs/rules';
import { EntraFake } from './fakes/entra-fake';

// The spray, with accounts of their own: incidents are keyed by account, and other test files (with
// their workers gone) may hold open incidents for the fixture's museum.example accounts on this Temporal.
const SPRAY = readFileSync(join(__dirname, 'fixtures/logs/password-spray.jsonl'), 'utf8')
  .trim()
  .split('\n')
  // Its own accounts and address: incidents of other test files (same dedup keys) share this Temporal.
  .map((line) =>
    line.replaceAll('@museum.example', '@files.example').replaceAll('203.0.113.66', '203.0.113.116'),
  );
const SHIPPED_RULES = join(__dirname, '../triggers/rules');

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a password spray fires once and opens one incident, across a restart mid-file and a rotation', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'logs-'));
  const file = join(dir, 'signins.jsonl');
  const databaseUrl = await freshDatabaseUrl('logs');
  const taskQueue = `test-${randomUUID()}`;
  const options = {
    databaseUrl,
    taskQueue,
    playbooksDir: fastPlaybooks(['password-spray', 'compromised-account', 'notify-on-call']),
    extra: {
      logs: { pollMs: 100, files: [{ name: 'entra', path: file, kind: 'entra-signin', drill: true }] },
    },
  };
  const db = await openDb({ url: databaseUrl });
  const state = new DbLogState(db);
  const offset = async () =>
    ((await state.load())?.checkpoints.entra as { offset?: number } | undefined)?.offset;

  // 1. The first seven lines (normal traffic and four failed attempts) are read and checkpointed.
  writeFileSync(file, SPRAY.slice(0, 7).join('\n') + '\n');
  let reflex: TestReflex = await startTestReflex(options);
  try {
    await until('the first checkpoint', async () =>
      (await offset()) === statSync(file).size ? true : undefined,
    );
  } finally {
    await reflex.stop();
  }

  // 2. While Reflex is down: two more failures are written, then the log is rotated and the rest
  //    (the success that completes the spray, and more) goes to a new file.
  appendFileSync(file, SPRAY.slice(7, 9).join('\n') + '\n');
  renameSync(file, `${file}.1`);
  writeFileSync(file, SPRAY.slice(9).join('\n') + '\n');

  reflex = await startTestReflex(options);
  try {
    const incident = await until('the incident', async () => {
      const [found] = await reflex.incidents.list({ playbook: 'password-spray' });
      return found;
    });
    expect(incident).toMatchObject({
      drill: true,
      source: 'entra',
      alertTitle: 'Password spray from 203.0.113.116 succeeded for eva@files.example',
    });
    await until('the last checkpoint', async () =>
      (await offset()) === statSync(file).size ? true : undefined,
    );
    // Exactly one firing, one incident, one alert on it.
    expect(await reflex.incidents.list({ playbook: 'password-spray' })).toHaveLength(1);
    const firings = await db.query(`select delivery_id from webhook_deliveries where source = 'log-rules'`);
    expect(firings).toHaveLength(1);
    expect((await reflex.audit.events(incident.id)).filter((e) => e.kind.startsWith('alert.'))).toHaveLength(
      1,
    );

    // 3. Truncation: the file is cut and written again; reading starts over instead of stalling.
    truncateSync(file, 0);
    writeFileSync(file, SPRAY.slice(0, 2).join('\n') + '\n');
    await until('the checkpoint after truncation', async () =>
      (await offset()) === statSync(file).size ? true : undefined,
    );
  } finally {
    await reflex.stop();
    await db.close();
  }
}, 120_000);

test('a crash after delivering a firing but before saving its checkpoint does not deliver it twice', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'logs-crash-'));
  const file = join(dir, 'signins.jsonl');
  writeFileSync(file, SPRAY.join('\n') + '\n');
  const db = await openDb({});
  const deliveries = new WebhookDeliveries(db);
  const stored = new DbLogState(db);
  let failSave = true;
  const delivered: string[] = [];
  const logged: string[] = [];
  const options: ConstructorParameters<typeof LogTriggers>[0] = {
    rules: loadRules([SHIPPED_RULES]),
    files: [{ name: 'entra', path: file, format: 'jsonl', kind: 'entra-signin', drill: true }],
    store: {
      load: () => stored.load(),
      save: async (s: LogState) => {
        if (failSave) {
          failSave = false;
          throw new Error('the process died here');
        }
        await stored.save(s);
      },
    },
    sink: {
      claim: async (id) => (await deliveries.claim('log-rules', id)).first,
      release: (id) => deliveries.release('log-rules', id),
      deliver: async (alert) => void delivered.push(alert.title),
    },
    log: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }),
    pollMs: 60_000,
  };
  const triggers = new LogTriggers(options);
  await expect(triggers.cycle()).rejects.toThrow('the process died here');
  expect(delivered).toEqual(['Password spray from 203.0.113.116 succeeded for eva@files.example']);
  // "Restarted": a fresh runner loads the stored (older) state and reads the same lines again.
  const restarted = new LogTriggers(options);
  await restarted.start(); // its first cycle runs at once
  await restarted.stop();
  expect(delivered).toHaveLength(1);
  expect(logged.some((l) => l.includes('rule firing already delivered'))).toBe(true);
  expect(((await stored.load())?.checkpoints.entra as { offset?: number } | undefined)?.offset).toBe(
    statSync(file).size,
  );
  await db.close();
});

test('syslog over UDP (RFC 3164) and TCP (RFC 5424, octet-counted) reaches the rules', async () => {
  const reflex = await startTestReflex({
    playbooksDir: fastPlaybooks(['notify-on-call']),
    extra: {
      logs: {
        shippedRules: false,
        rules: [join(__dirname, 'fixtures/rules-syslog')],
        pollMs: 100,
        syslog: { udpPort: 0, tcpPort: 0, drill: true },
      },
    },
  });
  try {
    const ports = reflex.logTriggers!.syslogPorts;
    const udp = createSocket('udp4');
    const viaUdp =
      '<38>Mar  2 10:00:00 web-udp sshd[123]: Accepted password for root from 198.51.100.1 port 2222 ssh2';
    await new Promise<void>((done) => udp.send(viaUdp, ports.udp!, '127.0.0.1', () => done()));
    udp.close();
    const viaTcp =
      '<38>1 2026-03-02T10:00:01Z web-tcp sshd 456 - - Accepted password for root from 198.51.100.2 port 2222 ssh2';
    await new Promise<void>((done) => {
      const socket = connect(ports.tcp!, '127.0.0.1', () => {
        // Octet counting, then a newline-framed message that is not a root login.
        socket.end(
          `${Buffer.byteLength(viaTcp)} ${viaTcp}<38>1 2026-03-02T10:00:02Z web-tcp cron 7 - - job ran\n`,
        );
      });
      socket.on('close', () => done());
    });
    const titles = await until('both incidents', async () => {
      const list = await reflex.incidents.list({ playbook: 'notify-on-call' });
      return list.length >= 2 ? list.map((i) => i.alertTitle).sort() : undefined;
    });
    expect(titles).toEqual(['Root password login on web-tcp', 'Root password login on web-udp']);
  } finally {
    await reflex.stop();
  }
}, 60_000);

test('a syslog message or a file line reaches the rules without waiting for the next poll', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'logs-wake-'));
  const file = join(dir, 'auth.jsonl');
  writeFileSync(file, '');
  const delivered: string[] = [];
  const triggers = new LogTriggers({
    rules: loadRules([join(__dirname, 'fixtures/rules-syslog')]),
    files: [{ name: 'auth', path: file, format: 'jsonl', kind: 'syslog', drill: true }],
    syslog: { name: 'syslog', host: '127.0.0.1', tcpPort: 0, kind: 'syslog', drill: true },
    store: { load: async () => undefined, save: async () => undefined },
    sink: {
      claim: async () => true,
      release: async () => undefined,
      deliver: async (alert) => void delivered.push(alert.title),
    },
    log: pino({ level: 'silent' }),
    // The next poll a minute away: only a wake-up brings these lines in within the 20 s waited below.
    pollMs: 60_000,
  });
  await triggers.start();
  try {
    await new Promise<void>((done) => {
      const socket = connect(triggers.syslogPorts.tcp!, '127.0.0.1', () =>
        socket.end(
          '<38>1 2026-03-02T10:00:01Z web-wake sshd 456 - - Accepted password for root from 198.51.100.9\n',
        ),
      );
      socket.on('close', () => done());
    });
    await until('the syslog firing', async () => (delivered.length === 1 ? true : undefined), 20_000);
    appendFileSync(
      file,
      `${JSON.stringify({ app: 'sshd', host: 'file-wake', message: 'Accepted password for root from 198.51.100.10' })}\n`,
    );
    await until('the file firing', async () => (delivered.length === 2 ? true : undefined), 20_000);
    expect(delivered).toEqual(['Root password login on web-wake', 'Root password login on file-wake']);
  } finally {
    await triggers.stop();
  }
});

test('Entra sign-in and audit logs polled through Graph (paged, late records included) fire the rules once', async () => {
  const fake = await new EntraFake().start();
  fake.logPageSize = 4; // several pages per poll
  const databaseUrl = await freshDatabaseUrl('logs');
  const db = await openDb({ url: databaseUrl });
  // The spray, shifted to the last half hour (the first poll looks back an hour).
  const t0 = Date.now() - 30 * 60_000;
  const records = SPRAY.map((line, i) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    const offset = Date.parse(String(r.createdDateTime)) - Date.parse('2026-03-02T08:50:00Z');
    // Other people (and another address) than the file test's, whose incidents (same dedup keys)
    // are still open on this Temporal.
    const upn = String(r.userPrincipalName).replace('@files.example', '@graph.example');
    return {
      ...r,
      ...(r.ipAddress === '203.0.113.116' ? { ipAddress: '203.0.113.166' } : {}),
      id: `signin-${i}`,
      userPrincipalName: upn,
      createdDateTime: new Date(t0 + offset).toISOString(),
    };
  });
  fake.signIns.push(...records.slice(0, 5), records[6]!); // record 5 comes late
  const reflex = await startTestReflex({
    databaseUrl,
    entraUrl: fake.url,
    playbooksDir: fastPlaybooks([
      'password-spray',
      'compromised-account',
      'oauth-consent-or-inbox-rule',
      'notify-on-call',
    ]),
    extra: {
      logs: { pollMs: 100, graph: { signIns: true, directoryAudits: true, intervalSeconds: 1, drill: true } },
    },
  });
  try {
    const seen = async () =>
      (
        (await new DbLogState(db).load())?.checkpoints['entra-signins'] as
          { seen?: Array<[string, string]> } | undefined
      )?.seen?.map(([id]) => id) ?? [];
    await until('the first poll', async () => ((await seen()).length === 6 ? true : undefined));
    // Graph delivers late: record 5 shows up after the cursor passed its time, with the rest.
    fake.signIns.push(records[5]!, ...records.slice(7));
    fake.directoryAudits.push({
      id: 'audit-1',
      activityDateTime: new Date().toISOString(),
      activityDisplayName: 'Consent to application',
      category: 'ApplicationManagement',
      result: 'success',
      initiatedBy: { user: { userPrincipalName: 'joost@graph.example', ipAddress: '198.51.100.77' } },
      targetResources: [{ displayName: 'PDF Converter Pro', type: 'ServicePrincipal' }],
    });
    // A person enables the disabled app again: on-call hears of it (the app-re-enabled rule).
    fake.directoryAudits.push({
      id: 'audit-2',
      activityDateTime: new Date().toISOString(),
      activityDisplayName: 'Update service principal',
      category: 'ApplicationManagement',
      result: 'success',
      initiatedBy: { user: { userPrincipalName: 'mallory@graph.example', ipAddress: '198.51.100.78' } },
      targetResources: [
        {
          displayName: 'PDF Converter Pro',
          type: 'ServicePrincipal',
          modifiedProperties: [{ displayName: 'AccountEnabled', oldValue: '[false]', newValue: '[true]' }],
        },
      ],
    });
    const spray = await until('the spray incident', async () => {
      const [found] = await reflex.incidents.list({ playbook: 'password-spray' });
      return found;
    });
    expect(spray).toMatchObject({
      source: 'entra-signins',
      alertTitle: 'Password spray from 203.0.113.166 succeeded for eva@graph.example',
    });
    const consent = await until('the consent incident', async () => {
      const [found] = await reflex.incidents.list({ playbook: 'oauth-consent-or-inbox-rule' });
      return found;
    });
    expect(consent.alertTitle).toBe('joost@graph.example consented to PDF Converter Pro');
    const reEnabled = await until('the re-enabled incident', async () => {
      const found = await reflex.incidents.list({ playbook: 'notify-on-call' });
      return found.find((i) => i.source === 'entra-audit');
    });
    expect(reEnabled.alertTitle).toBe(
      'mallory@graph.example enabled the application PDF Converter Pro again',
    );
    // More polls change nothing: every record was read once.
    const polls = fake.logQueries.length;
    await until('more polls', async () => (fake.logQueries.length >= polls + 4 ? true : undefined));
    expect(await reflex.incidents.list({ playbook: 'password-spray' })).toHaveLength(1);
    expect(await db.query(`select 1 from webhook_deliveries where source = 'log-rules'`)).toHaveLength(3);
    expect(fake.logQueries.some((q) => decodeURIComponent(q).includes('$filter=createdDateTime ge '))).toBe(
      true,
    );
    expect(fake.logQueries.some((q) => q.includes('skiptoken'))).toBe(true);
    expect(await seen()).toContain('signin-5'); // the late record was read: the look-back found it
  } finally {
    await reflex.stop();
    await db.close();
    await fake.stop();
  }
}, 120_000);
