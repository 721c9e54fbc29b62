// Alerts reach the playbook for their attack (issue 13, item 5): payloads shaped after each sender's
// documentation, carrying the MITRE ATT&CK technique ids senders already send, or only titles in
// English or Dutch, each routed to the shipped playbook it should start — among them the three that
// used to fall through to notify-on-call. IP-like labels become IP entities. `reflex alerts test`
// shows the same on the command line: the type and why, and the playbook and why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTERS, type AdapterName } from '../triggers/adapters';
import { route } from '../triggers/routing';
import { loadPlaybooks } from '../playbooks/load';
import { SHIPPED_PLAYBOOKS_DIR } from '../startup/project';
import { patternProblem } from '../common/patterns';
import { WORDS } from '../triggers/adapters/classify';

const CLI = join(__dirname, '../dist/cli/main.js');
// Fixtures are edited freely below: their shape is each sender's, not a type of Reflex's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = Record<string, any>;
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures/adapters', `${name}.json`), 'utf8')) as Payload;
const playbooks = loadPlaybooks(SHIPPED_PLAYBOOKS_DIR);

const grafana = (alertname: string, summary: string, labels: Record<string, string>) => {
  const body = fixture('grafana-firing');
  body.alerts = [{ ...body.alerts[0], labels: { alertname, ...labels }, annotations: { summary } }];
  body.commonLabels = { alertname, ...labels };
  return body;
};
const wazuh = (
  id: number,
  description: string,
  level: number,
  mitre?: string[],
  user = 'eva@museum.example',
) => {
  const body = fixture('wazuh-alert');
  body.rule = {
    ...body.rule,
    id,
    description,
    level,
    groups: ['authentication_success'],
    ...(mitre && { mitre: { id: mitre } }),
  };
  body.data = { dstuser: user, srcip: '203.0.113.9' };
  return body;
};
const splunk = (search: string, result: Record<string, unknown>) => ({
  ...fixture('splunk-webhook'),
  search_name: search,
  result,
});
const sentinel = (title: string, techniques: string[], severity = 'High') => {
  const body = fixture('sentinel-incident');
  body.object.properties = {
    ...body.object.properties,
    title,
    description: '',
    severity,
    additionalData: { ...body.object.properties.additionalData, techniques },
  };
  return body;
};
const defender = (title: string, mitreTechniques: string[], severity = 'high') => ({
  ...fixture('defender-alert'),
  title,
  category: 'Unknown',
  severity,
  mitreTechniques,
});
const elastic = (name: string, threat: unknown, severity = 'high') => {
  const body = fixture('elastic-kibana');
  return { ...body, rule: { ...body.rule, name, tags: [] }, threat, reason: '', severity };
};

const cases: Array<[string, AdapterName, unknown, string, string]> = [
  // The three that used to fall through to notify-on-call.
  [
    'Grafana: a CRM export of thousands of records (the seeds’ attack)',
    'grafana',
    grafana(
      'CrmExportVolume',
      'carol@museum.example exported 4,812 contact records from the CRM in 6 minutes',
      {
        severity: 'critical',
        user: 'carol@museum.example',
        source_ip: '198.51.100.7',
      },
    ),
    'mass-export',
    'mass-export',
  ],
  [
    'Wazuh 40112: failures followed by a success, T1110',
    'wazuh',
    wazuh(40112, 'Multiple authentication failures followed by a success.', 10, ['T1110']),
    'password-spray-success',
    'password-spray', // it carries the attacker's address: every account it got into is handled
  ],
  [
    'Splunk: a ticketing admin brute force',
    'splunk',
    splunk('Ticketing admin brute force', {
      user: 'admin@museum.example',
      src_ip: '203.0.113.50',
      severity: 'high',
    }),
    'brute-force',
    'compromised-account',
  ],
  // Technique ids, whatever the words say.
  [
    'Sentinel: T1114.003 forwarding rule',
    'sentinel',
    sentinel('Verdachte regel in postvak', ['T1114.003']),
    'inbox-rule',
    'oauth-consent-or-inbox-rule',
  ],
  [
    'Defender: T1486 data encrypted for impact',
    'defender',
    defender('Suspicious activity on a file server', ['T1486']),
    'ransomware',
    'ransomware-suspected',
  ],
  [
    'Elastic: threat technique T1567 exfiltration over a web service',
    'elastic',
    elastic('Upload to unknown cloud storage', [
      { framework: 'MITRE ATT&CK', technique: [{ id: 'T1567', name: 'Exfiltration Over Web Service' }] },
    ]),
    'mass-export',
    'mass-export',
  ],
  [
    'Defender: T1528 stolen application token',
    'defender',
    defender('Unusual app consent', ['T1528'], 'medium'),
    'oauth-consent',
    'oauth-consent-or-inbox-rule',
  ],
  [
    'Sentinel: T1078.004 valid cloud account',
    'sentinel',
    sentinel('Sign-in from a known attacker network', ['T1078.004']),
    'risky-sign-in',
    'compromised-account',
  ],
  [
    'Wazuh: T1556.006 MFA changed',
    'wazuh',
    wazuh(91570, 'Authentication method registered', 8, ['T1556.006']),
    'account-manipulation',
    'compromised-account',
  ],
  [
    'Splunk: T1552 unsecured credentials',
    'splunk',
    splunk('Secret in repository', { mitre_technique_id: 'T1552', app_name: 'CRM connector' }),
    'leaked-secret',
    'leaked-secret',
  ],
  // Dutch titles, no technique.
  [
    'Grafana (nl): massaal geëxporteerd',
    'grafana',
    grafana('KlantExport', 'Massaal geëxporteerd: 3.120 klantrecords uit het CRM', {
      severity: 'critical',
      user: 'carol@museum.example',
    }),
    'mass-export',
    'mass-export',
  ],
  [
    'Wazuh (nl): mislukte aanmeldingen gevolgd door een geslaagde',
    'wazuh',
    wazuh(100200, 'Herhaaldelijk mislukte aanmeldingen gevolgd door een geslaagde aanmelding', 12),
    'password-spray-success',
    'password-spray',
  ],
  [
    'Sentinel (nl): doorstuurregel',
    'sentinel',
    sentinel('Nieuwe doorstuurregel naar een extern adres', []),
    'inbox-rule',
    'oauth-consent-or-inbox-rule',
  ],
  [
    'Splunk (nl): bestanden versleuteld',
    'splunk',
    splunk('Bestanden versleuteld op de fileserver', { host: 'fs01', severity: 'critical' }),
    'ransomware',
    'ransomware-suspected',
  ],
];

