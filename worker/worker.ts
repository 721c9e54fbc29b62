// Builds the Temporal worker: the interpreter workflow plus activities over the injected clients.
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface ReflexWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
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
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(options.deps),
    interceptors: options.interceptors,
    // Let in-flight activities finish on shutdown (e-mails half-sent are worse than a slower stop).
    shutdownGraceTime: '20 seconds',
    ...options.tuning,
  });
}
