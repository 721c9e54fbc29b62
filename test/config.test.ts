// Configuration: defaults, ${ENV} interpolation, environment overrides, and errors that name the
// file, line and key (and never the secret).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ENV_OVERRIDES, loadConfig } from '../config/load';
import { approverGroupProblems, checkConfig } from '../config/checks';
import { loadConfiguredPlaybooks } from '../startup/playbooks';

const fixture = (name: string) => join(__dirname, 'fixtures/config', name);

test('with no file, every setting has a visible default', () => {
  const { config } = loadConfig({ env: {} });
  expect(config.server.port).toBe(8080);
  expect(config.temporal).toMatchObject({ namespace: 'default', taskQueue: 'reflex', tls: false });
  expect(config.temporal.address).toBeUndefined();
  expect(config.database.url).toBeUndefined();
  expect(config.mail.smtpUrl).toBeUndefined();
});

test('the shipped example config is valid', () => {
  const { config, source } = loadConfig({
    file: join(__dirname, '../reflex.example.yaml'),
    env: {
      REFLEX_GENERIC_SECRET: 'whsec_ZXhhbXBsZS1zZWNyZXQtZm9yLXRoZS1leGFtcGxl',
      ELASTIC_TOKEN: 'x',
      SENTINEL_TOKEN: 'x',
      SPLUNK_URL_SECRET: 'splunk-url-secret-0123456789abcdefghijkl',
      GRAFANA_WEBHOOK_SECRET: 'x',
      WAZUH_SECRET: 'whsec_ZXhhbXBsZS1zZWNyZXQtZm9yLXRoZS1leGFtcGxl',
      DEFENDER_RELAY_SECRET: 'x',
    },
  });
  // Every format and every scheme appears in the example.
  expect(new Set(config.sources.map((s) => s.format))).toEqual(
    new Set(['generic', 'elastic', 'sentinel', 'splunk', 'grafana', 'wazuh', 'defender']),
  );
  expect(new Set(config.sources.map((s) => s.auth.scheme)).size).toBe(6);
  expect(config.access.tokens.map((t) => t.role)).toEqual(['board', 'responder']);
  // Its playbook overrides apply to the shipped library.
  const playbooks = loadConfiguredPlaybooks(config, source);
  expect(approverGroupProblems(config, playbooks)).toEqual([]);
  expect(playbooks.find((p) => p.definition.id === 'compromised-account')!.overridden).toHaveLength(2);
});

test.each(Object.entries(ENV_OVERRIDES))('%s overrides %j', (name, path) => {
  const value =
    name === 'PORT' || name === 'SMTP_MAX_CONNECTIONS'
      ? '9'
      : name === 'TEMPORAL_TLS'
        ? 'true'
        : /URL|HOST$/.test(name)
          ? 'https://example.org'
          : 'v';
  let config: unknown;
  try {
    config = loadConfig({ env: { [name]: value } }).config;
  } catch (err) {
    // Some values are checked (PUBLIC_URL must be a URL, ...): an error must name the variable.
    expect((err as Error).message).toContain(name);
    return;
  }
  const actual = path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
  expect(actual).toBe(value === '9' ? 9 : name === 'TEMPORAL_TLS' ? true : value);
});

test('${ENV} placeholders are filled from the environment', () => {
  const { config } = loadConfig({
    file: fixture('missing-env.yaml'),
    env: { REFLEX_TEST_UNSET_SECRET: 'tok-123' },
  });
  expect(config.sources[0]!.auth.secrets).toEqual(['tok-123']);
});

const errors: Array<[string, string, NodeJS.ProcessEnv, RegExp]> = [
  [
    'a wrong type',
    'bad-port.yaml',
    {},
    /bad-port\.yaml:2: server\.port \(or environment variable PORT\): .*number/,
  ],
  [
    'a missing environment variable',
    'missing-env.yaml',
    {},
    /missing-env\.yaml:6: sources\[0\]\.auth\.secrets\[0\]: environment variable REFLEX_TEST_UNSET_SECRET is not set/,
  ],
  ['a YAML syntax error', 'broken.yaml', {}, /broken\.yaml:[23]: Nested mappings/],
  [
    'an invalid source name',
    'bad-source.yaml',
    {},
    /bad-source\.yaml:4: sources\[0\]\.name: lowercase letters/,
  ],
  ['an empty secret list', 'bad-source.yaml', {}, /bad-source\.yaml:7: sources\[0\]\.auth\.secrets: /],
  ['a file that does not exist', 'nope.yaml', {}, /nope\.yaml: cannot read the file \(ENOENT\)/],
];

test.each(errors)('%s names the file, line and key', (_what, file, env, message) => {
  expect(() => loadConfig({ file: fixture(file), env })).toThrow(ConfigError);
  expect(() => loadConfig({ file: fixture(file), env })).toThrow(message);
});

test('a bad PORT from the environment names the variable', () => {
  expect(() => loadConfig({ env: { PORT: 'abc' } })).toThrow(/server\.port \(or environment variable PORT\)/);
});

test('`reflex start` with a bad config exits non-zero before starting anything, naming the key', () => {
  const result = spawnSync(
    process.execPath,
    [join(__dirname, '../dist/cli/main.js'), 'start', '--config', fixture('bad-port.yaml')],
    {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, TEMPORAL_CLI_PATH: '/nonexistent/temporal' },
    },
  );
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/bad-port\.yaml:2: server\.port/);
  expect(result.stdout).not.toContain('Reflex is running');
});

test('chat channels named by a contact group must exist, and the group too, naming the lines', () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'chat-config-'));
  const file = join(dir, 'reflex.yaml');
  writeFileSync(
    file,
    [
      'chat:',
      '  channels:',
      '    - { name: teams-oncall, kind: teams, url: https://example.org/workflows/x }',
      'contacts:',
      '  channels:',
      '    on-call: [teams-oncall, slack-oncall]',
      '    board: [teams-oncall]',
      '',
    ].join('\n'),
  );
  const { config, source } = loadConfig({ file, env: {} });
  expect(() => checkConfig(config, { mode: 'start', playbooks: [], source })).toThrow(
    new ConfigError([
      `${file}:6: contacts.channels.on-call[1]: no chat channel "slack-oncall" in chat.channels (known: teams-oncall)`,
      `${file}:7: contacts.channels.board: no contact group "board" (known: on-call, dpo)`,
    ]),
  );
});
