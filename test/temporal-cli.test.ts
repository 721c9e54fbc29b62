// Finding the Temporal CLI: TEMPORAL_CLI_PATH, then PATH, then the tools folder; and a clear message
// when it is missing and Go is not there to build it.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTemporalCli, buildTemporalCli, TemporalCliMissingError } from '../temporal/cli-binary';
import { createLogger } from '../common/logger';

function executable(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'temporal');
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

const root = () => mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'cli-'));

test('TEMPORAL_CLI_PATH wins over PATH and the tools folder', () => {
  const dir = root();
  const explicit = executable(join(dir, 'explicit'));
  executable(join(dir, 'onpath'));
  executable(join(dir, 'tools'));
  expect(
    findTemporalCli(join(dir, 'tools'), { TEMPORAL_CLI_PATH: explicit, PATH: join(dir, 'onpath') }),
  ).toBe(explicit);
});

test('then PATH, then the tools folder', () => {
  const dir = root();
  const onPath = executable(join(dir, 'onpath'));
  const tools = executable(join(dir, 'tools'));
  expect(findTemporalCli(join(dir, 'tools'), { PATH: `/nonexistent:${join(dir, 'onpath')}` })).toBe(onPath);
  expect(findTemporalCli(join(dir, 'tools'), { PATH: '/nonexistent' })).toBe(tools);
  expect(findTemporalCli(join(dir, 'empty'), { PATH: '/nonexistent' })).toBeUndefined();
});

test('a TEMPORAL_CLI_PATH that is not executable is an error, not a silent fallback', () => {
  expect(() => findTemporalCli(root(), { TEMPORAL_CLI_PATH: '/nonexistent/temporal' })).toThrow(
    /TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable file/,
  );
});

test('without Go, building explains how to get the CLI', async () => {
  const promise = buildTemporalCli(root(), createLogger({ level: 'silent' }), { PATH: '/nonexistent' }, []);
  await expect(promise).rejects.toBeInstanceOf(TemporalCliMissingError);
  await expect(promise).rejects.toThrow(/go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
  await expect(promise).rejects.toThrow(/TEMPORAL_ADDRESS/);
  await expect(promise).rejects.toThrow(/Go is not installed/);
});

test('building says what it does, roughly how long it takes, that it is still going, and when it is done', async () => {
  const dir = root();
  // A stand-in for Go that takes a second and "installs" the CLI into GOBIN.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'go'),
    '#!/bin/sh\nsleep 1\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"\n',
  );
  chmodSync(join(bin, 'go'), 0o755);
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: { write: (line: string) => void lines.push((JSON.parse(line) as { msg: string }).msg) },
  });
  const built = await buildTemporalCli(join(dir, 'tools'), log, { PATH: `${bin}:/usr/bin:/bin` }, [], 300);
  expect(built).toBe(join(dir, 'tools', 'temporal'));
  expect(lines[0]).toMatch(/building it with go install\. About 4 minutes the first time/);
  expect(
    lines.filter((l) => /^Still building the Temporal CLI \(0 min \d s so far\)…$/.test(l)).length,
  ).toBeGreaterThan(0);
  expect(lines.at(-1)).toBe('Temporal CLI built');
});
