// The quarterly governance report (issue 16, item 6): drills per playbook, incidents against the
// 10-minute window, alerts accounted for, readiness problems and how long they stayed open, silent
// sources and sign-offs — as a page and as a three-page PDF in English and Dutch, rendered to PNG with
// pdftoppm. Real Temporal and this file's own embedded database.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertBody, auth, postSigned } from './helpers/reflex';
import { useReflex } from './helpers/bootstrap';
import { until } from './helpers/incidents';
import { ARTIFACTS } from './helpers/browser';

const reflex = useReflex({
  playbooksDir: join(__dirname, 'fixtures/playbooks-approval'),
  contacts: {
    onCall: ['oncall@museum.example'],
    dpo: 'dpo@museum.example',
    groups: { 'three-approvers': ['q1@museum.example', 'q2@museum.example', 'q3@museum.example'] },
  },
});

test('the report as a page and as a three-page PDF, in English and Dutch', async () => {
  const playbook = reflex.playbooks.find((p) => p.definition.id === 'approval-test')!;
  await reflex.governance!.signOff({
    playbook: 'approval-test',
    version: playbook.definition.version,
    by: 'A. de Vries',
    role: 'chair',
    via: 'cli',
  });
  const drill = await fetch(`${reflex.url}/api/drills`, {
    method: 'POST',
    headers: { ...auth('responder'), 'content-type': 'application/json' },
    body: JSON.stringify({ playbook: 'approval-test' }),
  });
  expect(drill.status).toBe(202);
  expect(
    (
      await postSigned(
        reflex.url,
        alertBody({ type: 'approval-test', entities: { users: ['gov@museum.example'] } }),
      )
    ).status,
  ).toBe(202);
  // The readiness check runs (an admin asks): its problems start their history.
  const readiness = (await (
    await fetch(`${reflex.url}/api/readiness`, { headers: auth('admin') })
  ).json()) as {
    findings: Array<{ check: string; status: string }>;
  };
  expect(readiness.findings).toContainEqual(
    expect.objectContaining({ check: 'sign-off approval-quorum', status: 'problem' }),
  );

  const html = await until('the report with its parts', async () => {
    const page = await (await fetch(`${reflex.url}/board/governance`, { headers: auth('board') })).text();
    return /data-drills="approval-test"><td>[^<]*<small>approval-test<\/small><\/td><td class="ok">1</.test(
      page,
    ) &&
      page.includes('sign-off approval-quorum') &&
      /1<\/b><span>real incidents/.test(page)
      ? page
      : undefined;
  });
  expect(html).toMatch(
    /data-drills="approval-quorum"><td>[^<]*<small>approval-quorum<\/small><\/td><td class="late">0</,
  );
  expect(html).toMatch(/data-playbook="approval-test">.*class="ok">Signed off</);
  expect(html).toMatch(/data-playbook="approval-quorum">.*class="late">Not signed off</);
  expect(html).toMatch(
    /sign-off approval-quorum<\/b><br>[^<]*never signed off[^<]*<\/td><td>[^<]*\(still open\)/,
  );
  expect(html).toContain('deliveries received:');
  expect(html).toContain('No source fell silent.');

  for (const lang of ['en', 'nl'] as const) {
    const response = await fetch(`${reflex.url}/board/governance/report.pdf?lang=${lang}`, {
      headers: auth('board'),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, `governance-${lang}-`));
    const file = join(dir, 'report.pdf');
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    execFileSync('pdftoppm', ['-png', '-r', '60', file, join(dir, 'page')]);
    const pages = readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort();
    expect(pages).toHaveLength(3);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '60',
      '-f',
      '1',
      '-l',
      '1',
      file,
      join(ARTIFACTS, `governance-report-${lang}`),
    ]);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const [first, second, third] = text.split('\f');
    if (lang === 'en') {
      expect(first).toContain('Governance report');
      expect(first).toContain('deliveries received');
      expect(second).toContain('Drills per playbook');
      expect(second).toMatch(
        /Approval test playbook \(approval-test v\d+\): Signed off · A\. de Vries, chair/,
      );
      expect(third).toContain('Readiness problems, and how long they were open');
      expect(third).toContain('sign-off approval-quorum');
    } else {
      expect(first).toContain('Governancerapport');
      expect(second).toContain('Oefeningen per draaiboek');
      expect(third).toContain('Bronnen die stil vielen');
    }
  }
});
