// The breach register (issue 16, item 5): the DPO's e-mail links to a decision page; only the DPO (or
// an admin) records a decision, from a browser with their own sign-in; the decision is on the
// incident's timeline and in the register's CSV and PDF (English and Dutch); an incident without a
// decision near its deadline reminds the DPO once. Real Temporal, SMTP, PostgreSQL and Chromium.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { alertBody, auth, postSigned, TEST_ACCESS_TOKENS } from './helpers/reflex';
import { started, useReflex } from './helpers/bootstrap';
import { until } from './helpers/incidents';
import { ARTIFACTS, launchBrowser } from './helpers/browser';

const DPO_TOKEN = 'dpo-token-for-breach-register-tests-0123';
const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'breach-'));
mkdirSync(join(dir, 'playbooks'));
writeFileSync(
  join(dir, 'playbooks', 'breach-test.yaml'),
  `id: breach-test
version: 1
title: Breach test playbook
description: Tells the data-protection officer.
triggers:
  - types: [breach-test]
dedup:
  key: 'breach-test:{{alert.externalId}}'
steps:
  - id: tell-dpo
    description: Tell the data-protection officer
    notify: dpo-art33
    to: '{{contacts.dpo}}'
`,
);

const reflex = useReflex({
  database: 'postgres',
  playbooksDir: join(dir, 'playbooks'),
  extra: {
    access: {
      tokens: [
        ...TEST_ACCESS_TOKENS,
        { name: 'dpo', role: 'board', email: 'dpo@museum.example', token: DPO_TOKEN },
      ],
      attemptsPerMinute: { failedTokens: 10_000, signIns: 10_000, approvalLinks: 10_000 },
    },
    // Every incident is within a reminder's reach at once: the check runs every second.
    notifications: { breachReminder: { before: '72h', checkSeconds: 1 } },
  },
});
const browser: Browser = started(launchBrowser, (b) => b.close());

const mailsFor = (id: string, template: string) =>
  reflex
    .mailbox!.list()
    .filter((m) => m.headers['x-reflex-incident'] === id && m.headers['x-reflex-template'] === template);

async function timeline(id: string, lang = 'en'): Promise<string[]> {
  const body = (await (
    await fetch(`${reflex.url}/api/incidents/${id}/timeline?lang=${lang}`, { headers: auth('board') })
  ).json()) as {
    entries: Array<{ text: string }>;
  };
  return body.entries.map((e) => e.text);
}

let incidentId: string;
beforeAll(async () => {
  const accepted = await postSigned(
    reflex.url,
    alertBody({
      type: 'breach-test',
      title: '=HYPERLINK("http://evil.example","CRM export") by carol',
      severity: 'critical',
    }),
  );
  expect(accepted.status).toBe(202);
  incidentId = accepted.body.incidentId as string;
  await until('the DPO e-mail', () => mailsFor(incidentId, 'dpo-art33')[0]);
});

test('no decision near the deadline: the DPO is reminded once, and the timeline says so', async () => {
  const reminder = await until('the reminder', () => mailsFor(incidentId, 'breach-reminder')[0]);
  expect(reminder.to).toEqual(['dpo@museum.example']);
  expect(reminder.subject).toMatch(/^\[Reflex\] Breach register: a decision is due by /);
  expect(reminder.text).toContain(`${reflex.url}/breaches/${incidentId}`);
  await new Promise((r) => setTimeout(r, 2_500)); // several more checks
  expect(mailsFor(incidentId, 'breach-reminder')).toHaveLength(1);
  await until('the reminder on the timeline', async () =>
    (await timeline(incidentId)).some((t) =>
      /^No breach-register decision yet: reminded the data-protection officer \(dpo@museum\.example\); the 72-hour deadline is /.test(
        t,
      ),
    )
      ? true
      : undefined,
  );
});