test.each(cases)('%s reaches its playbook', (_what, adapter, body, type, playbook) => {
  const alert = ADAPTERS[adapter]('siem', body, new Date())!;
  expect([alert.type, alert.typeReason]).toEqual([type, expect.any(String)]);
  expect(route(alert, playbooks).map((p) => p.definition.id)).toEqual([playbook]);
});

test('a brute force that the sender rates below high does not block anyone: it only tells on-call', () => {
  const alert = ADAPTERS.splunk(
    'siem',
    splunk('Ticketing admin brute force', { user: 'admin@museum.example', severity: 'medium' }),
    new Date(),
  )!;
  expect(alert.type).toBe('brute-force');
  expect(route(alert, playbooks).map((p) => p.definition.id)).toEqual(['notify-on-call']);
});

test('IP-like labels and fields become IP entities; values that are not addresses do not', () => {
  const alert = ADAPTERS.grafana(
    'siem',
    grafana('X', 'y', {
      source_ip: '198.51.100.7',
      client_ip: '2001:db8::1',
      remoteIP: '192.0.2.4',
      src_ip: 'not-an-ip',
      ip_reputation: 'bad',
    }),
    new Date(),
  )!;
  expect(alert.entities.ips.sort()).toEqual(['192.0.2.4', '198.51.100.7', '2001:db8::1']);
});

test('the vocabulary is safe to match against what attackers write', () => {
  expect(WORDS.length).toBeGreaterThan(8);
  for (const [words] of WORDS) {
    for (const pattern of words instanceof RegExp ? [words] : words) {
      expect([pattern.source, patternProblem(pattern.source)]).toEqual([pattern.source, undefined]);
    }
  }
});

test('`reflex alerts test` shows the type and why, and the playbook and why', () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'alerts-test-'));
  const file = join(dir, 'wazuh.json');
  writeFileSync(
    file,
    JSON.stringify(wazuh(40112, 'Multiple authentication failures followed by a success.', 10, ['T1110'])),
  );
  const config = join(dir, 'reflex.yaml');
  writeFileSync(
    config,
    'sources:\n  - { name: wazuh, format: wazuh, auth: { scheme: bearer, secrets: [a-wazuh-secret-0123456789] } }\n',
  );
  const text = spawnSync(
    process.execPath,
    [CLI, 'alerts', 'test', file, '--source', 'wazuh', '--config', config],
    { encoding: 'utf8' },
  );
  expect(text.status).toBe(0);
  expect(text.stdout).toContain(
    '  type:      password-spray-success   (MITRE T1110 (brute force), and the words say it succeeded)',
  );
  expect(text.stdout).toContain('  users:     eva@museum.example');
  expect(text.stdout).toContain('  ips:       203.0.113.9');
  expect(text.stdout).toMatch(
    /Runs password-spray@1: type password-spray-success, severity high ≥ medium, match holds\./,
  );
  expect(text.stdout).toContain('  mass-export: needs types mass-download, mass-export');

  const json = spawnSync(process.execPath, [CLI, 'alerts', 'test', file, '--format', 'wazuh', '--json'], {
    encoding: 'utf8',
  });
  expect(JSON.parse(json.stdout)).toMatchObject({
    alert: { type: 'password-spray-success' },
    playbooks: ['password-spray'],
  });

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ rule: { id: 1 } }));
  const refused = spawnSync(process.execPath, [CLI, 'alerts', 'test', bad, '--format', 'wazuh'], {
    encoding: 'utf8',
  });
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(`${bad}: id: `);
  expect(refused.stderr).toContain('not a wazuh payload: Reflex would answer 400');
  expect(
    spawnSync(process.execPath, [CLI, 'alerts', 'test', file, '--source', 'nope', '--config', config], {
      encoding: 'utf8',
    }).stderr,
  ).toContain('no source "nope" in the configuration (sources: wazuh)');
});
