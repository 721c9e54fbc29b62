// Board sign-off of playbooks (issue 16, item 1): recorded by the CLI and from the board page, refused for
// an unknown playbook or version, quoted on the timelines of a drill and of a real run, flagged after an
// edit, "require approval when changed" enforced by the workflow, and a sign-off altered in the database
// named by `reflex audit verify`. Real Temporal, PostgreSQL, Chromium and the Graph fake.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { Client } from 'pg';
import { alertBody, auth, postSigned, startTestReflex, TOKENS, type TestReflex } from './helpers/reflex';
import { started, useEntraFake } from './helpers/bootstrap';
import { freshDatabaseUrl } from './helpers/postgres';
import { step, waitForState } from './helpers/incidents';
import { ARTIFACTS, launchBrowser } from './helpers/browser';
import { AuditStore } from '../storage/audit-store';
import { openDb } from '../storage/db';
import { SignOffStore } from '../storage/sign-offs';

const CLI = join(__dirname, '../dist/cli/main.js');
const KEY = 'sign-off-test-key-0123456789abcdefghij';
const fake = useEntraFake();
const browser: Browser = started(launchBrowser, (b) => b.close());

const PLAYBOOK = `id: signoff-test
version: 1
title: Sign-off test playbook
description: Signs the account out at once, then tells on-call.
triggers:
  - types: [signoff-test]
dedup:
  key: 'signoff-test:{{alert.externalId}}'
steps:
  - id: revoke-sessions
    description: Sign the account out everywhere
    action: entra.revokeSessions
    with:
      user: '{{entities.users.0}}'
  - id: tell-on-call
    description: Tell on-call
    notify: on-call
    to: '{{contacts.onCall}}'
`;

let databaseUrl: string;
let playbooksDir: string;
let configFile: string;
beforeAll(async () => {
  databaseUrl = await freshDatabaseUrl('signoff');
  const root = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'signoff-'));
  playbooksDir = join(root, 'playbooks');
  mkdirSync(playbooksDir);
  writeFileSync(join(playbooksDir, 'signoff-test.yaml'), PLAYBOOK);
  configFile = join(root, 'reflex.yaml');
  writeFileSync(
    configFile,
    `dataDir: ${join(root, 'data')}\nplaybooks:\n  shipped: false\n  dirs: [${playbooksDir}]\n  signOff:\n    secret: ${KEY}\n`,
  );
});

/** The `reflex` CLI against the test's configuration and database (async: the fakes run in this process). */
function reflexCli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', configFile], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => done({ code, out, err }));
  });
}

function startReflex(whenChanged: 'run-and-flag' | 'require-approval'): Promise<TestReflex> {
  return startTestReflex({
    databaseUrl,
    playbooksDir,
    entraUrl: fake.url,
    extra: {
      playbooks: { shipped: false, dirs: [playbooksDir], signOff: { secret: KEY, whenChanged } },
    },
  });
}

