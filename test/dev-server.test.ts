// The embedded Temporal dev server's ports: drawn when the caller leaves them open, drawn again when
// another process takes one first, and the caller's own port kept (with a clear error when it is taken).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startDevServer, DevServerStartError, type DevServer } from '../temporal/dev-server';
import { createLogger } from '../common/logger';
import { freePort } from './helpers/ports';

const cliPath = process.env.REFLEX_TEST_TEMPORAL_CLI!;
const log = createLogger({ level: 'silent' });
const servers: DevServer[] = [];
const held: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const listener of held) listener.close();
});

const portOf = (address: string) => Number(address.split(':').pop());

test('drawn ports: it answers where it says, its Web UI too; headless, it has none', async () => {
  const withUi = await startDevServer({ cliPath, log });
  servers.push(withUi);
  expect(withUi.address).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(portOf(withUi.address)).toBeGreaterThan(0);
  expect(withUi.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const ui = await fetch(`${withUi.uiUrl}/api/v1/namespaces/default`);
  expect(ui.status).toBe(200);
  expect(await ui.json()).toMatchObject({ namespaceInfo: { name: 'default' } });

  const headless = await startDevServer({ cliPath, uiPort: false, log });
  servers.push(headless);
  expect(headless.uiUrl).toBeUndefined();
  expect(headless.address).not.toBe(withUi.address);
});

test('a drawn port another process takes before the server binds it is drawn again', async () => {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'dev-server-'));
  const calls = join(dir, 'calls');
  // The CLI's first start loses its port (as when another process takes it between the draw and the
  // bind); later starts are the real CLI. Each start's arguments are recorded.
  const cli = join(dir, 'temporal');
  writeFileSync(
    cli,
    [
      '#!/bin/sh',
      `echo "$*" >> '${calls}'`,
      `if [ "$(wc -l < '${calls}')" -eq 1 ]; then`,
      '  echo \'{"level":"fatal","msg":"listen tcp 127.0.0.1:1: bind: address already in use"}\' >&2',
      '  exit 1',
      'fi',
      `exec '${cliPath}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(cli, 0o755);
  const server = await startDevServer({ cliPath: cli, log });
  servers.push(server);
  const starts = readFileSync(calls, 'utf8').trim().split('\n');
  expect(starts).toHaveLength(2);
  const [lost, won] = starts.map((args) => args.match(/--port (\d+) --ui-port (\d+)/)!.slice(1));
  // Both ports drawn afresh for the second start, and the server answers on the second start's port.
  expect(won).not.toEqual(lost);
  expect(server.address).toBe(`127.0.0.1:${won![0]}`);
  expect(server.uiUrl).toBe(`http://127.0.0.1:${won![1]}`);
});

test('a port the caller chose is kept: taken by another process, the start fails and says why', async () => {
  const port = await freePort();
  // Another process's port: it holds it and hangs up on whoever calls.
  const listener = createServer((socket) => socket.destroy());
  held.push(listener);
  await new Promise<void>((done) => listener.listen(port, '127.0.0.1', done));
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'dev-server-'));
  const calls = join(dir, 'calls');
  const cli = join(dir, 'temporal');
  writeFileSync(cli, `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${cliPath}' "$@"\n`);
  chmodSync(cli, 0o755);
  const start = startDevServer({ cliPath: cli, port, uiPort: false, log });
  await expect(start).rejects.toBeInstanceOf(DevServerStartError);
  await expect(start).rejects.toThrow(/exited early[\s\S]*address already in use/);
  // Every try asked for the caller's port; none drew another.
  const starts = readFileSync(calls, 'utf8').trim().split('\n');
  expect(starts.length).toBeGreaterThan(1);
  for (const args of starts) expect(args).toContain(`--port ${port} `);
});
