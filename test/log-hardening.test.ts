// Log triggers against records an attacker writes (issue 12, items 1, 9 and 10): grouping values such as
// `__proto__` or `constructor` are values like any other (also in saved state), a record that cannot be
// evaluated is skipped and recorded while the next ones go on, the syslog queue is bounded and its drops
// recorded, rule state grows only with matching records, expires and is capped, and a line longer than
// a read cannot stop a file from being read.
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../common/logger';
import { RuleEngine, type LogRecord } from '../triggers/logs/engine';
import { ruleSchema, type LoadedRule } from '../triggers/logs/rules';
import { FileTail, MAX_BATCH_BYTES } from '../triggers/logs/file-source';
import { LogTriggers, type LogState, type TroubleRecorder } from '../triggers/logs/runner';
import type { Alert } from '../workflows/model/alert';
import { rulesCommand } from '../cli/commands/rules';

const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const rule = (definition: Record<string, unknown>): LoadedRule => ({
  file: 'test.yaml',
  rule: ruleSchema.parse({
    version: 1,
    title: 'test',
    description: 'test',
    alert: {
      type: 'test',
      title: '{{user}} ({{group}})',
      severity: 'high',
      entities: { users: ['{{user}}'] },
    },
    ...definition,
  }),
});
const failures = rule({
  id: 'ssh-failures',
  kind: 'threshold',
  where: { result: { equals: 'fail' } },
  groupBy: 'user',
  atLeast: 3,
  window: '10m',
});
const T0 = Date.parse('2026-12-01T10:00:00Z');
const record = (fields: Record<string, unknown>, seconds = 0): LogRecord => ({
  source: 'test',
  kind: 'log',
  at: T0 + seconds * 1000,
  fields,
});

test.each(HOSTILE)('a group named %s is counted like any other, and saved and loaded again', (user) => {
  const newValue = rule({ id: 'new-ip', kind: 'new-value', groupBy: 'user', field: 'ip' });
  const travel = rule({ id: 'travel', kind: 'travel', groupBy: 'user', latitude: 'lat', longitude: 'lon' });
  const engine = new RuleEngine([failures, newValue, travel]);
  const fired = [0, 1, 2].flatMap((i) =>
    engine.process(record({ user, result: 'fail', ip: `192.0.2.${i}`, lat: 52.37, lon: 4.9 + i * 10 }, i)),
  );
  expect(fired.map((f) => f.ruleId).sort()).toEqual(['new-ip', 'new-ip', 'ssh-failures', 'travel', 'travel']);
  expect(fired.find((f) => f.ruleId === 'ssh-failures')).toMatchObject({ group: user, count: 3 });
  // Saved as JSON and loaded into a fresh engine: the group is still that user's, and nothing else's.
  const restored = new RuleEngine([failures, newValue, travel]);
  restored.importState(JSON.parse(JSON.stringify(engine.exportState())));
  expect(restored.process(record({ user, result: 'fail', ip: '192.0.2.0' }, 3))).toEqual([]);
  expect(restored.process(record({ user: 'someone-else', result: 'fail' }, 3))).toEqual([]);
  expect(Object.prototype).not.toHaveProperty('events');
});

test('state saved by the earlier version (groups as object keys) loads, hostile keys included', () => {
  const engine = new RuleEngine([failures]);
  engine.importState(
    JSON.parse(
      `{"threshold":{"ssh-failures":{"__proto__":{"events":[[${T0},""],[${T0 + 1000},""]]}}},"seen":{}}`,
    ),
  );
  expect(engine.process(record({ user: '__proto__', result: 'fail' }, 2))[0]).toMatchObject({ count: 3 });
});

test('a value that String() cannot convert does not stop the engine', () => {
  const engine = new RuleEngine([failures]);
  const hostile = { toString: 1, valueOf: 1 };
  expect(() => engine.process(record({ user: hostile, result: hostile }))).not.toThrow();
});

