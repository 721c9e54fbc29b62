// `reflex init` (issue 15, item 1): driven through a real pseudo-terminal (tmux) as a person would —
// a wrong answer refused where it is given, then the right one — and through flags as a script would;
// the configuration it writes starts Reflex and takes an alert with the secret it made; the
// registration script lists exactly the Graph permissions of the enabled playbooks; an existing
// configuration is never overwritten without --force.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load';
import { permissionsNeeded } from '../playbooks/permissions';
import { loadConfiguredPlaybooks } from '../startup/playbooks';
import { freePort } from './helpers/ports';

const CLI = join(__dirname, '../dist/cli/main.js');
const sentinelIncident = () =>
  readFileSync(join(__dirname, 'fixtures/adapters/sentinel-incident.json'), 'utf8');
const dir = () => mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'init-'));
const FLAGS = [
  '--organisation',
  "Museum 't Hoogt",
  '--on-call',
  'anna@museum.example, piet@museum.example',
  '--dpo',
  'dpo@museum.example',
  '--ncsc',
  'cert@ncsc.example',
  '--sources',
  'sentinel,splunk',
  '--public-url',
  'https://reflex.museum.example',
  '--language',
  'nl',
];
/** The environment of a command run in another folder (the test CA's path is relative to this one). */
const { NODE_EXTRA_CA_CERTS: _ca, ...elsewhere } = process.env;
const init = (cwd: string, args: string[]) =>
  spawnSync(process.execPath, [CLI, 'init', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...elsewhere, LOG_FORMAT: 'json' },
  });

