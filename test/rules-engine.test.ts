// The rule engine on its own: thresholds with distinct counts and a following success, plain counts,
// new values, CIDR and regex matches, state that survives an export and import, and rule files that
// fail with file, line and field. Plus `reflex rules test` on a password-spray log.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuleEngine, recordTime, type LogRecord } from '../triggers/logs/engine';
import { loadRules, RuleError } from '../triggers/logs/rules';

const SHIPPED = join(__dirname, '../triggers/rules');
const CLI = join(__dirname, '../dist/cli/main.js');
const SPRAY = join(__dirname, 'fixtures/logs/password-spray.jsonl');

const signIns = (): LogRecord[] =>
  readFileSync(SPRAY, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const fields = JSON.parse(line) as Record<string, unknown>;
      return { source: 'entra', kind: 'entra-signin', at: recordTime(fields), fields };
    });

test('the shipped rules load', () => {
  expect(
    loadRules([SHIPPED])
      .map((r) => r.rule.id)
      .sort(),
  ).toEqual([
    'app-re-enabled',
    'impossible-travel',
    'mass-download',
    'new-country-sign-in',
    'oauth-consent',
    'oauth-consent-m365',
    'password-spray',
    'suspicious-inbox-rule',
  ]);
});

test('a password spray fires once: five accounts failing from one IP, then a success', () => {
  const engine = new RuleEngine(loadRules([SHIPPED]));
  const firings = signIns().flatMap((r) => engine.process(r));
  expect(firings.map((f) => f.ruleId)).toEqual(['password-spray']);
  expect(firings[0]).toMatchObject({
    group: '203.0.113.66',
    count: 6,
    at: '2026-03-02T09:02:00.000Z',
    why: '6 different userPrincipalName for ipAddress 203.0.113.66 within 20m, then a matching record',
    alert: {
      type: 'password-spray-success',
      title: 'Password spray from 203.0.113.66 succeeded for eva@museum.example',
      severity: 'high',
      entities: { users: ['eva@museum.example'], ips: ['203.0.113.66'], hosts: [], apps: [], files: [] },
    },
  });
});

test('threshold state survives an export and import (a restart mid-file)', () => {
  const rules = loadRules([SHIPPED]);
  const records = signIns();
  const first = new RuleEngine(rules);
  const before = records.slice(0, 8).flatMap((r) => first.process(r));
  const saved = JSON.parse(JSON.stringify(first.exportState())) as ReturnType<RuleEngine['exportState']>;
  const second = new RuleEngine(rules);
  second.importState(saved);
  const after = records.slice(8).flatMap((r) => second.process(r));
  const whole = new RuleEngine(rules);
  const uninterrupted = records.flatMap((r) => whole.process(r));
  expect([...before, ...after].map((f) => f.firingId)).toEqual(uninterrupted.map((f) => f.firingId));
  expect(before).toHaveLength(0);
  expect(after).toHaveLength(1);
});

test('a thousand downloads by one user within 15 minutes fire; 999 do not', () => {
  const engine = new RuleEngine(loadRules([SHIPPED]));
  const t0 = Date.parse('2026-03-02T10:00:00Z');
  const download = (i: number, user = 'kees@museum.example'): LogRecord => ({
    source: 'm365',
    kind: 'm365-audit',
    at: t0 + i * 500,
    fields: { Operation: 'FileDownloaded', UserId: user, ClientIP: '192.0.2.44', Workload: 'SharePoint' },
  });
  const firings = Array.from({ length: 999 }, (_, i) => engine.process(download(i))).flat();
  expect(firings).toEqual([]);
  const fired = engine.process(download(999));
  expect(fired.map((f) => [f.ruleId, f.count, f.alert.title])).toEqual([
    ['mass-download', 1000, 'kees@museum.example downloaded 1000 files within 15 minutes'],
  ]);
  expect(engine.process(download(1000))).toEqual([]); // once per window
});

