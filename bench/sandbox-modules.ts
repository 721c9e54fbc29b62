// Benchmark: what one incident's workflow costs to create in the worker's reused V8 context, with
// Reflex's workflow modules preloaded once per worker (worker/bundle.ts, the default) and without
// (each workflow evaluates its own copy of every module). Creates BENCH_WORKFLOWS workflows per round
// through the SDK's own reusable-context creator (an internal module of @temporalio/worker: the
// creation path the worker takes, without a server, since no activation is needed for module
// evaluation), alternating the two bundles, and reports heap per workflow (after a full GC) and
// creation time. Run: npm run bench:modules. Writes the `sandboxModules` entry of bench-results.json.
import type { WorkflowInfo } from '@temporalio/workflow';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { bundleWorkflows } from '../worker/bundle';
import { percentile } from './stats';
import { machine, runBench, saveResult } from './results';

const COUNT = Number(process.env.BENCH_WORKFLOWS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const gc = (globalThis as { gc?: () => void }).gc;

function withSourceMap(code: string, filename: string) {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const base64 = code.slice(at).split('base64,')[1]!;
  return { code, filename, sourceMap: JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) };
}

function info(i: number): WorkflowInfo {
  const now = new Date();
  return {
    workflowType: 'runPlaybook',
    workflowId: `bench-${i}`,
    runId: `run-${i}`,
    firstExecutionRunId: `run-${i}`,
    taskQueue: 'bench',
    namespace: 'default',
    attempt: 1,
    historyLength: 0,
    historySize: 0,
    continueAsNewSuggested: false,
    startTime: now,
    runStartTime: now,
    searchAttributes: {},
    typedSearchAttributes: undefined,
    memo: {},
    unsafe: { isReplaying: false },
    priority: {},
  } as unknown as WorkflowInfo;
}

/** One round: COUNT workflows in a fresh reused context; heap per workflow and creation time. */
async function round(bundle: ReturnType<typeof withSourceMap>) {
  const creator = await ReusableVMWorkflowCreator.create(bundle, 5_000, new Set());
  gc!();
  const before = process.memoryUsage().heapUsed;
  const kept = [];
  const times: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const t0 = performance.now();
    kept.push(
      await creator.createWorkflow({
        info: info(i),
        randomnessSeed: [1, 2, 3, 4],
        now: Date.now(),
        showStackTraceSources: false,
      }),
    );
    times.push(performance.now() - t0);
  }
  gc!();
  const perWorkflowKiB = (process.memoryUsage().heapUsed - before) / COUNT / 1024;
  for (const workflow of kept) await workflow.dispose();
  await creator.destroy();
  return { perWorkflowKiB, times };
}

async function main() {
  if (!gc) throw new Error('run with --expose-gc (npm run bench:modules does)');
  const bundles = {
    preloaded: withSourceMap(await bundleWorkflows(undefined, { preload: true }), 'preloaded.js'),
    perWorkflow: withSourceMap(await bundleWorkflows(undefined, { preload: false }), 'per-workflow.js'),
  };
  const samples = {
    preloaded: { kib: [] as number[], ms: [] as number[] },
    perWorkflow: { kib: [] as number[], ms: [] as number[] },
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 === 0
      ? (['preloaded', 'perWorkflow'] as const)
      : (['perWorkflow', 'preloaded'] as const)) {
      const { perWorkflowKiB, times } = await round(bundles[name]);
      samples[name].kib.push(perWorkflowKiB);
      samples[name].ms.push(...times.slice(Math.floor(COUNT / 10))); // the first tenth warms up
    }
  }
  const summary = (s: { kib: number[]; ms: number[] }) => ({
    heapPerWorkflowKiB: Math.round(percentile(s.kib, 50)),
    createP50Ms: Math.round(percentile(s.ms, 50) * 1000) / 1000,
    createP99Ms: Math.round(percentile(s.ms, 99) * 1000) / 1000,
  });
  const result = {
    command: `BENCH_WORKFLOWS=${COUNT} BENCH_ROUNDS=${ROUNDS} npm run bench:modules`,
    at: new Date().toISOString(),
    machine: machine(),
    workflowsPerRound: COUNT,
    rounds: ROUNDS,
    preloaded: summary(samples.preloaded),
    perWorkflow: summary(samples.perWorkflow),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  saveResult('sandboxModules', result);
}

runBench(main);