async function timelineText(reflex: TestReflex, id: string, kind?: string): Promise<string[]> {
  for (let i = 0; i < 80; i++) {
    const response = await fetch(`${reflex.url}/api/incidents/${id}/timeline`, { headers: auth('board') });
    if (response.status === 200) {
      const body = (await response.json()) as { entries: Array<{ text: string; kind: string }> };
      const lines = body.entries.filter((e) => !kind || e.kind === kind).map((e) => e.text);
      if (lines.length > 1 || (kind === undefined && lines.length)) return lines;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no timeline for ${id}`);
}

async function governanceEvents(): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      "select count(*)::int as n from audit_events where chain_id = 'governance'",
    );
    return (rows[0] as { n: number }).n;
  } catch {
    return 0; // no tables yet
  } finally {
    await db.end();
  }
}

const today = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'Europe/Amsterdam' }).format(
  new Date(),
);

test('the CLI refuses an unknown playbook or version and records nothing; a sign-off is listed', async () => {
  const unknown = await reflexCli(
    'playbooks',
    'approve',
    'no-such',
    '--version',
    '1',
    '--by',
    'A. de Vries',
    '--role',
    'chair',
  );
  expect(unknown.code).toBe(1);
  expect(unknown.err).toContain(
    'no playbook "no-such" is loaded (loaded: signoff-test); nothing was recorded',
  );
  const wrong = await reflexCli(
    'playbooks',
    'approve',
    'signoff-test',
    '--version',
    '2',
    '--by',
    'A. de Vries',
    '--role',
    'chair',
  );
  expect(wrong.code).toBe(1);
  expect(wrong.err).toContain('is at version 1, not 2');
  const noRole = await reflexCli(
    'playbooks',
    'approve',
    'signoff-test',
    '--version',
    '1',
    '--by',
    'A. de Vries',
  );
  expect(noRole.code).toBe(2);
  expect(await governanceEvents()).toBe(0);

  const before = await reflexCli('playbooks', 'approvals');
  expect(before.out).toContain('signoff-test@1\tNOT SIGNED OFF');

  const signed = await reflexCli(
    'playbooks',
    'approve',
    'signoff-test',
    '--version',
    '1',
    '--by',
    'A. de Vries',
    '--role',
    'chair',
  );
  expect(signed.err).toBe('');
  expect(signed.code).toBe(0);
  expect(signed.out).toMatch(
    /signed off signoff-test v1 \("Sign-off test playbook"\) by A\. de Vries, chair/,
  );
  expect(signed.out).toMatch(/content digest [0-9a-f]{64}/);
  expect(await governanceEvents()).toBe(1);
  const after = await reflexCli('playbooks', 'approvals');
  expect(after.code).toBe(0);
  expect(after.out).toMatch(
    /signoff-test@1\tsigned off by A\. de Vries \(chair\) on \d{4}-\d\d-\d\d via cli/,
  );
});

test('a real run and a drill quote the sign-off on their timelines', async () => {
  const reflex = await startReflex('run-and-flag');
  try {
    const user = fake.addUser({ userPrincipalName: 'signoff-real@museum.example' });
    const real = await postSigned(
      reflex.url,
      alertBody({ type: 'signoff-test', entities: { users: ['signoff-real@museum.example'] } }),
    );
    expect(real.status).toBe(202);
    const id = real.body.incidentId as string;
    await waitForState(reflex.gateway, id, (s) => s.status === 'contained');
    const quote = `Containment pre-approved by the board on ${today} (playbook signoff-test v1, signed off by A. de Vries, chair).`;
    expect(await timelineText(reflex, id, 'incident.started')).toContain(quote);
    expect(user.sessionsRevokedAt).toBeDefined();

    const drill = await fetch(`${reflex.url}/api/drills`, {
      method: 'POST',
      headers: { ...auth('responder'), 'content-type': 'application/json' },
      body: JSON.stringify({ playbook: 'signoff-test' }),
    });
    expect(drill.status).toBe(202);
    const drillId = ((await drill.json()) as { incidentId: string }).incidentId;
    await waitForState(reflex.gateway, drillId, (s) => s.status === 'contained');
    expect(await timelineText(reflex, drillId, 'incident.started')).toContain(quote);
    // In Dutch too.
    const nl = (await (
      await fetch(`${reflex.url}/api/incidents/${drillId}/timeline?lang=nl`, { headers: auth('board') })
    ).json()) as { entries: Array<{ text: string }> };
    expect(nl.entries.map((e) => e.text)).toContainEqual(
      expect.stringMatching(
        /^Inperking vooraf goedgekeurd door het bestuur op \d+ \S+ \d{4} \(draaiboek signoff-test v1, afgetekend door A\. de Vries, chair\)\.$/,
      ),
    );
  } finally {
    await reflex.stop();
  }
});

test('after an edit the playbook is flagged everywhere, and require-approval makes its pre-approved step ask on-call', async () => {
  writeFileSync(
    join(playbooksDir, 'signoff-test.yaml'),
    PLAYBOOK.replace('Sign the account out everywhere', 'Sign the account out everywhere (edited)'),
  );
  const reflex = await startReflex('require-approval');
  try {
    const standing = (await (
      await fetch(`${reflex.url}/api/playbooks/sign-offs`, { headers: auth('board') })
    ).json()) as {
      playbooks: Array<{ id: string; status: string; signOff?: { by: string } }>;
    };
    expect(standing.playbooks).toEqual([
      expect.objectContaining({
        id: 'signoff-test',
        status: 'changed',
        signOff: expect.objectContaining({ by: 'A. de Vries' }),
      }),
    ]);
    const cli = await reflexCli('playbooks', 'approvals');
    expect(cli.out).toContain('signoff-test@1\tCHANGED since v1 was signed off by A. de Vries (chair)');

    const user = fake.addUser({ userPrincipalName: 'signoff-changed@museum.example' });
    const id = (
      await postSigned(
        reflex.url,
        alertBody({ type: 'signoff-test', entities: { users: ['signoff-changed@museum.example'] } }),
      )
    ).body.incidentId as string;
    const state = await waitForState(
      reflex.gateway,
      id,
      (s) => step(s, 'revoke-sessions').status === 'awaiting-approval',
    );
    expect(step(state, 'revoke-sessions').approval!.allowed).toEqual(['oncall@museum.example']);
    expect(user.sessionsRevokedAt).toBeUndefined(); // nothing acted without a person
    const lines = await timelineText(reflex, id, 'incident.started');
    expect(lines).toContainEqual(
      `Not as pre-approved: playbook signoff-test has changed since the board signed off version 1 on ${today} (A. de Vries, chair). Every step that would have acted without a person asked on-call first.`,
    );
    // The readiness check names it, with its fix.
    const readiness = (await (
      await fetch(`${reflex.url}/api/readiness`, { headers: auth('admin') })
    ).json()) as {
      findings: Array<{ check: string; status: string; message: string; fix?: string }>;
    };
    expect(readiness.findings).toContainEqual(
      expect.objectContaining({
        check: 'sign-off signoff-test',
        status: 'problem',
        message: expect.stringContaining('has changed since the board signed off v1'),
        fix: expect.stringContaining('reflex playbooks approve signoff-test --version 1'),
      }),
    );

    // A board member signs the edited content off from the page, in a browser.
    const page = await browser.newPage();
    await page.goto(`${reflex.url}/board/playbooks`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Access token').fill(TOKENS.board);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${reflex.url}/board/playbooks`);
    await expect(page.locator('[data-standing]').textContent()).resolves.toBe('Changed since sign-off');
    await page.getByLabel('Your role').fill('treasurer');
    await page.screenshot({ path: join(ARTIFACTS, 'sign-off-page.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sign off version 1 as board-member' }).click();
    await page.getByText('Sign-off recorded.').waitFor();
    await expect(page.locator('[data-standing]').textContent()).resolves.toBe('Signed off');
    await expect(page.getByText('signed off by board-member, treasurer').count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'sign-off-recorded.png'), fullPage: true });
    // A second post of the same form (its CSRF token spent on another session) changes nothing.
    const replay = await fetch(`${reflex.url}/board/playbooks/signoff-test/sign-off`, {
      method: 'POST',
      headers: { ...auth('board'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'version=1&digest=' + '0'.repeat(64) + '&role=chair',
    });
    expect(replay.status).toBe(403);
    await page.close();

    // The next incident runs as pre-approved again.
    const next = (
      await postSigned(
        reflex.url,
        alertBody({ type: 'signoff-test', entities: { users: ['signoff-changed@museum.example'] } }),
      )
    ).body.incidentId as string;
    await waitForState(reflex.gateway, next, (s) => s.status === 'contained');
    expect(await timelineText(reflex, next, 'incident.started')).toContainEqual(
      expect.stringContaining('signed off by board-member, treasurer).'),
    );
  } finally {
    await reflex.stop();
  }
});