test('new values, CIDR and regex conditions', () => {
  const engine = new RuleEngine(loadRules([SHIPPED]));
  const signIn = (minute: number, country: string): LogRecord => ({
    source: 'entra',
    kind: 'entra-signin',
    at: Date.parse('2026-03-02T10:00:00Z') + minute * 60_000,
    fields: {
      userPrincipalName: 'anna@museum.example',
      ipAddress: '192.0.2.1',
      status: { errorCode: 0 },
      location: { countryOrRegion: country },
    },
  });
  expect(engine.process(signIn(0, 'NL'))).toEqual([]); // the baseline
  expect(engine.process(signIn(1, 'NL'))).toEqual([]);
  expect(engine.process(signIn(2, 'BR')).map((f) => f.why)).toEqual([
    'location.countryOrRegion BR is new for userPrincipalName anna@museum.example (seen before: NL)',
  ]);
  expect(engine.process(signIn(3, 'BR'))).toEqual([]);

  const inbox = engine.process({
    source: 'm365',
    kind: 'm365-audit',
    at: Date.now(),
    fields: {
      Operation: 'New-InboxRule',
      UserId: 'lisa@museum.example',
      ClientIP: '203.0.113.9',
      Parameters: [
        { Name: 'SubjectContainsWords', Value: 'Phishing;hacked' },
        { Name: 'DeleteMessage', Value: 'True' },
      ],
    },
  });
  expect(inbox.map((f) => f.ruleId)).toEqual(['suspicious-inbox-rule']);

  const [cidrRule] = loadRules([join(__dirname, 'fixtures/rules-syslog')]);
  const cidr = new RuleEngine([
    {
      file: 'inline',
      rule: {
        ...cidrRule!.rule,
        id: 'office-net',
        where: { ip: { cidr: ['10.0.0.0/8', '2001:db8::/32'] } },
      } as never,
    },
  ]);
  const at = (ip: string) =>
    cidr.process({ source: 's', kind: 'syslog', at: Date.now(), fields: { ip, host: 'h' } }).length;
  expect([
    at('10.1.2.3'),
    at('::ffff:10.1.2.3'),
    at('2001:db8::1'),
    at('192.0.2.1'),
    at('not-an-ip'),
  ]).toEqual([1, 1, 1, 0, 0]);
});

test('impossible travel: Amsterdam, then Lagos 40 minutes later; a rare application consent', () => {
  const engine = new RuleEngine(loadRules([SHIPPED]));
  const signIn = (minute: number, city: string, latitude: number, longitude: number): LogRecord => ({
    source: 'entra',
    kind: 'entra-signin',
    at: Date.parse('2026-03-02T10:00:00Z') + minute * 60_000,
    fields: {
      userPrincipalName: 'pieter@museum.example',
      ipAddress: '198.51.100.23',
      status: { errorCode: 0 },
      location: {
        city,
        countryOrRegion: city === 'Lagos' ? 'NG' : 'NL',
        geoCoordinates: { latitude, longitude },
      },
    },
  });
  expect(engine.process(signIn(0, 'Amsterdam', 52.37, 4.9))).toEqual([]);
  expect(engine.process(signIn(30, 'Utrecht', 52.09, 5.12))).toEqual([]); // near: not travel
  const fired = engine
    .process(signIn(70, 'Lagos', 6.45, 3.39))
    .filter((f) => f.ruleId === 'impossible-travel');
  expect(fired.map((f) => f.alert.title)).toEqual([
    'Impossible travel for pieter@museum.example: 5077 km from Utrecht to Lagos in 40 min (7616 km/h)',
  ]);
  expect(fired[0]!.alert.type).toBe('impossible-travel');
  // A day later the same trip is possible.
  expect(
    engine
      .process(signIn(70 + 24 * 60, 'Amsterdam', 52.37, 4.9))
      .filter((f) => f.ruleId === 'impossible-travel'),
  ).toEqual([]);

  const consent = (app: string): LogRecord => ({
    source: 'entra',
    kind: 'entra-audit',
    at: Date.now(),
    fields: {
      activityDisplayName: 'Consent to application',
      initiatedBy: { user: { userPrincipalName: 'joost@museum.example' } },
      targetResources: [{ displayName: app }],
    },
  });
  expect(engine.process(consent('PDF Converter Pro')).map((f) => f.ruleId)).toEqual(['oauth-consent']);
  expect(engine.process(consent('PDF Converter Pro'))).toEqual([]); // seen before: not rare
  expect(engine.process(consent('Mail Sync Helper')).map((f) => f.ruleId)).toEqual(['oauth-consent']);
});

test("an application a person enables again is reported; Reflex's own undo and a disable are not", () => {
  const engine = new RuleEngine(loadRules([SHIPPED]));
  const update = (initiatedBy: Record<string, unknown>, from: boolean, to: boolean): LogRecord => ({
    source: 'entra',
    kind: 'entra-audit',
    at: Date.now(),
    fields: {
      activityDisplayName: 'Update service principal',
      initiatedBy,
      targetResources: [
        {
          displayName: 'Mail Helper Pro',
          type: 'ServicePrincipal',
          modifiedProperties: [
            { displayName: 'AccountEnabled', oldValue: `[${from}]`, newValue: `[${to}]` },
            { displayName: 'Included Updated Properties', oldValue: null, newValue: '"AccountEnabled"' },
          ],
        },
      ],
    },
  });
  const admin = { user: { userPrincipalName: 'mallory@museum.example', ipAddress: '203.0.113.9' } };
  const [fired, ...more] = engine.process(update(admin, false, true));
  expect(more).toEqual([]);
  expect(fired).toMatchObject({
    ruleId: 'app-re-enabled',
    alert: {
      type: 'app-re-enabled',
      title: 'mallory@museum.example enabled the application Mail Helper Pro again',
      entities: { users: ['mallory@museum.example'], ips: ['203.0.113.9'], apps: ['Mail Helper Pro'] },
    },
  });
  expect(engine.process(update({ app: { displayName: 'Reflex', appId: 'reflex' } }, false, true))).toEqual(
    [],
  );
  expect(engine.process(update(admin, true, false))).toEqual([]);
});

