// Log triggers: file tails, syslog listeners, Entra log pollers and the Microsoft 365 audit feed feeding the rules, whose firings go
// through the same routing and start-or-join as a webhook, claimed like a delivery id.
import { resolve } from 'node:path';
import type { ReflexConfig } from '../config/schema';
import type { Logger } from '../common/logger';
import { LogTriggers, type PullSource, type TroubleRecorder } from '../triggers/logs/runner';
import { GraphLogPoller } from '../triggers/logs/graph-source';
import { ManagementActivityPoller, MANAGEMENT_API_SCOPE } from '../triggers/logs/management-activity';
import type { LoadedRule } from '../triggers/logs/rules';
import { claimDelivery, deliverAlert, type IntakeDeps } from '../triggers/intake';
import { DbLogState } from '../storage/log-state';
import { Leases, leaseHolder } from '../storage/leases';
import type { Metrics } from '../server/metrics';
import { createEntraCredential, createGraphClient } from './graph-client';
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
  /** Records arrived from a source (silent sources). */
  onRecords?: (source: string) => void;
  log: Logger;
}

/** The lease's name: the log triggers are one thing, whatever sources they read. */
export const LOG_LEASE = 'log-triggers';

function logLease(leases: Leases, holder: string, seconds: number) {
  return {
    acquire: () => leases.acquire(LOG_LEASE, holder, seconds * 1000),
    release: () => leases.release(LOG_LEASE, holder),
    renewMs: Math.floor((seconds * 1000) / 3),
  };
}

export async function startLogTriggers(inputs: LogTriggerInputs, resources: Resources): Promise<LogTriggers> {
  const { config, storage, metrics, log } = inputs;
  const graphLogs = config.logs.graph;
  const graph = createGraphClient(config.entra);
  const pulled: Array<{ source: PullSource; drill: boolean }> = (['signIns', 'directoryAudits'] as const)
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
  const feed = config.logs.m365Audit;
  if (feed) {
    // Its own token audience: a Graph token is refused there.
    const credential = createEntraCredential(config.entra)!;
    pulled.push({
      drill: feed.drill,
      source: new ManagementActivityPoller({
        name: 'm365-audit',
        tenantId: config.entra.tenantId!,
        contentTypes: feed.contentTypes,
        baseUrl: feed.baseUrl,
        intervalMs: feed.intervalSeconds * 1000,
        lookbackMs: feed.lookbackHours * 3_600_000,
        overlapMs: feed.overlapMinutes * 60_000,
        maxBlobsPerPoll: feed.maxBlobsPerPoll,
        token: async () => (await credential.getToken(MANAGEMENT_API_SCOPE)).token,
        log,
      }),
    });
  }
  // Several servers on one PostgreSQL: one reads the logs at a time (the embedded database has one
  // process by its lock file, and needs no lease).
  const holder = leaseHolder();
  const lease = config.database.url
    ? logLease(new Leases(storage.db), holder, config.logs.leaseSeconds)
    : undefined;
  const triggers = new LogTriggers({
    lease,
    rules: inputs.rules,
    files: config.logs.files.map((f) => ({ ...f, path: resolve(f.path) })),
    syslog: config.logs.syslog,
    pulled,
    store: new DbLogState(storage.db, lease ? { lease: LOG_LEASE, holder } : undefined),
    pollMs: config.logs.pollMs,
    log,
    sink: {
      // A firing id is claimed like a webhook delivery id: delivered once, however often re-read.
      claim: async (id) => {
        const claim = await claimDelivery(storage.deliveries, 'log-rules', id);
        // Another attempt may still be delivering it (or died moments ago): the batch waits.
        if (claim.state === 'in-flight')
          throw new Error(`rule firing ${id} is being delivered, or its last attempt died moments ago`);
        return claim.state === 'first';
      },
      release: (id) => storage.deliveries.release('log-rules', id),
      deliver: async (alert, drill, id) => {
        const result = await deliverAlert(inputs.intake, alert, drill);
        await storage.deliveries.settle('log-rules', id, result.incidentId).catch(() => undefined);
        return result;
      },
    },
    onFiring: (firing) => metrics.ruleFirings.inc({ rule: firing.ruleId }),
    onRecords: inputs.onRecords,
    onTrouble: async (trouble) => {
      metrics.logRecordsLost.inc({ source: trouble.source, kind: trouble.kind }, trouble.records);
      await inputs.onTrouble(trouble);
    },
  });
  await triggers.start();
  resources.add('log triggers', () => triggers.stop());
  return triggers;
}
