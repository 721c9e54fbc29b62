// Silent sources, composed: which sources are watched (`expectEvery` on webhook sources, log files and
// the syslog listener), the in-memory note of deliveries the intake and the log triggers make, the
// store, and the watcher that raises an alert through the shared routing when one falls silent.
import type { ReflexConfig } from '../config/schema';
import type { Logger } from '../common/logger';
import type { Metrics } from '../server/metrics';
import { SourceActivityTable } from '../storage/source-activity';
import type { Db } from '../storage/db';
import { deliverAlert, type IntakeDeps } from '../triggers/intake';
import { SilenceWatcher, SourceActivity, type WatchedSource } from '../triggers/silence';
import type { Resources } from './resources';
import type { SourceStatus } from '../server/contracts/incidents';

/** The sources that say how often they speak. */
export function watchedSources(config: ReflexConfig): WatchedSource[] {
  const watched: WatchedSource[] = [];
  for (const s of config.sources) {
    if (s.expectEvery) watched.push({ name: s.name, kind: 'webhook', expectEvery: s.expectEvery });
  }
  for (const f of config.logs.files) {
    if (f.expectEvery) watched.push({ name: f.name, kind: 'file', expectEvery: f.expectEvery });
  }
  const syslog = config.logs.syslog;
  if (syslog?.expectEvery)
    watched.push({ name: syslog.name, kind: 'syslog', expectEvery: syslog.expectEvery });
  return watched;
}

/** Every configured source (webhooks, log files, syslog) with its last delivery and silence. */
export async function sourceStatuses(
  config: ReflexConfig,
  store: Pick<SourceActivityTable, 'list'>,
): Promise<SourceStatus[]> {
  const rows = new Map((await store.list()).map((r) => [r.source, r]));
  const expected = new Map(watchedSources(config).map((w) => [w.name, w.expectEvery]));
  const all: Array<Pick<SourceStatus, 'name' | 'kind'>> = [
    ...config.sources.map((s) => ({ name: s.name, kind: 'webhook' as const })),
    ...config.logs.files.map((f) => ({ name: f.name, kind: 'file' as const })),
    ...(config.logs.syslog ? [{ name: config.logs.syslog.name, kind: 'syslog' as const }] : []),
  ];
  return all.map((s) => {
    const row = rows.get(s.name);
    return {
      ...s,
      ...(expected.has(s.name) ? { expectEvery: expected.get(s.name) } : {}),
      ...(row?.lastSeenAt ? { lastSeenAt: row.lastSeenAt } : {}),
      ...(row?.silentSince ? { silentSince: row.silentSince } : {}),
    };
  });
}

/** Starts the watcher (every server runs one; their claims in the database let one of them tell on-call). */
export function startSilentSources(
  inputs: {
    config: ReflexConfig;
    db: Db;
    intake: Pick<IntakeDeps, 'incidents' | 'playbooks' | 'onUnrouted'>;
    metrics: Metrics;
    log: Logger;
  },
  resources: Resources,
): { activity: SourceActivity; store: SourceActivityTable } {
  const { config, metrics } = inputs;
  const activity = new SourceActivity();
  const store = new SourceActivityTable(inputs.db);
  const sources = watchedSources(config);
  const watched = new Set(sources.map((s) => s.name));
  const watcher = new SilenceWatcher({
    sources,
    activity,
    store,
    deliver: (alert) => deliverAlert(inputs.intake, alert, false),
    onChecked: (rows) => {
      for (const row of rows) {
        if (row.lastSeenAt)
          metrics.sourceLastDelivery.set({ source: row.source }, Date.parse(row.lastSeenAt) / 1000);
        if (watched.has(row.source))
          metrics.sourceSilent.set({ source: row.source }, row.silentSince ? 1 : 0);
      }
    },
    log: inputs.log,
    everyMs: config.server.silenceCheckSeconds * 1000,
  });
  watcher.start();
  resources.add('silent-source watcher', () => watcher.stop());
  return { activity, store };
}