/** The permissions a registration script grants, as it lists them. */
function scriptPermissions(text: string): string[] {
  const ps = /^\$permissions = @\((.*)\)$/m.exec(text);
  if (ps) return [...ps[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return /^permissions=\((.*)\)$/m.exec(text)![1]!.split(' ');
}
const enabledPermissions = (configFile: string) => {
  const { config, source } = loadConfig({ file: configFile, env: {} });
  return permissionsNeeded(loadConfiguredPlaybooks(config, source));
};

test('through flags: every bad answer named by its flag, and nothing written', () => {
  const cwd = dir();
  const result = init(cwd, [
    '--yes',
    '--organisation',
    'M',
    '--on-call',
    'anna@',
    '--time-zone',
    'Mars/Olympus',
    '--sources',
    'qradar',
  ]);
  expect(result.status).toBe(2);
  expect(result.stderr.split('\n').filter(Boolean)).toEqual([
    'reflex init: --time-zone: "Mars/Olympus" is not a time zone (like Europe/Amsterdam)',
    'reflex init: --on-call: not an e-mail address: anna@',
    expect.stringMatching(/^reflex init: --dpo is needed/),
    expect.stringMatching(/^reflex init: --sources: not one Reflex reads: qradar/),
  ]);
  expect(() => statSync(join(cwd, 'reflex.yaml'))).toThrow();
});

test('through flags: the configuration it writes starts Reflex, whose source takes an alert with the secret it made', async () => {
  const cwd = dir();
  const result = init(cwd, ['--yes', ...FLAGS, '--script', 'az']);
  expect(result.status).toBe(0);
  const configFile = join(cwd, 'reflex.yaml');
  expect(statSync(configFile).mode & 0o777).toBe(0o600);
  const text = readFileSync(configFile, 'utf8');
  expect(text).toContain("# Reflex's configuration, written by `reflex init`");
  const admin = /admin \(admin\): (\S+)/.exec(result.stdout)![1]!;
  expect(text).not.toContain(admin); // only its hash
  // The Azure CLI script: valid shell, and exactly the permissions of the enabled playbooks.
  const script = readFileSync(join(cwd, 'entra-app.sh'), 'utf8');
  execFileSync('bash', ['-n', join(cwd, 'entra-app.sh')]);
  expect(scriptPermissions(script)).toEqual(enabledPermissions(configFile));
  expect(script).toContain(`--display-name 'Reflex (Museum '\\''t Hoogt)'`);

  const { config } = loadConfig({ file: configFile, env: {} });
  expect(config.organisation).toMatchObject({
    name: "Museum 't Hoogt",
    locale: 'nl',
    timeZone: 'Europe/Amsterdam',
  });
  expect(config.contacts).toMatchObject({
    onCall: ['anna@museum.example', 'piet@museum.example'],
    dpo: 'dpo@museum.example',
    ncsc: 'cert@ncsc.example',
  });
  const sentinel = config.sources.find((s) => s.name === 'sentinel')!;

  const [port, smtp] = await Promise.all([freePort(), freePort()]);
  const reflex = spawn(process.execPath, [CLI, 'start', '--config', configFile], {
    cwd,
    env: {
      ...elsewhere,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      TEMPORAL_ADDRESS: process.env.REFLEX_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: `init-${port}`,
      REFLEX_DATA_DIR: join(cwd, 'data'),
      SMTP_URL: `smtp://127.0.0.1:${smtp}`,
      DATABASE_URL: '',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  reflex.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  reflex.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (
      (await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`Reflex did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const delivery = await fetch(`${url}/hooks/sentinel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-reflex-token': sentinel.auth.secrets[0]! },
      body: sentinelIncident(),
    });
    expect(delivery.status).toBe(202);
    const refused = await fetch(`${url}/hooks/sentinel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-reflex-token': 'not-the-secret-0123456789' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    // The admin token init showed once works.
    expect((await fetch(`${url}/api/config`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(
      200,
    );
  } finally {
    reflex.kill('SIGTERM');
    await new Promise((done) => reflex.once('exit', done));
  }
});

test('an existing reflex.yaml is kept unless --force', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'reflex.yaml'), '# mine\n');
  const kept = init(cwd, ['--yes', ...FLAGS]);
  expect(kept.status).toBe(1);
  expect(kept.stderr).toContain('reflex.yaml exists; nothing was written (--force replaces it)');
  expect(readFileSync(join(cwd, 'reflex.yaml'), 'utf8')).toBe('# mine\n');
  expect(init(cwd, ['--yes', '--force', ...FLAGS]).status).toBe(0);
  expect(readFileSync(join(cwd, 'reflex.yaml'), 'utf8')).toContain('written by `reflex init`');
});

// --- through a terminal --------------------------------------------------------------------------

const SOCKET = `reflex-init-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

async function screenShows(text: string, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'init');
    if (screen.includes(text)) return screen;
    if (Date.now() > deadline) throw new Error(`the terminal never showed "${text}":\n${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function answer(prompt: string, text: string) {
  await screenShows(prompt);
  tmux('send-keys', '-t', 'init', '-l', text);
  tmux('send-keys', '-t', 'init', 'Enter');
}

test('through a terminal: each question in turn, a wrong answer refused where it is given', async () => {
  const cwd = dir();
  tmux(
    'new-session',
    '-d',
    '-s',
    'init',
    '-x',
    '200',
    '-y',
    '60',
    '-c',
    cwd,
    `${process.execPath} ${CLI} init; echo "init exited $?"; sleep 600`,
  );
  await answer('Organisation name', 'Stedelijk Museum Voorbeeld');
  await answer('Time zone for times in messages and reports [Europe/Amsterdam]', ''); // the suggestion
  await answer('Language of notifications and the board (en or nl) [en]', 'nl');
  await answer('On-call e-mail addresses', 'anna@museum.example, not-an-address');
  await screenShows('✗ not an e-mail address: not-an-address; try again.');
  tmux('send-keys', '-t', 'init', '-l', 'anna@museum.example, piet@museum.example');
  tmux('send-keys', '-t', 'init', 'Enter');
  await answer('Data-protection officer', 'dpo@museum.example');
  await answer('NCSC contact', '');
  await answer('Where people and senders reach Reflex', 'https://reflex.voorbeeld.nl');
  await answer('Which security tools send alerts', 'grafana');
  await answer('Register the Entra application', '');
  const screen = await screenShows('init exited 0');
  expect(screen).toContain('Wrote reflex.yaml (0600) and entra-app.ps1.');
  expect(screen).toContain('Next:');
  const configFile = join(cwd, 'reflex.yaml');
  const { config } = loadConfig({ file: configFile, env: {} });
  expect(config.organisation).toMatchObject({
    name: 'Stedelijk Museum Voorbeeld',
    locale: 'nl',
    timeZone: 'Europe/Amsterdam',
  });
  expect(config.contacts.onCall).toEqual(['anna@museum.example', 'piet@museum.example']);
  expect(config.contacts.ncsc).toBeUndefined();
  expect(config.sources.map((s) => [s.name, s.auth.scheme])).toEqual([['grafana', 'grafana-hmac']]);
  expect(config.access.tokens.map((t) => [t.name, t.role, t.email])).toEqual([
    ['admin', 'admin', undefined],
    ['anna', 'responder', 'anna@museum.example'],
    ['piet', 'responder', 'piet@museum.example'],
  ]);
  const script = readFileSync(join(cwd, 'entra-app.ps1'), 'utf8');
  expect(scriptPermissions(script)).toEqual(enabledPermissions(configFile));
  expect(script).toContain("-DisplayName 'Reflex (Stedelijk Museum Voorbeeld)'");
  expect(script).toContain("RedirectUris = @('https://reflex.voorbeeld.nl/login/oidc/callback')");
});
