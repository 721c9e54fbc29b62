// Builds the Temporal worker: the interpreter workflow plus activities over the injected clients.
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { temporalLogger, type Logger } from '../common/logger';

export interface ReflexWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
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

/** Bundles the workflows (webpack), its report at debug level and only its problems above. */
async function bundle(log: Logger | undefined): Promise<WorkerOptions['workflowBundle']> {
  const base = log ? temporalLogger(log, 'bundler') : undefined;
  const quiet = base && {
    ...base,
    info: base.debug,
    log: (level: Parameters<typeof base.log>[0], message: string, meta?: Record<string, unknown>) =>
      base.log(level === 'INFO' ? 'DEBUG' : level, message, meta),
  };
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quiet });
}

export async function createReflexWorker(options: ReflexWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await bundle(options.log)),
    activities: createActivities(options.deps),
    interceptors: options.interceptors,
    // Let in-flight activities finish on shutdown (e-mails half-sent are worse than a slower stop).
    shutdownGraceTime: '20 seconds',
    ...options.tuning,
  });
}