test('`reflex rules test` reads hostile records to the end', () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'rules-'));
  const log = join(dir, 'hostile.jsonl');
  writeFileSync(
    log,
    [...HOSTILE, 'anna', 'anna', 'anna'].map((user) => JSON.stringify({ user, result: 'fail' })).join('\n'),
  );
  const rules = join(dir, 'rule.yaml');
  writeFileSync(
    rules,
    'id: ssh-failures\nversion: 1\ntitle: t\ndescription: d\nkind: threshold\nwhere: { result: { equals: fail } }\ngroupBy: user\natLeast: 3\nwindow: 10m\nalert: { type: t, title: "{{user}}", severity: high }\n',
  );
  const out: string[] = [];
  const err: string[] = [];
  const code = rulesCommand(['test', log], { rules }, [], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  expect(code).toBe(0);
  expect(err).toEqual([]);
  expect(out.join('\n')).toContain('9 records, 1 rules, 1 firings');
});

test('rule state grows only with matching records, expires when empty, and is capped', () => {
  const engine = new RuleEngine([failures], { maxGroupsPerRule: 100 });
  // 5,000 records the rule does not match: no state at all.
  for (let i = 0; i < 5_000; i++) engine.process(record({ user: `u${i}`, result: 'ok' }));
  expect(engine.exportState().threshold).toEqual([]);
  // 150 matching groups: at most 100 kept, the oldest 50 dropped and counted.
  for (let i = 0; i < 150; i++) engine.process(record({ user: `m${i}`, result: 'fail' }, i));
  const groups = engine.exportState().threshold[0]![1];
  expect(groups).toHaveLength(100);
  expect(groups[0]![0]).toBe('m50');
  expect(engine.evicted).toBe(50);
  // An hour later every group's window is empty: they expire when the state is saved.
  engine.process(record({ user: 'late', result: 'ok' }, 3600));
  expect(engine.exportState().threshold[0]![1]).toEqual([]);
});

test('a line longer than a read is skipped and counted; the lines after it are read', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'long-line-'));
  const path = join(dir, 'app.jsonl');
  writeFileSync(path, `${JSON.stringify({ user: 'a', pad: 'x'.repeat(MAX_BATCH_BYTES + 1000) })}\n`);
  appendFileSync(path, `${JSON.stringify({ user: 'after', result: 'fail' })}\n`);
  const tail = new FileTail({ name: 'app', path, format: 'jsonl', kind: 'log' });
  const read: LogRecord[] = [];
  for (let i = 0; i < 5 && read.length === 0; i++) read.push(...(await tail.poll()));
  expect(read.map((r) => r.fields.user)).toEqual(['after']);
  expect(tail.takeSkipped()).toEqual({ records: 1, reason: `a line longer than ${MAX_BATCH_BYTES} bytes` });
  // A restart mid-line resumes skipping, rather than taking the rest of it for a line.
  writeFileSync(path, `${'y'.repeat(MAX_BATCH_BYTES + 10)}\n${JSON.stringify({ user: 'next' })}\n`);
  const fresh = new FileTail({ name: 'app', path, format: 'jsonl', kind: 'log' });
  expect(await fresh.poll()).toEqual([]);
  const resumed = new FileTail({ name: 'app', path, format: 'jsonl', kind: 'log' }, fresh.position);
  expect((await resumed.poll()).map((r) => r.fields.user)).toEqual(['next']);
  expect(resumed.skipped).toBe(0);
});

