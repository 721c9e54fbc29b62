// Every format adapter against fixtures shaped after its sender's public documentation: each maps to
// the one Alert model (source, external id, type, title, severity, occurred-at, entities, raw kept).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZodError } from 'zod';
import { ADAPTERS, type AdapterName } from '../triggers/adapters';
import { ADAPTER_NAMES } from '../triggers/adapters/names';
import { alertBody } from './helpers/reflex';
import { leafCount, withLeafReplaced } from './helpers/hostile';

const RECEIVED = new Date('2026-03-02T14:00:00Z');
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures/adapters', `${name}.json`), 'utf8'));
const none = { users: [], ips: [], hosts: [], apps: [], files: [] };

const cases: Array<[AdapterName, string, Record<string, unknown>]> = [
  [
    'sentinel',
    'sentinel-incident',
    {
      externalId: '7e1c2a8d-1111-4a2b-9c3d-4e5f6a7b8c9d',
      type: 'password-spray-success',
      title: 'Password spray attack against Entra ID followed by a successful sign-in',
      severity: 'high',
      occurredAt: '2026-03-02T08:55:01.000Z',
      entities: {
        ...none,
        users: ['eva.jansen@museum.example'],
        ips: ['203.0.113.66'],
        hosts: ['kassa-01.museum.local'],
      },
    },
  ],
  [
    'defender',
    'defender-risk-detection',
    {
      externalId: '6a3c1f0e9b8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
      type: 'impossible-travel',
      title: 'Entra ID Protection: unlikelyTravel for pieter@museum.example (Lagos, NG)',
      severity: 'high',
      occurredAt: '2026-03-02T07:41:09.883Z',
      entities: { ...none, users: ['pieter@museum.example'], ips: ['198.51.100.23'] },
    },
  ],
  [
    'defender',
    'defender-alert',
    {
      externalId: 'da637551227677560813_-961444813',
      type: 'inbox-rule',
      title: 'Suspicious inbox forwarding rule',
      severity: 'high',
      occurredAt: '2026-03-02T09:58:40.000Z',
      entities: { ...none, users: ['lisa@museum.example'], ips: ['203.0.113.9'] },
    },
  ],
  [
    'splunk',
    'splunk-webhook',
    {
      externalId: 'scheduler__admin__search__RMD5d7d6f1a0c3e2b1a0_at_1772445600_17',
      type: 'mass-export',
      title: 'M365 mass download by one user',
      severity: 'critical',
      occurredAt: '2026-03-02T10:00:00.000Z',
      entities: {
        ...none,
        users: ['kees@museum.example'],
        ips: ['192.0.2.44'],
        apps: ['SharePoint Online'],
        files: ['donateurs-2026.xlsx'],
      },
    },
  ],
  [
    'elastic',
    'elastic-kibana',
    {
      externalId: 'c0f3e2a1-5b6d-4c8e-9f00-112233445566',
      type: 'oauth-consent',
      title: 'OAuth consent to a rare application',
      severity: 'medium',
      occurredAt: '2026-03-02T11:20:05.000Z',
      entities: {
        ...none,
        users: ['joost@museum.example'],
        ips: ['198.51.100.77'],
        apps: ['PDF Converter Pro'],
      },
    },
  ],
  [
    'wazuh',
    'wazuh-alert',
    {
      externalId: '1772452893.2384756',
      type: 'inbox-rule',
      title: 'Office 365: New-InboxRule that deletes messages mentioning phishing',
      severity: 'high',
      occurredAt: '2026-03-02T12:01:33.412Z',
      entities: { ...none, users: ['anna@museum.example'], ips: ['203.0.113.200'], hosts: ['wazuh-manager'] },
    },
  ],
  [
    'grafana',
    'grafana-firing',
    {
      externalId: '{}/{}:{alertname="Ransomware: mass file renames"}:57c6d9296de2ad39:2026-03-02T13:00:00Z',
      type: 'ransomware',
      title: 'More than 500 files renamed to .locked in 2 minutes on fileserver-01',
      severity: 'critical',
      occurredAt: '2026-03-02T13:00:00.000Z',
      entities: { ...none, users: ['svc-backup@museum.example'], hosts: ['fileserver-01'] },
    },
  ],
];

test.each(cases)('%s: %s maps to the Alert model', (adapter, name, expected) => {
  const body = fixture(name);
  const alert = ADAPTERS[adapter]('src', body, RECEIVED);
  expect(alert).toEqual({
    source: 'src',
    receivedAt: RECEIVED.toISOString(),
    raw: body,
    typeReason: expect.any(String),
    ...expected,
  });
});

test('every adapter has a fixture', () => {
  expect(new Set(cases.map(([a]) => a))).toEqual(new Set(ADAPTER_NAMES.filter((a) => a !== 'generic')));
  expect(ADAPTERS.generic('src', alertBody({ id: 'g-1' }), RECEIVED)).toMatchObject({ externalId: 'g-1' });
});

test('a resolved Grafana notification needs no incident', () => {
  expect(ADAPTERS.grafana('src', fixture('grafana-resolved'), RECEIVED)).toBeUndefined();
});

test('malformed bodies are schema errors naming the field, never half an alert', () => {
  const broken: Array<[AdapterName, unknown, string]> = [
    ['sentinel', { object: { id: 'x', properties: { severity: 'High' } } }, 'object.properties.title'],
    ['defender', { id: 'x', riskEventType: 5 }, 'riskEventType'],
    ['defender', { value: [{}, {}] }, 'value'],
    ['splunk', { result: {}, sid: 's' }, 'search_name'],
    ['elastic', { alert: {} }, 'rule'],
    ['wazuh', { id: 'w', rule: { id: 1, level: 99, description: 'x' } }, 'rule.level'],
    ['grafana', { status: 'firing', groupKey: 'g', alerts: [] }, 'alerts'],
  ];
  for (const [adapter, body, path] of broken) {
    try {
      ADAPTERS[adapter]('src', body, RECEIVED);
      throw new Error(`${adapter} accepted a malformed body`);
    } catch (err) {
      expect(err).toBeInstanceOf(ZodError);
      expect((err as ZodError).issues.map((i) => i.path.join('.'))).toContain(path);
    }
  }
});

test('a value String() cannot convert, in any place of any sender’s body, is a schema error or ignored', () => {
  // `{"toString": 1}` is valid JSON that makes String() and template literals throw a TypeError.
  const unconvertible = { toString: 1, valueOf: 1 };
  let tried = 0;
  for (const [adapter, name] of [
    ...cases.map(([a, n]) => [a, n] as const),
    ['grafana', 'grafana-resolved'] as const,
  ]) {
    const body = fixture(name);
    for (let n = 0; n < leafCount(body); n++) {
      tried += 1;
      try {
        const alert = ADAPTERS[adapter]('src', withLeafReplaced(body, n, unconvertible), RECEIVED);
        if (alert) expect(JSON.stringify(alert.entities)).not.toContain('toString');
      } catch (err) {
        expect(err).toBeInstanceOf(ZodError);
      }
    }
  }
  expect(tried).toBeGreaterThan(150); // every leaf of every fixture
});
