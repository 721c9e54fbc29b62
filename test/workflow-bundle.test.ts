// The workflow bundle `npm run build` writes beside the compiled code: used at start only when it was
// built from the workflow code this process has; a copy of the build with one workflow file changed
// (as after a hand edit, or a deploy that copied only part of dist/) bundles at start and says why.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** Runs `workflowBundleForStart` from the build under `dist`; returns what it chose and its log lines. */
function chooseBundle(dist: string): { chose: string; log: string } {
  const script = `
    const { workflowBundleForStart } = require(${JSON.stringify(join(dist, 'worker/bundle.js'))});
    const pino = require('pino');
    const log = pino({ level: 'debug' }, pino.destination(2));
    workflowBundleForStart(log).then((b) => {
      process.stdout.write(b.codePath ? 'path:' + b.codePath : 'code:' + b.code.length);
    });`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  expect(run.status).toBe(0);
  return { chose: run.stdout, log: run.stderr };
}

function copyOfBuild(): string {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'bundle-'));
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'dist');
}

test('the build carries a bundle of its own workflows, and a worker started from the build uses it', () => {
  const { chose, log } = chooseBundle(join(root, 'dist'));
  expect(chose).toBe(`path:${join(root, 'dist/workflow-bundle.js')}`);
  expect(log).toContain('"source":"prebuilt"');
});

test('a bundle built from other workflow code is never used: the worker bundles at start and says why', () => {
  const dist = copyOfBuild();
  appendFileSync(join(dist, 'workflows/incident.js'), '\n// changed after the build\n');
  const stale = chooseBundle(dist);
  expect(stale.chose).toMatch(/^code:\d{5,}$/);
  expect(stale.log).toContain('"source":"bundled at start"');
  expect(stale.log).toContain('the prebuilt bundle was built from other workflow code');
  // webpack's page of output is for debugging: the bundler's lines are at debug level or below.
  const bundler = stale.log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; component?: string })
    .filter((l) => l.component === 'bundler');
  expect(bundler.length).toBeGreaterThan(0);
  expect(bundler.every((l) => l.level <= 20)).toBe(true);

  rmSync(join(dist, 'workflow-bundle.json'));
  const missing = chooseBundle(dist);
  expect(missing.chose).toMatch(/^code:\d{5,}$/);
  expect(missing.log).toContain('no prebuilt bundle beside the compiled code');
}, 180_000);