test('a sign-off altered in the database, or written without the key, is named by reflex audit verify', async () => {
  const intact = await reflexCli('audit', 'verify');
  expect(intact.out).toContain('audit trail intact');
  expect(intact.code).toBe(0);

  // Written without the installation's key: the chain is whole, the signature is not.
  const db = await openDb({ url: databaseUrl });
  try {
    const forger = new SignOffStore(new AuditStore(db), 'not-the-installation-key-0123456789abcdef');
    await forger.record({
      playbook: 'signoff-test',
      version: 1,
      title: 'Sign-off test playbook',
      digest: 'f'.repeat(64),
      by: 'Mallory',
      role: 'chair',
      at: new Date().toISOString(),
      via: 'cli',
    });
  } finally {
    await db.close();
  }
  const forged = await reflexCli('audit', 'verify');
  expect(forged.code).toBe(1);
  expect(forged.out).toMatch(
    /sign-off BROKEN in chain governance at event #3 \(governance:sign-off:signoff-test:[0-9a-f]+\): the sign-off of signoff-test v1 by Mallory fails its signature/,
  );
  const listed = await reflexCli('playbooks', 'approvals');
  expect(listed.out).toContain('signed off by board-member (treasurer)'); // Mallory's counts for nothing
  expect(listed.out).toMatch(/FORGED\tsignoff-test@1 "signed off by Mallory"/);

  // Edited in place: the chain no longer fits from that event on.
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  await pg.query(
    "update audit_events set content = replace(content, 'A. de Vries', 'B. Janssen') where chain_id = 'governance' and seq = 1",
  );
  await pg.end();
  const edited = await reflexCli('audit', 'verify');
  expect(edited.code).toBe(1);
  expect(edited.out).toMatch(
    /audit trail BROKEN in chain governance at event #1 \(governance:sign-off:signoff-test:[0-9a-f]+\): content does not match its hash/,
  );
  expect(readFileSync(configFile, 'utf8')).toContain(KEY); // the key never left the configuration
});
