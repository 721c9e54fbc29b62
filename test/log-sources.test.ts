// Log sources on their own: a regex-parsed text log, lines only once complete, bad lines skipped;
// syslog in both RFC formats, with JSON bodies merged into the record; the Graph log poller honouring
// a 429's Retry-After.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTail } from '../triggers/logs/file-source';
import { parseSyslog } from '../triggers/logs/syslog';
import { GraphLogPoller } from '../triggers/logs/graph-source';
import { createGraphClient } from '../startup/graph-client';
import { EntraFake, entraSettingsFor } from './fakes/entra-fake';

test('a text log parsed by named groups; half-written lines wait; bad lines are counted, not fatal', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT ?? '/tmp', 'tail-'));
  const file = join(dir, 'vpn.log');
  const tail = new FileTail({
    name: 'vpn',
    path: file,
    format: 'regex',
    pattern: '^(?<time>\\S+) login (?<result>ok|fail) user=(?<user>\\S+) ip=(?<ip>\\S+)$',
    kind: 'vpn',
  });
  expect(await tail.poll()).toEqual([]); // no file yet: nothing, no error
  writeFileSync(
    file,
    '2026-03-02T10:00:00Z login fail user=anna ip=203.0.113.5\ngarbage line\n2026-03-02T10:00:01Z login ok us',
  );
  const first = await tail.poll();
  expect(first.map((r) => r.fields)).toEqual([
    { time: '2026-03-02T10:00:00Z', result: 'fail', user: 'anna', ip: '203.0.113.5' },
  ]);
  expect(first[0]!.at).toBe(Date.parse('2026-03-02T10:00:00Z'));
  expect(tail.skipped).toBe(1);
  appendFileSync(file, 'er=anna ip=203.0.113.5\n');
  expect((await tail.poll()).map((r) => r.fields.result)).toEqual(['ok']);
  expect(tail.position!.offset).toBe(
    Buffer.byteLength(
      '2026-03-02T10:00:00Z login fail user=anna ip=203.0.113.5\ngarbage line\n2026-03-02T10:00:01Z login ok user=anna ip=203.0.113.5\n',
    ),
  );
});

test('syslog: RFC 5424 with structured data, RFC 3164, JSON bodies, and what is neither', () => {
  expect(
    parseSyslog(
      '<165>1 2026-03-02T10:00:00.003Z mail.museum.example crm 8710 ID47 [exampleSDID@32473 iut="3" eventSource="App"] \uFEFFexport of 5000 records',
    ),
  ).toMatchObject({
    facility: 20,
    severity: 5,
    timestamp: '2026-03-02T10:00:00.003Z',
    host: 'mail.museum.example',
    app: 'crm',
    procId: '8710',
    msgId: 'ID47',
    structuredData: '[exampleSDID@32473 iut="3" eventSource="App"]',
    message: 'export of 5000 records',
  });
  expect(
    parseSyslog(
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      new Date('2026-11-22T00:00:00Z'),
    ),
  ).toMatchObject({
    facility: 4,
    severity: 2,
    timestamp: '2026-10-11T22:14:15.000Z',
    host: 'mymachine',
    app: 'su',
    message: "'su root' failed for lonvick on /dev/pts/8",
  });
  // A December message read in January belongs to last year.
  expect(parseSyslog('<13>Dec 31 23:59:00 h app: x', new Date('2027-01-01T00:05:00Z'))!.timestamp).toBe(
    '2026-12-31T23:59:00.000Z',
  );
  expect(
    parseSyslog(
      '<14>1 2026-03-02T10:00:00Z shipper entra - - - {"userPrincipalName":"anna@museum.example","status":{"errorCode":50126}}',
    ),
  ).toMatchObject({ app: 'entra', userPrincipalName: 'anna@museum.example', status: { errorCode: 50126 } });
  expect(parseSyslog('just some text')).toBeUndefined();
});

test('the Graph log poller waits out a 429 for its Retry-After, asking nothing meanwhile', async () => {
  const fake = await new EntraFake().start();
  try {
    const graph = createGraphClient(entraSettingsFor(fake.url))!;
    let clock = Date.now();
    const poller = new GraphLogPoller(
      { name: 'entra-signins', resource: 'signIns', intervalMs: 1000, lookbackMs: 3_600_000 },
      graph,
      () => clock,
    );
    fake.signIns.push({ id: 's-1', createdDateTime: new Date(clock - 60_000).toISOString() });
    fake.fail({ method: 'GET', path: /\/auditLogs\/signIns$/, status: 429, retryAfter: 90 });
    await expect(poller.poll()).rejects.toMatchObject({ statusCode: 429 });
    const asked = () => fake.graphCalls().filter((c) => c.path.endsWith('/auditLogs/signIns')).length;
    const before = asked();
    for (const seconds of [2, 30, 57]) {
      clock += seconds * 1000; // 89 s in all, each past the poll interval
      expect(await poller.poll()).toEqual([]);
    }
    expect(asked()).toBe(before);
    clock += 2000;
    expect((await poller.poll()).map((r) => r.fields.id)).toEqual(['s-1']);
  } finally {
    await fake.stop();
  }
});
