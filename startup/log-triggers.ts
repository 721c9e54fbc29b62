// Log triggers: file tails, syslog listeners and Entra log pollers feeding the rules, whose firings go
// through the same routing and start-or-join as a webhook, claimed like a delivery id.
import { resolve } from 'node:path';
import type { ReflexConfig } from '../config/schema';
import type { Logger } from '../common/logger';
import { LogTriggers, type TroubleRecorder } from '../triggers/logs/runner';
import { GraphLogPoller } from '../triggers/logs/graph-source';
import type { LoadedRule } from '../triggers/logs/rules';
import { deliverAlert, type IntakeDeps } from '../triggers/intake';
import { DbLogState } from '../storage/log-state';
import type { Metrics } from '../server/metrics';
import { createGraphClient } from './graph-client';
import type { Storage } from './storage';
import type { Resources } from './resources';

export interface LogTriggerInputs {
  config: ReflexConfig;
  rules: readonly LoadedRule[];
  storage: Storage;
  /** Routing and start-or-join, shared with the webhook intake. */
  intake: Pick<IntakeDeps, 'incidents' | 'playbooks' | 'onUnrouted'>;
  metrics: Metrics;
  /** Records skipped and dropped log records (the intake chain). */
  onTrouble: TroubleRecorder;
  log: Logger;
}

export async function startLogTriggers(inputs: LogTriggerInputs, resources: Resources): Promise<LogTriggers> {
  const { config, storage, metrics, log } = inputs;
  const graphLogs = config.logs.graph;
  const graph = createGraphClient(config.entra);
  const pulled = (['signIns', 'directoryAudits'] as const)
    .filter((resource) => graphLogs?.[resource])
    .map((resource) => ({
      drill: graphLogs!.drill,
      source: new GraphLogPoller(
        {
          name: resource === 'signIns' ? 'entra-signins' : 'entra-audit',
          resource,
          intervalMs: graphLogs!.intervalSeconds * 1000,
          lookbackMs: graphLogs!.lookbackMinutes * 60_000,
          overlapMs: graphLogs!.overlapMinutes * 60_000,
        },
        graph!,
      ),
    }));
  const triggers = new LogTriggers({
    rules: inputs.rules,
    files: config.logs.files.map((f) => ({ ...f, path: resolve(f.path) })),
    syslog: config.logs.syslog,
    pulled,
    store: new DbLogState(storage.db),
    pollMs: config.logs.pollMs,
    log,
    sink: {
      // A firing id is claimed like a webhook delivery id: delivered once, however often re-read.
      claim: async (id) => (await storage.deliveries.claim('log-rules', id)).first,
      release: (id) => storage.deliveries.release('log-rules', id),
      deliver: (alert, drill) => deliverAlert(inputs.intake, alert, drill),
    },
    onFiring: (firing) => metrics.ruleFirings.inc({ rule: firing.ruleId }),
    onTrouble: async (trouble) => {
      metrics.logRecordsLost.inc({ source: trouble.source, kind: trouble.kind }, trouble.records);
      await inputs.onTrouble(trouble);
    },
  });
  await triggers.start();
  resources.add('log triggers', () => triggers.stop());
  return triggers;
}
