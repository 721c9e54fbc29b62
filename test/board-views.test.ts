// What the board sees after a drill: the incident list with its filters, the plain-language timeline
// (steps with times, who approved, time to contain, the GDPR clock) in English and Dutch, the printable
// page in Chromium, and the PDF exports turned into PNG pages by pdftoppm.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { auth, TOKENS } from './helpers/reflex';
import { started, useReflex } from './helpers/bootstrap';
import { step, waitForState } from './helpers/incidents';
import { ARTIFACTS, launchBrowser } from './helpers/browser';
import type { Timeline } from '../server/reports/timeline';
import type { IncidentSummary } from '../storage/incident-index';

const reflex = useReflex({ playbooks: ['compromised-account', 'notify-on-call'] });
const browser: Browser = started(launchBrowser, (b) => b.close());
let drillId: string;

const api = async (path: string, role: 'board' | 'responder' | 'admin' = 'board') => {
  const response = await fetch(`${reflex.url}${path}`, { headers: auth(role) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const post = (path: string, body: unknown, role: 'board' | 'responder' | 'admin') =>
  fetch(`${reflex.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(role) },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  // A responder runs the drill, approves the block through the API, and closes the incident.
  const drill = await post('/api/drills', { playbook: 'compromised-account' }, 'responder');
  expect(drill.status).toBe(202);
  drillId = ((await drill.json()) as { incidentId: string }).incidentId;
  await waitForState(
    reflex.gateway,
    drillId,
    (s) => step(s, 'disable-account').status === 'awaiting-approval',
  );
  const decided = await post(
    `/api/incidents/${drillId}/steps/disable-account/decision`,
    { decision: 'approve', comment: 'block it' },
    'responder',
  );
  expect(decided.status).toBe(200);
  await waitForState(reflex.gateway, drillId, (s) => s.status === 'contained');
  const resolved = await post(`/api/incidents/${drillId}/resolve`, { note: 'drill done' }, 'responder');
  expect(resolved.status).toBe(200);
  await waitForState(reflex.gateway, drillId, (s) => s.status === 'resolved');
  // The closing events are written before the workflow completes; wait for the list to show it.
  for (let i = 0; i < 100; i++) {
    const row = (await reflex.incidents.get(drillId))!;
    if (row.status === 'resolved') break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

test('the timeline tells what happened, what Reflex did, who approved, how fast, and the GDPR clock', async () => {
  const { status, body } = await api(`/api/incidents/${drillId}/timeline`);
  expect(status).toBe(200);
  const t = body as unknown as Timeline & { verified: boolean };
  expect(t).toMatchObject({ incidentId: drillId, drill: true, status: 'resolved', verified: true });
  expect(t.playbook.id).toBe('compromised-account');
  // Who decided what.
  expect(t.approvals).toEqual([
    expect.objectContaining({
      step: 'disable-account',
      description: 'Block the account from signing in',
      outcome: 'approved',
      decisions: [expect.objectContaining({ approver: 'oncall@museum.example', decision: 'approved' })],
    }),
  ]);
  // Time to first containment is the sign-out everywhere; full containment waits for the approval.
  expect(t.timeToFirstContainmentMs).toBeGreaterThanOrEqual(0);
  expect(t.timeToFullContainmentMs).toBeGreaterThanOrEqual(t.timeToFirstContainmentMs!);
  expect(t.timeToFirstContainmentText).toMatch(/^\d+ (s|min)/);
  // GDPR: the DPO was e-mailed, well inside 72 hours of the alert.
  expect(Date.parse(t.gdpr.deadline) - Date.parse(t.gdpr.awareAt)).toBe(72 * 3_600_000);
  expect(t.gdpr.dpoNotifiedAt).toBeDefined();
  expect(t.gdpr.dpoInTime).toBe(true);
  // Plain language, in order, every entry with its time.
  const texts = t.entries.map((e) => e.text);
  expect(texts[0]).toBe('Drill started: actions are only rehearsed.');
  expect(texts).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^Alert received from drill: “Drill: Compromised account/),
      'Done: Sign the account out everywhere, so stolen sessions stop working.',
      expect.stringMatching(/^Asked oncall@museum\.example to approve “Block the account from signing in”/),
      'oncall@museum.example approved “Block the account from signing in”.',
      'Done: Block the account from signing in.',
      expect.stringMatching(/^E-mailed the data-protection officer \(GDPR Art\. 33\)/),
      'Every step is done: the incident is contained.',
      'oncall@museum.example closed the incident: Resolved (“drill done”).',
    ]),
  );
  expect(t.entries.every((e) => /\d{2}:\d{2}/.test(e.time))).toBe(true);
  expect(texts.indexOf('Done: Block the account from signing in.')).toBeGreaterThan(
    texts.indexOf('oncall@museum.example approved “Block the account from signing in”.'),
  );
});

test('the same timeline in Dutch', async () => {
  const { body } = await api(`/api/incidents/${drillId}/timeline?lang=nl`);
  const t = body as unknown as Timeline;
  expect(t.statusText).toBe('Afgehandeld');
  expect(t.entries.map((e) => e.text)).toEqual(
    expect.arrayContaining([
      'Oefening gestart: acties worden alleen geoefend.',
      'Gedaan: Sign the account out everywhere, so stolen sessions stop working.',
      'oncall@museum.example keurde goed: “Block the account from signing in”.',
    ]),
  );
  const page = await fetch(`${reflex.url}/board/incidents/${drillId}`, {
    headers: { ...auth('board'), 'accept-language': 'nl-NL,nl;q=0.9' },
  });
  const html = await page.text();
  expect(html).toContain('<html lang="nl">');
  expect(html).toContain('Tijd tot eerste indamming');
  expect(html).toContain('AVG-termijn van 72 uur');
});

test('the incident list filters by period, status, playbook and drill; a malformed filter names itself', async () => {
  const ids = async (query: string) => {
    const { status, body } = await api(`/api/incidents?${query}`);
    expect(status).toBe(200);
    return (body.incidents as IncidentSummary[]).map((i) => i.id);
  };
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  expect(await ids('')).toContain(drillId);
  expect(await ids('drill=true')).toContain(drillId);
  expect(await ids('drill=false')).not.toContain(drillId);
  expect(await ids('status=resolved')).toContain(drillId);
  expect(await ids('status=running')).not.toContain(drillId);
  expect(await ids('playbook=compromised-account')).toContain(drillId);
  expect(await ids('playbook=notify-on-call')).not.toContain(drillId);
  expect(await ids(`from=${today}&to=${today}`)).toContain(drillId);
  expect(await ids(`from=${tomorrow}`)).not.toContain(drillId);
  expect(await ids('to=2020-01-01')).not.toContain(drillId);

  const { body: listed } = await api(`/api/incidents?playbook=compromised-account`);
  expect((listed.incidents as IncidentSummary[])[0]).toMatchObject({
    id: drillId,
    drill: true,
    status: 'resolved',
    playbook: { id: 'compromised-account', version: 3 },
    source: 'drill',
  });
  expect((listed.incidents as IncidentSummary[])[0]!.firstContainedAt).toBeDefined();

  // Malformed filters are a 400 naming the parameter (in-process: test/http-contract.test.ts).
  expect((await fetch(`${reflex.url}/board?status=nope`, { headers: auth('board') })).status).toBe(400);
  expect((await api('/api/incidents/no-such-incident-1/timeline')).status).toBe(404);
  expect(
    (await fetch(`${reflex.url}/board/incidents/no-such-incident-1`, { headers: auth('board') })).status,
  ).toBe(404);
});

test('the period summary counts incidents and sets time to contain against the 10-minute window', async () => {
  const { body } = await api('/api/reports/summary?drill=true');
  expect(body.total).toBeGreaterThanOrEqual(1);
  expect(body.drills).toBe(body.total);
  expect(body.withContainment).toBeGreaterThanOrEqual(1);
  expect(body.containedWithinWindow).toBeGreaterThanOrEqual(1);
  const buckets = body.distribution as Array<{ label: string; count: number; withinWindow: boolean }>;
  expect(buckets.map((b) => b.label)).toEqual(['0–1', '1–2', '2–5', '5–10', '10–30', '30–60', '60+']);
  expect(buckets.filter((b) => b.withinWindow).map((b) => b.label)).toEqual(['0–1', '1–2', '2–5', '5–10']);
  expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(body.withContainment);
});

test('the PDF exports render: pdftoppm turns them into the expected pages', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'pdf-'));
  const render = async (path: string, name: string) => {
    const response = await fetch(`${reflex.url}${path}`, { headers: auth('board') });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const file = join(dir, `${name}.pdf`);
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    execFileSync('pdftoppm', ['-png', '-r', '60', file, join(ARTIFACTS, name)]);
    execFileSync('pdftoppm', ['-png', '-r', '30', file, join(dir, name)]);
    const pages = readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'));
    return {
      pages: pages.length,
      text: execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }),
    };
  };

  // One incident: the summary page, then the timeline.
  const incident = await render(`/api/incidents/${drillId}/report.pdf`, 'incident-report');
  expect(incident.pages).toBe(2);
  expect(incident.text).toContain('DRILL: Compromised account');
  expect(incident.text).toContain('Time to first containment');
  expect(incident.text).toContain('oncall@museum.example: approved');
  expect(incident.text).toMatch(/Data-protection officer notified: .* \(in time\)/);
  expect(incident.text).toContain('Every step is done: the incident is contained.');

  const dutch = await render(`/board/incidents/${drillId}.pdf?lang=nl`, 'incident-report-nl');
  expect(dutch.pages).toBe(2);
  expect(dutch.text).toContain('Tijd tot eerste indamming');

  // A period: the figures and the chart, then what is open.
  const summary = await render('/api/reports/summary.pdf?drill=true', 'period-summary');
  expect(summary.pages).toBe(2);
  expect(summary.text).toContain('Contained within 10 minutes');
  expect(summary.text).toContain('10-minute attack window');
  expect(summary.text).toContain('Open actions');
});

test('in Chromium: sign in, open the drill from the list, and see each step’s time, the approver and the time to contain', async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${reflex.url}/board?drill=true`);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel('Access token').fill(TOKENS.board);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/board\?drill=true$/);
  await page
    .getByRole('link', { name: /Compromised account/ })
    .first()
    .click();
  await page.waitForURL(new RegExp(`/board/incidents/${drillId}`));

  await expect(page.locator('#status').textContent()).resolves.toBe('Resolved');
  await expect(page.locator('#first-containment b').textContent()).resolves.toMatch(/^\d+ (s|min)/);
  await expect(page.locator('#full-containment b').textContent()).resolves.toMatch(/^\d+ (s|min)/);
  await expect(page.locator('#approvals').textContent()).resolves.toContain(
    'oncall@museum.example: approved',
  );
  await expect(page.locator('#dpo').textContent()).resolves.toContain('in time');
  const rows = page.locator('#timeline tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(8);
  for (const time of await page.locator('#timeline td.time').allTextContents())
    expect(time).toMatch(/\d{2}:\d{2}/);
  await expect(
    page.locator('#timeline tr[data-kind="step.succeeded"]').first().textContent(),
  ).resolves.toContain('Sign the account out everywhere');
  await page.screenshot({ path: join(ARTIFACTS, 'board-timeline-drill.png'), fullPage: true });
  // Printable: the print style hides the navigation.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('nav').isVisible()).resolves.toBe(false);
  await page.screenshot({ path: join(ARTIFACTS, 'board-timeline-drill-print.png'), fullPage: true });

  // The browser session reads, but cannot act: a POST with only the cookie is refused. (A script on the
  // page could not even try: the pages' CSP allows no script and no fetch.)
  const posted = await page.context().request.post(`${reflex.url}/api/drills`, {
    data: { playbook: 'notify-on-call' },
  });
  expect(posted.status()).toBe(401);
  const scripted = await page.evaluate(
    async (url) =>
      fetch(url).then(
        () => 'fetched',
        () => 'blocked',
      ),
    reflex.url,
  );
  expect(scripted).toBe('blocked');
  await page.close();
});
