// The Microsoft 365 unified audit log through the Office 365 Management Activity API, against a local
// HTTPS fake with tokens from the real @azure/identity credential: subscriptions started per content
// type, listings paged, content listed late still read, a malformed blob recorded and skipped, a 429
// honoured without a retry storm; and in a running Reflex, a mass download spread over blobs read across
// a restart in the middle fires its rule once, with every record counted exactly once.
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { freshDatabaseUrl } from './helpers/postgres';
import { startTestReflex } from './helpers/reflex';
import {} from './helpers/bootstrap';
import { fastPlaybooks } from './helpers/playbooks';
import { openDb } from '../storage/db';
import { DbLogState } from '../storage/log-state';
import { CLIENT_ID, CLIENT_SECRET, EntraFake, TENANT } from './fakes/entra-fake';
import {
  CONTENT_TYPES,
  ManagementActivityPoller,
  MANAGEMENT_API_SCOPE,
  type ManagementActivityOptions,
} from '../triggers/logs/management-activity';

const MINUTE = 60_000;

function poller(
  fake: EntraFake,
  { now, ...options }: Partial<ManagementActivityOptions> & { now?: () => number } = {},
) {
  const credential = new ClientSecretCredential(TENANT, CLIENT_ID, CLIENT_SECRET, {
    authorityHost: fake.url,
    disableInstanceDiscovery: true,
  });
  return new ManagementActivityPoller(
    {
      name: 'm365-audit',
      tenantId: TENANT,
      contentTypes: CONTENT_TYPES,
      baseUrl: fake.url,
      intervalMs: 0,
      lookbackMs: 60 * MINUTE,
      overlapMs: 30 * MINUTE,
      token: async () => (await credential.getToken(MANAGEMENT_API_SCOPE)).token,
      ...options,
    },
    now,
  );
}

/** A unified audit log record (the shape the API serves: CreationTime in UTC without a zone). */
function record(operation: string, user: string, at: number, extra: Record<string, unknown> = {}) {
  return {
    Id: randomUUID(),
    CreationTime: new Date(at).toISOString().slice(0, 19),
    Operation: operation,
    UserId: user,
    ClientIP: '203.0.113.240',
    Workload: 'SharePoint',
    RecordType: 6,
    ...extra,
  };
}

const ids = (records: Array<{ fields: Record<string, unknown> }>) => records.map((r) => String(r.fields.Id));

