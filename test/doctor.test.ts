// `reflex doctor` as a real process against the HTTPS Graph fake (Reflex's own service principal and
// its app-role assignments on Microsoft Graph), a loopback SMTP server and the test Temporal: a
// missing permission, an escalation that asks nobody new, SMTP down and placeholder contacts are
// each named with a fix (exit 1); all in order, with a test message, exits 0; without Graph
// credentials the other checks still run and it says which could not; a running server answers
// GET /api/readiness for admins and puts the findings in its metrics.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/load';
import { withRecords } from '../startup/governance';
import { auditEvent } from '../workflows/model/audit-events';
import { join } from 'node:path';
import { DemoMailbox } from '../mail/demo-mailbox';
import { loadConfiguredPlaybooks } from '../startup/playbooks';
import { configSchema } from '../config/schema';
import { permissionsNeeded } from '../playbooks/permissions';
import { freePort } from './helpers/ports';
import { auth, startTestReflex } from './helpers/reflex';
import { fastPlaybooks } from './helpers/playbooks';
import {} from './helpers/bootstrap';
import { CLIENT_ID, CLIENT_SECRET, EntraFake, TENANT } from './fakes/entra-fake';

const CLI = join(__dirname, '../dist/cli/main.js');
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

let fake: EntraFake;
let relay: DemoMailbox;
beforeAll(async () => {
  fake = await new EntraFake().start();
  relay = await DemoMailbox.start();
});
afterAll(async () => {
  await fake.stop();
  await relay.close();
});

/** Runs `reflex doctor` (asynchronously: the fakes live in this process). */
function doctor(configFile: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{
    code: number | null;
    out: string;
    json: { problems: number; findings: Array<Record<string, string>> };
  }>((done) => {
    const child = spawn(process.execPath, [CLI, 'doctor', '--config', configFile, '--json', ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: '', SMTP_URL: '', DATABASE_URL: '', ...env },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => done({ code, out, json: JSON.parse(out.slice(out.indexOf('{'))) }));
  });
}

/** A configuration with a playbook of its own whose escalation goes to the people already asked. */
function setUp(yaml: string) {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'doctor-'));
  mkdirSync(join(dir, 'playbooks'));
  writeFileSync(
    join(dir, 'playbooks', 'block-account.yaml'),
    `id: block-account
version: 1
title: Block an account
description: Blocks the account after on-call approves.
triggers:
  - types: [doctor-test]
steps:
  - id: block
    description: Block the account
    action: entra.disableAccount
    with:
      user: '{{entities.users.0}}'
    approval:
      approvers: [on-call]
      timeout: 30m
      onTimeout: skip
      escalation:
        - after: 10m
          approvers: [duty]
`,
  );
  const file = join(dir, 'reflex.yaml');
  writeFileSync(
    file,
    `dataDir: ${JSON.stringify(join(dir, 'data'))}\nplaybooks:\n  shipped: [compromised-account]\n  dirs: [${JSON.stringify(join(dir, 'playbooks'))}]\n${yaml}`,
  );
  return file;
}

/**
 * The record of a prepared installation, in its embedded database: the board signed off every playbook
 * and each was drilled `drilledDaysAgo` days ago (a drill's events, as its workflow writes them).
 */
async function prepareRecord(file: string, drilledDaysAgo = 30) {
  const { config, source } = loadConfig({ file });
  const playbooks = loadConfiguredPlaybooks(config, source);
  await withRecords(config, playbooks, async ({ governance, audit }) => {
    for (const p of playbooks) {
      await governance.signOff({
        playbook: p.definition.id,
        version: p.definition.version,
        by: 'A. de Vries',
        role: 'chair',
        via: 'cli',
      });
      const chainId = `${p.definition.id}-drill-${randomUUID().slice(0, 12)}`;
      const at = new Date(Date.now() - drilledDaysAgo * 86_400_000).toISOString();
      const event = { chainId, at, actor: 'reflex' };
      await audit.append([
        auditEvent('drill.started', { ...event, eventId: `${chainId}:1`, content: { note: 'DRILL' } }),
        auditEvent('incident.started', {
          ...event,
          eventId: `${chainId}:2`,
          content: {
            playbook: { id: p.definition.id, version: p.definition.version, title: p.definition.title },
            description: '',
          },
        }),
      ]);
    }
  });
}

const entra = () =>
  `entra:\n  tenantId: ${TENANT}\n  clientId: ${CLIENT_ID}\n  clientSecret: ${CLIENT_SECRET}\n  authorityHost: ${fake.url}\n  graphBaseUrl: ${fake.url}\n`;