test('only the DPO or an admin may record; a missing field is named; nothing half-recorded', async () => {
  expect((await fetch(`${reflex.url}/breaches/${incidentId}`, { headers: auth('board') })).status).toBe(403);
  expect((await fetch(`${reflex.url}/breaches/${incidentId}`, { headers: auth('responder') })).status).toBe(
    403,
  );
  expect((await fetch(`${reflex.url}/breaches/${incidentId}`, { headers: auth('admin') })).status).toBe(200);
  const dpo = { authorization: `Bearer ${DPO_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' };
  const missing = await fetch(`${reflex.url}/breaches/${incidentId}`, {
    method: 'POST',
    headers: dpo,
    body: 'authority=reported&reportedAt=2026-12-02T10:00&subjects=not-informed&notInformedReason=low+risk',
  });
  expect(missing.status).toBe(400);
  expect(JSON.stringify(await missing.json())).toContain(
    'the reference the Autoriteit Persoonsgegevens gave',
  );
  const noCsrf = await fetch(`${reflex.url}/breaches/${incidentId}`, {
    method: 'POST',
    headers: dpo,
    body: 'authority=not-reported&notReportedReason=encrypted&subjects=not-informed&notInformedReason=no+risk',
  });
  expect(noCsrf.status).toBe(403);
  expect((await timeline(incidentId)).some((t) => t.includes('recorded the breach-register decision'))).toBe(
    false,
  );
  expect(
    (
      await fetch(`${reflex.url}/breaches/no-such-incident`, {
        headers: { authorization: `Bearer ${DPO_TOKEN}` },
      })
    ).status,
  ).toBe(404);
});

test('the DPO records a decision from the link in the e-mail; it shows on the timeline and in the register exports', async () => {
  const mail = mailsFor(incidentId, 'dpo-art33')[0]!;
  const link = mail.text.match(/(http:\/\/\S+\/breaches\/\S+)/)![1]!;
  expect(link).toBe(`${reflex.url}/breaches/${incidentId}`);

  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await page.goto(link);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel('Access token').fill(DPO_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(link);
  await page.getByRole('radio', { name: 'Reported', exact: true }).check();
  await page.getByLabel('Reported on').fill('2026-12-02T11:30');
  await page.getByLabel('Reference').fill('AP-2026-12345');
  await page.getByRole('radio', { name: 'Informed', exact: true }).check();
  await page.getByLabel('Informed on').fill('2026-12-02T15:00');
  await page.getByLabel('How').first().fill('e-mail to the 4,812 contacts');
  await page.screenshot({ path: join(ARTIFACTS, 'breach-decision-form.png'), fullPage: true });
  await page.getByRole('button', { name: 'Record as dpo@museum.example' }).click();
  await page.getByText(/^Recorded: Reported/).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'breach-decision-recorded.png'), fullPage: true });
  await page.close();

  // Times are the organisation's (Europe/Amsterdam): 11:30 there is 10:30 UTC.
  const lines = await timeline(incidentId);
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^dpo@museum\.example recorded the breach-register decision: reported to the Autoriteit Persoonsgegevens on .*11:30.* \(reference AP-2026-12345\); the people affected were informed on .*15:00.* \(e-mail to the 4,812 contacts\)\.$/,
    ),
  );
  const nl = await timeline(incidentId, 'nl');
  expect(nl).toContainEqual(expect.stringContaining('gemeld bij de Autoriteit Persoonsgegevens op'));
  const full = (await (
    await fetch(`${reflex.url}/api/incidents/${incidentId}/timeline`, { headers: auth('board') })
  ).json()) as {
    gdpr: { decision?: { authority: { at: string; reference: string }; by: string } };
  };
  expect(full.gdpr.decision).toMatchObject({
    authority: { reported: true, at: '2026-12-02T10:30:00.000Z', reference: 'AP-2026-12345' },
    by: 'dpo@museum.example',
  });

  // The register: the page, the CSV (a formula an attacker wrote is defused) and the PDF, in both languages.
  const html = await (await fetch(`${reflex.url}/board/breaches`, { headers: auth('board') })).text();
  expect(html).toMatch(new RegExp(`data-incident="${incidentId}"[\\s\\S]*Reported [^<]*AP-2026-12345`));
  const csv = await (
    await fetch(`${reflex.url}/board/breaches/register.csv`, { headers: auth('board') })
  ).text();
  expect(csv.split('\n')[0]).toContain('Incident,Playbook,Alert,Started');
  const row = csv.split('\n').find((l) => l.startsWith(incidentId))!;
  expect(row).toContain('AP-2026-12345');
  expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""CRM export"") by carol"`);
  const csvNl = await (
    await fetch(`${reflex.url}/board/breaches/register.csv?lang=nl`, { headers: auth('board') })
  ).text();
  expect(csvNl).toContain('Gemeld');
  for (const lang of ['en', 'nl']) {
    const pdf = Buffer.from(
      await (
        await fetch(`${reflex.url}/board/breaches/register.pdf?lang=${lang}`, { headers: auth('board') })
      ).arrayBuffer(),
    );
    const file = join(ARTIFACTS, `breach-register-${lang}.pdf`);
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    expect(text).toContain('AP-2026-12345');
    expect(text).toContain(lang === 'nl' ? 'Register van datalekken' : 'Breach register');
  }
});
