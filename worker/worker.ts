// Builds the Temporal worker: the interpreter workflow plus activities over the injected clients.
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

export async function createReflexWorker(options: ReflexWorkerOptions): Promise<Worker> {
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