/** Reflex's service principal holding exactly `granted` on Microsoft Graph. */
function grant(granted: readonly string[]) {
  fake.servicePrincipals.clear();
  fake.assignments.length = 0;
  const roles = [...new Set([...granted, 'User.ReadWrite.All', 'Application.Read.All'])].map((value) => ({
    id: randomUUID(),
    value,
    allowedMemberTypes: ['Application'],
  }));
  const graph = fake.addServicePrincipal('Microsoft Graph', { appId: GRAPH_APP_ID, appRoles: roles });
  const reflex = fake.addServicePrincipal('Reflex', { appId: CLIENT_ID });
  for (const value of granted) {
    fake.addAssignment({
      principalId: reflex.id,
      principalType: 'ServicePrincipal',
      resourceId: graph.id,
      appRoleId: roles.find((r) => r.value === value)!.id,
    });
  }
}

function needed(file: string) {
  const config = configSchema.parse({
    playbooks: { shipped: ['compromised-account'], dirs: [join(file, '../playbooks')] },
    contacts: { groups: { duty: ['a@museum.example'] } },
  });
  return permissionsNeeded(loadConfiguredPlaybooks(config));
}

test('each problem is named with its fix: a permission missing, an escalation to nobody new, SMTP down, placeholders', async () => {
  const smtpDown = await freePort(); // nothing listens there
  const file = setUp(
    `${entra()}mail:\n  smtpUrl: smtp://reflex:secret-password@127.0.0.1:${smtpDown}\n` +
      `contacts:\n  onCall: [a@museum.example]\n  groups:\n    duty: [a@museum.example]\n` +
      `sources:\n  - name: siem\n    auth: { scheme: bearer, secrets: [doctor-test-bearer-secret-0123456789] }\n    expectEvery: 1h\n`,
  );
  const permissions = needed(file);
  expect(permissions).toContain('User.EnableDisableAccount.All');
  grant(permissions.filter((p) => p !== 'User.EnableDisableAccount.All'));

  const { code, json, out } = await doctor(file, [], {
    TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
  });
  expect(code).toBe(1);
  const problems = json.findings.filter((f) => f.status === 'problem');
  const about = (text: RegExp) => problems.find((f) => text.test(f.message ?? ''));
  expect(about(/entra\.disableAccount needs User\.EnableDisableAccount\.All .*not granted/)).toMatchObject({
    check: 'Graph permissions',
    fix: expect.stringContaining('admin consent'),
  });
  expect(
    about(/block-account, step "block": its escalation to "duty" asks nobody who was not asked/),
  ).toBeDefined();
  expect(about(/SMTP relay 127\.0\.0\.1:\d+ cannot be used: nothing listens there/)!.fix).toMatch(
    /mail\.smtpUrl/,
  );
  expect(about(/data-protection officer is the placeholder dpo@example\.org/)).toBeDefined();
  expect(about(/no NCSC contact/)).toBeDefined();
  expect(about(/on-call has one person/)).toBeDefined();
  // A source that promised to speak every hour and was never heard from.
  expect(about(/^siem is silent: never heard from, expected every 1h$/)).toMatchObject({
    check: 'source siem',
    fix: expect.stringContaining('/hooks/siem'),
  });
  // The test Temporal (a dev server) keeps histories a day: too short, and said so with the command.
  expect(json.findings.find((f) => f.check === 'Temporal')).toMatchObject({
    message: expect.stringMatching(/retention|keeps a closed incident/),
  });
  expect(json.problems).toBe(problems.length);
  // The SMTP password is never printed.
  expect(out).not.toContain('secret-password');
  expect(out).not.toContain(CLIENT_SECRET);
});

test('all in order: exit 0, and --send-test-mail reaches on-call', async () => {
  const file = setUp(
    `${entra()}mail:\n  smtpUrl: smtp://127.0.0.1:${relay.port}\n` +
      `contacts:\n  onCall: [a@museum.example, b@museum.example]\n  dpo: dpo@museum.example\n  ncsc: cert@ncsc.example\n` +
      `  groups:\n    duty: [manager@museum.example]\n`,
  );
  grant(needed(file));
  await prepareRecord(file);
  const { code, json } = await doctor(file, ['--send-test-mail']);
  expect(json.findings.filter((f) => f.status === 'problem')).toEqual([]);
  expect(code).toBe(0);
  expect(json.findings.map((f) => `${f.status} ${f.check}`)).toEqual(
    expect.arrayContaining([
      'ok playbooks',
      'ok Graph permissions',
      'ok e-mail',
      'ok contacts',
      'not-checked Temporal',
      'ok sign-off block-account',
      'ok drill compromised-account',
    ]),
  );
  const mail = await relay.waitFor((m) => m.subject === 'Reflex test message');
  expect(mail.to).toEqual(['a@museum.example', 'b@museum.example']);
});

