// The Temporal worker with every activity built over the clients this process owns.
import { GraphThrottle } from '../activities/entra/throttle';
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Mailer } from '../mail/transport';
import type { ReflexConfig } from '../config/schema';
import type { Logger } from '../common/logger';
import type { TemplateStore } from '../activities/notify/templates';
import { WebhookSecretStore } from '../activities/secrets/stores';
import { createReflexWorker } from '../worker/worker';
import { retryAuditInterceptor } from '../worker/retry-audit';
import { createGraphClient } from './graph-client';
import type { Storage } from './storage';
import type { Resources } from './resources';
import type { ReadinessCheck } from '../server/routes/health';

export interface WorkerInputs {
  config: ReflexConfig;
  connection: NativeConnection;
  storage: Storage;
  mailer: Mailer;
  templates: TemplateStore;
  log: Logger;
  /** Tests pass a prebuilt workflow bundle. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Starts the worker; its drain is registered with `resources`. Returns its readiness check. */
export async function startWorker(inputs: WorkerInputs, resources: Resources): Promise<ReadinessCheck> {
  const { config, storage, mailer, templates, log } = inputs;
  const graph = createGraphClient(config.entra);
  // One gate for every Graph call this worker makes (secret rotation included): Graph throttles per app.
  const throttle = new GraphThrottle();
  const outbound = { allowLoopback: config.outbound.allowLoopback };
  const stores = new Map(
    config.secretStores.map((s) => [s.name, new WebhookSecretStore(s.url, s.token, outbound)]),
  );
  const worker: Worker = await createReflexWorker({
    connection: inputs.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: inputs.workflowBundle,
    log,
    tuning: { maxCachedWorkflows: config.temporal.maxCachedWorkflows },
    interceptors: { activity: [retryAuditInterceptor((events) => storage.audit.append(events), log)] },
    deps: {
      audit: storage.audit,
      email: { mailer, from: config.mail.from },
      notify: { mailer, from: config.mail.from, templates, timeZone: config.organisation.timeZone },
      entra: { graph, throttle },
      approvalLinks: storage.approvalLinks,
      secrets: { graph, throttle, stores },
      http: { secrets: config.actions.http.secrets, ...outbound },
      chat: {
        channels: new Map(config.chat.channels.map((c) => [c.name, { kind: c.kind, url: c.url }])),
        outbound,
        timeZone: config.organisation.timeZone,
      },
    },
  });
  const running = worker.run();
  running.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
  resources.add('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
  });
  return {
    name: 'worker',
    check: async () => {
      if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
    },
  };
}
