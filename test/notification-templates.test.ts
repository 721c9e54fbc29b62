// The DPO (GDPR Art. 33) and NCSC messages, in English and Dutch: every field, and the deadline as an
// absolute time 72 hours after the moment of awareness, in the organisation's time zone.
import { join } from 'node:path';
import { TemplateStore } from '../activities/notify/templates';
import { buildView } from '../activities/notify/send';
import type { IncidentState } from '../workflows/model/incident';

const store = new TemplateStore(join(__dirname, '../playbooks/templates'));

const state = {
  status: 'contained',
  steps: [
    {
      id: 'revoke',
      kind: 'action',
      description: 'Sign the account out everywhere',
      status: 'succeeded',
      startedAt: '2026-03-02T08:15:02Z',
      finishedAt: '2026-03-02T08:15:03Z',
    },
    {
      id: 'disable',
      kind: 'action',
      description: 'Block the account from signing in',
      status: 'awaiting-approval',
      startedAt: '2026-03-02T08:15:03Z',
    },
  ],
} as unknown as IncidentState;

const vars = {
  incident: {
    id: 'mass-export-abc',
    drill: false,
    startedAt: '2026-03-02T08:15:00Z',
    url: 'https://reflex.museum.example/incidents/mass-export-abc',
    alertCount: 3,
  },
  alert: {
    source: 'sentinel',
    type: 'mass-download',
    title: 'Thousands of CRM exports by one user',
    severity: 'high',
    occurredAt: '2026-03-02T08:09:00Z',
  },
  entities: { users: ['piet@museum.example'], ips: [], hosts: [], apps: ['CRM'], files: [] },
  organisation: { name: 'Museum Example', publicUrl: 'https://reflex.museum.example' },
  contacts: { dpo: 'dpo@museum.example', onCall: ['oncall@museum.example'] },
  state,
  dataCategories: ['names', 'e-mail addresses'],
  approxSubjects: 12000,
  approxRecords: 48000,
  significant: true,
};

const render = (name: string, locale: 'en' | 'nl') =>
  store.render(name, locale, buildView(vars, locale, 'Europe/Amsterdam'));

test.each([
  [
    'en',
    '5 March 2026 at 09:15 (Europe/Amsterdam)',
    [
      'Contact',
      'Timeline',
      'Nature of the breach',
      'Personal data and approximate numbers',
      'Likely consequences',
      'Measures taken',
      'Measures proposed',
      'Informing the people involved',
    ],
  ],
  [
    'nl',
    '5 maart 2026 om 09:15 (Europe/Amsterdam)',
    [
      'Contactgegevens',
      'Tijdlijn',
      'Aard van het datalek',
      'Persoonsgegevens en aantallen',
      'Waarschijnlijke gevolgen',
      'Genomen maatregelen',
      'Voorgestelde maatregelen',
      'Betrokkenen informeren',
    ],
  ],
] as const)('the DPO draft in %s has every Art. 33 field and the deadline', (locale, deadline, sections) => {
  const message = render('dpo-art33', locale);
  // 08:15 UTC on 2 March is 09:15 in Amsterdam; 72 hours later is 5 March 09:15.
  expect(message.subject).toContain(deadline);
  expect(message.text).toContain(deadline);
  for (const section of sections) expect(message.text).toContain(section);
  expect(message.text).toContain('dpo@museum.example');
  expect(message.text).toContain('names; e-mail addresses;');
  expect(message.text).toContain('12000');
  expect(message.text).toContain('48000');
  expect(message.text).toContain('Thousands of CRM exports by one user');
  expect(message.text).toContain('Sign the account out everywhere');
  expect(message.text).toContain('Block the account from signing in');
  expect(message.html).toContain(deadline.replace(' (Europe/Amsterdam)', ''));
  expect(message.html).toContain('<html lang="' + locale + '">');
});

test.each([
  [
    'en',
    [
      'Organisation:',
      'Notifier (contact):',
      'Significant:         yes',
      'Status:              contained',
      'Timeline:',
      'Impact:',
    ],
  ],
  [
    'nl',
    [
      'Organisatie:',
      'Melder (contact):',
      'Significant:         ja',
      'Status:              ingedamd',
      'Tijdlijn:',
      'Impact:',
    ],
  ],
] as const)("the NCSC report in %s has the form's fields", (locale, fields) => {
  const message = render('ncsc', locale);
  for (const field of fields) expect(message.text).toContain(field);
  expect(message.text).toContain('Museum Example');
  expect(message.text).toContain('oncall@museum.example');
  expect(message.text).toContain('piet@museum.example');
});

test('HTML versions escape what came from an alert', () => {
  const message = store.render(
    'on-call',
    'en',
    buildView(
      { ...vars, alert: { ...vars.alert, title: '<script>alert(1)</script>' } },
      'en',
      'Europe/Amsterdam',
    ),
  );
  expect(message.html).not.toContain('<script>alert(1)</script>');
  expect(message.html).toContain('&lt;script&gt;');
});