describe('the Management Activity API poller', () => {
  let fake: EntraFake;
  beforeEach(async () => {
    fake = await new EntraFake().start();
  });
  afterEach(() => fake.stop());

  test('starts a subscription per content type, pages listings, and reads content listed late', async () => {
    const feed = fake.feed;
    feed.subscriptions.set('Audit.Exchange', 'enabled'); // already running: not started again
    feed.pageSize = 2;
    const now = Date.now();
    const early = Array.from({ length: 5 }, (_, i) =>
      feed.addBlob(
        'Audit.SharePoint',
        [record('FileDownloaded', 'anna@m365.example', now - 40 * MINUTE + i)],
        {
          contentCreated: new Date(now - 20 * MINUTE + i * 1000).toISOString(),
        },
      ),
    );
    const exchange = feed.addBlob(
      'Audit.Exchange',
      [record('New-InboxRule', 'anna@m365.example', now - 5 * MINUTE, { Workload: 'Exchange' })],
      { contentCreated: new Date(now - MINUTE).toISOString() },
    );
    // Made available ten minutes ago, but not listed yet: the API lists some content late.
    const late = feed.addBlob(
      'Audit.SharePoint',
      [record('FileDownloaded', 'anna@m365.example', now - 3 * 3_600_000)],
      {
        contentCreated: new Date(now - 10 * MINUTE).toISOString(),
        hidden: true,
      },
    );
    const source = poller(fake);

    const first = await source.poll();
    expect(first).toHaveLength(6);
    expect(first.every((r) => r.kind === 'm365-audit' && r.source === 'm365-audit')).toBe(true);
    expect(first[0]!.at).toBe(Date.parse(`${String(first[0]!.fields.CreationTime)}Z`));
    // Started what was not running, with the tenant as publisher, and the token for manage.office.com.
    const starts = feed.requests.filter((r) => r.path.endsWith('/subscriptions/start'));
    expect(starts.map((r) => r.search.get('contentType')).sort()).toEqual([
      'Audit.AzureActiveDirectory',
      'Audit.General',
      'Audit.SharePoint',
    ]);
    expect(
      feed.requests.every((r) => r.rightAudience && r.search.get('PublisherIdentifier') === TENANT),
    ).toBe(true);
    const listings = feed.requests.filter(
      (r) => r.path.endsWith('/subscriptions/content') && r.search.get('contentType') === 'Audit.SharePoint',
    );
    expect(listings.length).toBe(3); // 5 blobs, 2 a page
    expect(feed.fetched()).toEqual([exchange.contentId, ...early.map((b) => b.contentId)]);

    late.hidden = false;
    const second = await source.poll();
    // The look-back finds it; nothing read before is read again.
    expect(ids(second)).toEqual(ids([{ fields: late.records[0] as Record<string, unknown> }]));
    expect(await source.poll()).toEqual([]);
    expect(new Set(feed.fetched()).size).toBe(feed.fetched().length);
  });

  test('a malformed blob is recorded and skipped; a blob that cannot be fetched stops the cursor before it', async () => {
    const feed = fake.feed;
    const now = Date.now();
    const at = (minutesAgo: number) => ({
      contentCreated: new Date(now - minutesAgo * MINUTE).toISOString(),
    });
    const user = 'bram@m365.example';
    const first = feed.addBlob('Audit.SharePoint', [record('FileDownloaded', user, now)], at(9));
    feed.addBlob('Audit.SharePoint', '{"not": "a list"', at(8));
    feed.addBlob(
      'Audit.SharePoint',
      [{ Operation: 'no time' }, 'text', record('FileDownloaded', user, now)],
      at(7),
    );
    const down = feed.addBlob('Audit.SharePoint', [record('FileDownloaded', user, now)], {
      ...at(6),
      unavailable: true,
    });
    const after = feed.addBlob('Audit.SharePoint', [record('FileDownloaded', user, now)], at(5));
    const source = poller(fake, { contentTypes: ['Audit.SharePoint'] });

    expect(await source.poll()).toHaveLength(2);
    expect(source.takeSkipped()).toEqual({
      records: 3, // the malformed blob, and two records that are not records
      reason: expect.stringMatching(/not JSON.*records without an object shape or a CreationTime/),
    });
    // The cursor stops before the blob it could not read: the one after it waits too.
    expect(feed.fetched()).not.toContain(after.contentId);
    expect(source.position['Audit.SharePoint']!.from <= down.contentCreated).toBe(true);

    down.unavailable = false;
    expect((await source.poll()).map((r) => r.fields.Id)).toEqual([
      (down.records as Array<{ Id: string }>)[0]!.Id,
      (after.records as Array<{ Id: string }>)[0]!.Id,
    ]);
    expect(feed.fetched().filter((id) => id === first.contentId)).toHaveLength(1);
    expect(source.takeSkipped()).toBeUndefined();
  });

  test('a 429 is honoured for the whole feed: no request until Retry-After has passed', async () => {
    const feed = fake.feed;
    let clock = Date.now();
    const source = poller(fake, { contentTypes: ['Audit.General'], now: () => clock });
    feed.addBlob('Audit.General', [record('FileDownloaded', 'carol@m365.example', clock)], {
      contentCreated: new Date(clock - MINUTE).toISOString(),
    });
    feed.throttle = { times: 1, retryAfter: 120 };
    await expect(source.poll()).rejects.toThrow(/429/);
    const asked = feed.requests.length;
    for (const seconds of [1, 30, 88]) {
      clock += seconds * 1000; // 119 s in all
      expect(await source.poll()).toEqual([]);
    }
    expect(feed.requests.length).toBe(asked); // waited, asked nothing
    clock += 2000;
    expect(await source.poll()).toHaveLength(1);
  });

  test('a content address on another host gets no token', async () => {
    const feed = fake.feed;
    feed.addBlob('Audit.General', [record('FileDownloaded', 'dirk@m365.example', Date.now())], {
      contentCreated: new Date(Date.now() - MINUTE).toISOString(),
      contentUri: 'https://attacker.example/steal',
    });
    const source = poller(fake, { contentTypes: ['Audit.General'] });
    expect(await source.poll()).toEqual([]);
    expect(source.takeSkipped()).toEqual({
      records: 1,
      reason: expect.stringContaining('contentUri points outside'),
    });
  });
});