/** A runner over syslog, with delivered alerts and recorded trouble kept for the test. */
async function syslogRunner(options: { engine?: RuleEngine; maxQueuedRecords?: number } = {}) {
  const delivered: Alert[] = [];
  const trouble: Array<Parameters<TroubleRecorder>[0]> = [];
  let state: LogState | undefined;
  const sshRule = rule({
    id: 'ssh-invalid-user',
    kind: 'threshold',
    where: { message: { matches: 'Invalid user' } },
    groupBy: 'user',
    atLeast: 1,
    window: '10m',
  });
  const triggers = new LogTriggers({
    rules: [sshRule],
    files: [],
    syslog: { name: 'syslog', host: '127.0.0.1', udpPort: 0, kind: 'syslog', drill: false },
    store: { load: async () => state, save: async (s) => void (state = s) },
    sink: {
      claim: async () => true,
      release: async () => undefined,
      deliver: async (alert) => void delivered.push(alert),
    },
    log: createLogger({ level: 'silent' }),
    pollMs: 3_600_000, // cycles run when the test says
    onTrouble: async (t) => void trouble.push(t),
    ...options,
  });
  await triggers.start();
  const socket = createSocket('udp4');
  const send = (user: string) =>
    new Promise<void>((done) =>
      socket.send(
        `<38>Dec  1 10:00:00 museum-gw sshd[42]: {"message":"Invalid user ${user} from 203.0.113.9","user":"${user}"}`,
        triggers.syslogPorts.udp!,
        '127.0.0.1',
        () => done(),
      ),
    );
  const settle = () => new Promise((r) => setTimeout(r, 200));
  return {
    triggers,
    delivered,
    trouble,
    send,
    settle,
    async stop() {
      socket.close();
      await triggers.stop();
    },
  };
}

test('"Invalid user constructor" over syslog does not stop the records after it', async () => {
  const run = await syslogRunner();
  try {
    await run.send('constructor');
    await run.send('__proto__');
    await run.send('anna');
    await run.settle();
    await run.triggers.cycle();
    expect(run.delivered.map((a) => a.entities.users[0])).toEqual(['constructor', '__proto__', 'anna']);
  } finally {
    await run.stop();
  }
});

test('a record that cannot be evaluated is skipped and recorded, and the next one is evaluated', async () => {
  class Fussy extends RuleEngine {
    override process(r: LogRecord) {
      if (r.fields.user === 'poison') throw new Error('cannot evaluate this record');
      return super.process(r);
    }
  }
  const fussy = await syslogRunner({
    engine: new Fussy([rule({ id: 'any', kind: 'match', where: { message: { matches: 'Invalid user' } } })]),
  });
  try {
    await fussy.send('poison');
    await fussy.send('anna');
    await fussy.settle();
    await fussy.triggers.cycle();
    expect(fussy.delivered.map((a) => a.entities.users[0])).toEqual(['anna']);
    expect(fussy.trouble).toEqual([
      {
        kind: 'skipped',
        source: 'syslog',
        records: 1,
        reason: 'could not be evaluated: cannot evaluate this record',
      },
    ]);
    // Skipped is skipped: the next cycle does not try it again.
    await fussy.triggers.cycle();
    expect(fussy.delivered).toHaveLength(1);
  } finally {
    await fussy.stop();
  }
});

test('the syslog queue is bounded: what does not fit is dropped, counted and recorded', async () => {
  const run = await syslogRunner({ maxQueuedRecords: 5 });
  try {
    for (let i = 0; i < 20; i++) await run.send(`user${i}`);
    await run.settle();
    await run.triggers.cycle();
    expect(run.delivered).toHaveLength(5);
    expect(run.trouble).toEqual([
      {
        kind: 'dropped',
        source: 'syslog',
        records: 15,
        reason: 'the queue of records waiting to be evaluated was full',
      },
    ]);
  } finally {
    await run.stop();
  }
});

test('rule groups forgotten at the cap are counted and recorded', async () => {
  const threshold = rule({
    id: 'many',
    kind: 'threshold',
    where: { message: { matches: 'Invalid user' } },
    groupBy: 'user',
    atLeast: 3,
    window: '10m',
  });
  const run = await syslogRunner({ engine: new RuleEngine([threshold], { maxGroupsPerRule: 3 }) });
  try {
    for (let i = 0; i < 5; i++) await run.send(`user${i}`);
    await run.settle();
    await run.triggers.cycle();
    expect(run.trouble).toEqual([
      {
        kind: 'dropped',
        source: 'rules',
        records: 2,
        reason: 'rule groups forgotten, oldest first: a rule held more groups than its cap',
      },
    ]);
    await run.triggers.cycle(); // recorded once
    expect(run.trouble).toHaveLength(1);
  } finally {
    await run.stop();
  }
});