test('without Graph credentials the other checks still run, and it says which could not', async () => {
  const file = setUp(
    `mail:\n  smtpUrl: smtp://127.0.0.1:${relay.port}\ncontacts:\n  onCall: [a@museum.example, b@museum.example]\n  dpo: dpo@museum.example\n  ncsc: cert@ncsc.example\n  groups:\n    duty: [c@museum.example]\n`,
  );
  await prepareRecord(file);
  const { code, json } = await doctor(file);
  expect(json.findings.find((f) => f.check === 'Graph permissions')).toMatchObject({
    status: 'not-checked',
    message: expect.stringContaining('Entra ID is not configured'),
  });
  expect(json.findings.find((f) => f.check === 'e-mail')!.status).toBe('ok');
  expect(json.findings.find((f) => f.check === 'contacts')!.status).toBe('ok');
  expect(json.findings.filter((f) => f.status === 'problem')).toEqual([]);
  expect(code).toBe(0);
});

test('a playbook never signed off, one changed since, and a drill older than the limit are each named with a fix', async () => {
  const file = setUp(
    `mail:\n  smtpUrl: smtp://127.0.0.1:${relay.port}\ncontacts:\n  onCall: [a@museum.example, b@museum.example]\n  dpo: dpo@museum.example\n  ncsc: cert@ncsc.example\n  groups:\n    duty: [c@museum.example]\n`,
  );
  await prepareRecord(file, 120);
  // An edit after the sign-off: a longer approval timeout.
  const own = join(file, '../playbooks/block-account.yaml');
  writeFileSync(own, readFileSync(own, 'utf8').replace('timeout: 30m', 'timeout: 45m'));
  // And a playbook the board has never seen.
  writeFileSync(
    own.replace('block-account', 'fresh'),
    readFileSync(own, 'utf8').replace('id: block-account', 'id: fresh'),
  );
  const { code, json } = await doctor(file);
  expect(code).toBe(1);
  const finding = (check: string) => json.findings.find((f) => f.check === check);
  expect(finding('sign-off compromised-account')!.status).toBe('ok');
  expect(finding('sign-off block-account')).toMatchObject({
    status: 'problem',
    message: expect.stringMatching(
      /^block-account v1 has changed since the board signed off v1 on \d{4}-\d\d-\d\d \(A\. de Vries\)/,
    ),
    fix: expect.stringContaining('reflex playbooks approve block-account --version 1 --by NAME --role ROLE'),
  });
  expect(finding('sign-off fresh')).toMatchObject({
    status: 'problem',
    message: 'fresh v1 was never signed off: nobody is on record as having pre-approved what it does',
  });
  expect(finding('drill compromised-account')).toMatchObject({
    status: 'problem',
    message: expect.stringMatching(/was last drilled on \d{4}-\d\d-\d\d, more than 90 days ago$/),
    fix: expect.stringContaining('reflex drill compromised-account'),
  });
  expect(finding('drill fresh')).toMatchObject({
    status: 'problem',
    message: 'fresh has never been drilled',
  });
});

test('in a running server: GET /api/readiness and /board/readiness for admins, and the findings in the metrics', async () => {
  const reflex = await startTestReflex({
    entraUrl: fake.url,
    playbooksDir: fastPlaybooks(['notify-on-call']),
  });
  try {
    grant([]);
    expect((await fetch(`${reflex.url}/api/readiness`, { headers: auth('board') })).status).toBe(403);
    const answer = await fetch(`${reflex.url}/api/readiness`, { headers: auth('admin') });
    expect(answer.status).toBe(200);
    const report = (await answer.json()) as {
      problems: number;
      checkedAt: string;
      findings: Array<Record<string, string>>;
    };
    expect(report.findings.map((f) => f.check)).toEqual(
      expect.arrayContaining(['playbooks', 'Graph permissions', 'e-mail', 'contacts', 'Temporal']),
    );
    expect(report.problems).toBe(report.findings.filter((f) => f.status === 'problem').length);
    // The test configuration has no NCSC contact: a problem, and it shows in the metrics by check.
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        check: 'contacts',
        status: 'problem',
        message: expect.stringContaining('no NCSC contact'),
      }),
    );
    // The same as a page for admins, in English or Dutch; attacker-free, but escaped all the same.
    const page = await fetch(`${reflex.url}/board/readiness?lang=nl`, { headers: auth('admin') });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Paraatheidscontrole');
    expect(html).toMatch(/probleem<\/td><td><b>contacts<\/b><br>no NCSC contact/);
    expect((await fetch(`${reflex.url}/board/readiness`, { headers: auth('board') })).status).toBe(403);
    const metrics = await (await fetch(`${reflex.url}/metrics`, { headers: auth('board') })).text();
    expect(metrics).toMatch(/reflex_readiness_problems\{check="contacts"\} [1-9]/);
    expect(metrics).toMatch(/reflex_readiness_checked_timestamp_seconds \d/);
  } finally {
    await reflex.stop();
  }
});