test('in a running Reflex: a mass download spread over blobs, read across a restart, fires once with every record counted once', async () => {
  const fake = await new EntraFake().start();
  const feed = fake.feed;
  const databaseUrl = await freshDatabaseUrl('m365');
  const db = await openDb({ url: databaseUrl });
  const user = `erik-${randomUUID().slice(0, 8)}@m365.example`;
  // Records from three hours ago (the log delivers hours late), all inside one 15-minute window.
  const t0 = Date.now() - 3 * 3_600_000;
  const downloads = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => record('FileDownloaded', user, t0 + (from + i) * 500));
  const now = Date.now();
  const available = (minutesAgo: number) => ({
    contentCreated: new Date(now - minutesAgo * MINUTE).toISOString(),
  });
  feed.addBlob('Audit.SharePoint', downloads(400, 0), available(30));
  feed.addBlob('Audit.SharePoint', downloads(300, 400), available(25));
  feed.addBlob('Audit.SharePoint', 'garbage', available(24));
  const options = {
    databaseUrl,
    entraUrl: fake.url,
    taskQueue: `test-${randomUUID()}`,
    playbooksDir: fastPlaybooks(['mass-export', 'notify-on-call']),
    extra: {
      logs: {
        pollMs: 100,
        m365Audit: {
          baseUrl: fake.url,
          contentTypes: ['Audit.SharePoint'],
          intervalSeconds: 1,
          maxBlobsPerPoll: 1,
          drill: true,
        },
      },
    },
  };
  let reflex = await startTestReflex(options);
  const cursor = async () =>
    (await new DbLogState(db).load())?.checkpoints['m365-audit'] as
      { 'Audit.SharePoint'?: { done: unknown[] } } | undefined;
  const until = async (what: string, probe: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    // One blob a poll: stop in the middle, after the first blob's records were evaluated and saved.
    await until(
      'the first blob',
      async () => ((await cursor())?.['Audit.SharePoint']?.done.length ?? 0) >= 1,
    );
    await reflex.stop();
    const fetchedBefore = feed.fetched().length;
    const last = feed.addBlob('Audit.SharePoint', downloads(250, 700), available(20));
    // Listed late, with a time already behind the cursor: the look-back finds it. 1,000 in all.
    feed.addBlob('Audit.SharePoint', downloads(50, 950), available(28));
    reflex = await startTestReflex(options);
    await until(
      'the incident',
      async () => (await reflex.incidents.list({ playbook: 'mass-export' })).length > 0,
    );
    await until('every blob', async () => ((await cursor())?.['Audit.SharePoint']?.done.length ?? 0) >= 5);
    const [incident] = await reflex.incidents.list({ playbook: 'mass-export' });
    expect(incident!.alertTitle).toBe(`${user} downloaded 1000 files within 15 minutes`);
    // It fired on the very last record read, the thousandth: none was lost (it would not have fired)
    // and none counted twice across the restart (it would have fired on an earlier one).
    const [received] = await db.query<{ content: string }>(
      `select content from audit_events where kind = 'alert.received' and content like $1`,
      [`%${user}%`],
    );
    const lastRecord = (last.records as Array<{ CreationTime: string }>).at(-1)!;
    expect(JSON.parse(received!.content).occurredAt).toBe(
      new Date(`${lastRecord.CreationTime}Z`).toISOString(),
    );
    expect(await reflex.incidents.list({ playbook: 'mass-export' })).toHaveLength(1);
    // No blob fetched twice; the malformed one recorded on the intake chain.
    expect(new Set(feed.fetched()).size).toBe(feed.fetched().length);
    expect(fetchedBefore).toBeGreaterThanOrEqual(1);
    const skipped = await db.query<{ content: string }>(
      `select content from audit_events where kind = 'log.skipped'`,
    );
    expect(skipped.map((r) => r.content).join()).toContain('not JSON');
  } finally {
    await reflex.stop();
    await db.close();
    await fake.stop();
  }
}, 120_000);

test('in a running Reflex: an inbox rule (Audit.Exchange) and a consent (Audit.AzureActiveDirectory) reach their playbook', async () => {
  const fake = await new EntraFake().start();
  const feed = fake.feed;
  const databaseUrl = await freshDatabaseUrl('m365');
  const suffix = randomUUID().slice(0, 8);
  const hider = `femke-${suffix}@m365.example`;
  const consenter = `gijs-${suffix}@m365.example`;
  const appObjectId = randomUUID();
  const minutesAgo = (n: number) => ({ contentCreated: new Date(Date.now() - n * MINUTE).toISOString() });
  feed.addBlob(
    'Audit.Exchange',
    [
      record('New-InboxRule', hider, Date.now() - 20 * MINUTE, {
        Workload: 'Exchange',
        RecordType: 1,
        Parameters: [
          { Name: 'SubjectContainsWords', Value: 'phishing;gehackt' },
          { Name: 'DeleteMessage', Value: 'True' },
        ],
      }),
    ],
    minutesAgo(10),
  );
  feed.addBlob(
    'Audit.AzureActiveDirectory',
    [
      record('Consent to application.', consenter, Date.now() - 15 * MINUTE, {
        Workload: 'AzureActiveDirectory',
        RecordType: 8,
        ObjectId: appObjectId,
      }),
    ],
    minutesAgo(9),
  );
  const reflex = await startTestReflex({
    databaseUrl,
    entraUrl: fake.url,
    playbooksDir: fastPlaybooks(['oauth-consent-or-inbox-rule', 'notify-on-call']),
    extra: {
      logs: { pollMs: 100, m365Audit: { baseUrl: fake.url, intervalSeconds: 1, drill: true } },
    },
  });
  try {
    const deadline = Date.now() + 30_000;
    let found: Awaited<ReturnType<typeof reflex.incidents.list>> = [];
    while (found.length < 2 && Date.now() < deadline) {
      found = await reflex.incidents.list({ playbook: 'oauth-consent-or-inbox-rule' });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(found.map((i) => [i.source, i.alertTitle]).sort()).toEqual([
      ['m365-audit', `Suspicious inbox rule created by ${hider}`],
      ['m365-audit', `${consenter} consented to the application ${appObjectId}`],
    ]);
    // Every content type subscribed, each with the Management API's own token.
    expect([...feed.subscriptions.keys()].sort()).toEqual([...CONTENT_TYPES].sort());
    expect(feed.requests.every((r) => r.rightAudience)).toBe(true);
  } finally {
    await reflex.stop();
    await fake.stop();
  }
}, 60_000);
