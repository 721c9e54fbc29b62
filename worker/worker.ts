// Builds the Temporal worker: the interpreter workflow plus activities over the injected clients.
import { setFlagsFromString } from 'node:v8';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Logger } from '../common/logger';
import { workflowBundleForStart } from './bundle';

export interface ReflexWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A bundle to use (tests build one per run); otherwise the build's (./bundle.ts), or one made at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the bundler's report goes: at debug level (a page of webpack output is not for people). */
  log?: Logger;
  /** Records step retries on the audit trail (server/retry-audit.ts). */
  interceptors?: WorkerOptions['interceptors'];
  /** Extra worker options (tuning, benchmarks). */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'
    >
  >;
}

/**
 * The young generation of the workflow thread, per semi-space. V8 on Node 24 grows a busy isolate's
 * young generation to 128 MiB; the workflow thread allocates briefly for every activation and keeps
 * little, so a small one serves it. 10,000 waiting incidents: worker RSS 714 MiB before, 581 MiB with
 * this thread capped, 474 MiB with both threads capped as docker-compose.yml does (docs/BENCHMARKS.md,
 * "The young generation, and modules evaluated once").
 */
export const WORKFLOW_THREAD_SEMI_SPACE_MIB = 8;

/** Whether whoever started this process chose the young generation's size (a flag or NODE_OPTIONS). */
function semiSpaceChosenByOperator(): boolean {
  const flag = /--max[-_]semi[-_]space[-_]size/;
  return process.execArgv.some((a) => flag.test(a)) || flag.test(process.env.NODE_OPTIONS ?? '');
}

/**
 * Caps the young generation of V8 isolates made from now on: the workflow thread the SDK starts in
 * `Worker.create` (V8's flags are read when an isolate is made, so this thread, already running, keeps
 * its own). An operator's `--max-semi-space-size` (docker-compose.yml sets one for both threads) stands.
 */
export function capWorkflowThreadYoungGeneration(): void {
  if (semiSpaceChosenByOperator()) return;
  setFlagsFromString(`--max-semi-space-size=${WORKFLOW_THREAD_SEMI_SPACE_MIB}`);
}

export async function createReflexWorker(options: ReflexWorkerOptions): Promise<Worker> {
  capWorkflowThreadYoungGeneration();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await workflowBundleForStart(options.log)),
    activities: createActivities(options.deps),
    interceptors: options.interceptors,
    // Let in-flight activities finish on shutdown (e-mails half-sent are worse than a slower stop).
    shutdownGraceTime: '20 seconds',
    ...options.tuning,
  });
}