test('a bad rule file fails with file, line and field, and loads nothing', () => {
  expect(() => loadRules([join(__dirname, 'fixtures/rules-invalid')])).toThrow(RuleError);
  try {
    loadRules([join(__dirname, 'fixtures/rules-invalid')]);
  } catch (err) {
    const message = (err as Error).message;
    const file = join(__dirname, 'fixtures/rules-invalid/bad.yaml');
    expect(message).toContain(`${file}:1: id: lowercase letters, digits and dashes`);
    expect(message).toContain(`${file}:7: window: a duration like 90s, 20m or 1h`);
    expect(message).toContain(`${file}:8: atLeast:`);
    expect(message).toContain(`${file}:10: where.status.errorCode`);
    expect(message).toContain(`${file}:14: alert.severity:`);
  }
});

test('reflex rules test prints what fires and why; --json gives one object per firing', () => {
  const text = spawnSync(process.execPath, [CLI, 'rules', 'test', SPRAY], {
    encoding: 'utf8',
    env: { ...process.env, REFLEX_CONFIG: '' },
  });
  expect(text.status).toBe(0);
  expect(text.stdout).toContain('2026-03-02T09:02:00.000Z  password-spray  [203.0.113.66]');
  expect(text.stdout).toContain(
    'why:   6 different userPrincipalName for ipAddress 203.0.113.66 within 20m, then a matching record',
  );
  expect(text.stdout).toContain('13 records, 8 rules, 1 firings.');

  const json = spawnSync(process.execPath, [CLI, 'rules', 'test', SPRAY, '--json', '--rules', SHIPPED], {
    encoding: 'utf8',
  });
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    rule: 'password-spray',
    time: '2026-03-02T09:02:00.000Z',
    group: '203.0.113.66',
    alert: { type: 'password-spray-success', source: 'rules-test' },
  });

  const bad = spawnSync(
    process.execPath,
    [CLI, 'rules', 'test', SPRAY, '--rules', join(__dirname, 'fixtures/rules-invalid')],
    { encoding: 'utf8' },
  );
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('bad.yaml:7: window');
  const missing = spawnSync(process.execPath, [CLI, 'rules', 'test', '/nonexistent.log'], {
    encoding: 'utf8',
  });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('/nonexistent.log: cannot read (ENOENT)');
});

test('a threshold counts records that arrive out of order (the Microsoft 365 audit log delivers blobs so)', () => {
  const download = (i: number, user = 'olga@museum.example'): LogRecord => {
    const at = Date.parse('2026-03-02T09:00:00Z') + i * 500;
    const fields = {
      Operation: 'FileDownloaded',
      UserId: user,
      ClientIP: '203.0.113.9',
      CreationTime: new Date(at).toISOString(),
    };
    return { source: 'm365', kind: 'm365-audit', at, fields };
  };
  const rules = loadRules([SHIPPED]);
  // The later half first, then the earlier half: the thousandth record read completes the window.
  const shuffled = [
    ...Array.from({ length: 500 }, (_, i) => download(500 + i)),
    ...Array.from({ length: 500 }, (_, i) => download(i)),
  ];
  const engine = new RuleEngine(rules);
  const firings = shuffled.flatMap((r) => engine.process(r));
  expect(firings.map((f) => [f.ruleId, f.count])).toEqual([['mass-download', 1000]]);
  expect(firings[0]!.at).toBe(new Date(download(499).at).toISOString());
  // 999 of them, in any order: nothing.
  const few = new RuleEngine(rules);
  expect(
    shuffled
      .slice(1)
      .reverse()
      .flatMap((r) => few.process(r)),
  ).toEqual([]);
  // A thousand spread over more than 15 minutes (one every second), in reverse: nothing.
  const spread = new RuleEngine(rules);
  const slow = Array.from({ length: 1000 }, (_, i) => download(i * 2, 'piet@museum.example')).reverse();
  expect(slow.flatMap((r) => spread.process(r))).toEqual([]);
});
