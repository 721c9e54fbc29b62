// The worker's memory: V8 on Node 24 grows a busy isolate's young generation to 128 MiB, and the
// workflow thread (where every incident's workflow runs) churns through short-lived objects. The
// worker caps the young generation of the thread it starts, unless the operator chose a size; this
// checks it on real V8 isolates in a child process of the built code (dist/, made by `npm run build`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WORKFLOW_THREAD_SEMI_SPACE_MIB } from '../worker/worker';

const built = join(__dirname, '../dist/worker/worker.js');

/** Caps as the worker does, then starts a thread that churns; prints the thread's young generation in MiB. */
function youngGenerationOfNextThread(nodeOptions?: string): number {
  const script = `
    const { capWorkflowThreadYoungGeneration } = require(${JSON.stringify(built)});
    const { Worker } = require('node:worker_threads');
    capWorkflowThreadYoungGeneration();
    const churn = \`
      const v8 = require('node:v8');
      const { parentPort } = require('node:worker_threads');
      let kept = [];
      for (let i = 0; i < 4e6; i++) {
        kept.push({ i, text: 'activation ' + i });
        if (kept.length > 2e5) kept = [];
      }
      const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      parentPort.postMessage(Math.round(young.space_size / 1048576));
    \`;
    new Worker(churn, { eval: true }).once('message', (mib) => {
      process.stdout.write(String(mib));
      process.exit(0);
    });`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env, timeout: 120_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return Number(run.stdout);
}

test('the thread the worker starts has a small young generation', () => {
  const mib = youngGenerationOfNextThread();
  expect(mib).toBeGreaterThan(0);
  // Two semi-spaces at most.
  expect(mib).toBeLessThanOrEqual(2 * WORKFLOW_THREAD_SEMI_SPACE_MIB);
}, 150_000);

test("an operator's --max-semi-space-size in NODE_OPTIONS stands", () => {
  const mib = youngGenerationOfNextThread('--max-semi-space-size=32');
  expect(mib).toBeGreaterThan(2 * WORKFLOW_THREAD_SEMI_SPACE_MIB);
  expect(mib).toBeLessThanOrEqual(64);
}, 150_000);
