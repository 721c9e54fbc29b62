// The composition root: the only place that builds real clients. `reflex start` runs everything in one
// process; `reflex worker` and `reflex server` run the parts separately for production. Each resource
// is opened by its own module and closed in reverse order (resources.ts).
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { Express } from 'express';
import type { WorkerOptions } from '@temporalio/worker';
import type { ReflexConfig, SourceConfig } from '../config/schema';
import type { Mode } from '../config/checks';
import { resolveOrganisation } from '../config/contacts';
import type { Logger } from '../common/logger';
import type { YamlSource } from '../common/yaml-source';
import type { LoadedPlaybook } from '../playbooks/load';
import { IncidentGateway } from '../temporal/incident-gateway';
import type { LogTriggers } from '../triggers/logs/runner';
import type { AuditStore } from '../storage/audit-store';
import type { ApprovalLinks } from '../storage/approval-links';
import type { IncidentIndex } from '../storage/incident-index';
import type { PlaybookGovernance } from '../storage/sign-offs';
import type { DemoMailbox } from '../mail/demo-mailbox';
import { createHealthApp, type ReadinessCheck } from '../server/app';
import { auditEvent } from '../workflows/model/audit-events';
import { loadInputs } from './inputs';
import { Resources } from './resources';
import { bindHttp } from './http';
import { claimStorage } from './storage';
import { openMail } from './mail';
import { openTemporal, type TemporalConnection } from './temporal';
import { startWorker } from './worker';
import { buildHttpApp } from './http-app';
import { openGovernance } from './governance';
import { startBreachReminders } from './breach-reminders';

export type { Mode } from '../config/checks';

export interface RunOptions {
  mode: Mode;
  config: ReflexConfig;
  /** The configuration file it came from, so problems name its lines. */
  configSource?: YamlSource;
  log: Logger;
  /** Adds a `demo` webhook source whose secret is kept in the data directory. */
  demo?: boolean;
  /** Where a built Temporal CLI goes. @default <project>/.tools */
  toolsDir?: string;
  /** Tests pass a prebuilt workflow bundle. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  env?: NodeJS.ProcessEnv;
}

export interface Reflex {
  /** The HTTP server's base URL. */
  url: string;
  /** Temporal's Web UI, when Reflex runs the embedded dev server. */
  temporalUiUrl?: string;
  temporalAddress: string;
  mailbox?: DemoMailbox;
  /** The one way to Temporal about incidents. */
  gateway: IncidentGateway;
  audit: AuditStore;
  approvalLinks: ApprovalLinks;
  incidents: IncidentIndex;
  playbooks: readonly LoadedPlaybook[];
  /** The board's sign-offs of the playbooks (start and server modes). */
  governance?: PlaybookGovernance;
  /** Where the local admin token is kept (`reflex start` without configured tokens). */
  demoTokenFile?: string;
  sources: readonly SourceConfig[];
  /** File and syslog triggers, when configured. */
  logTriggers?: LogTriggers;
  /** The HTTP app (start and server modes), e.g. for listing its routes. */
  app?: Express;
  /** Stops in order: stop accepting HTTP, drain the worker, stop Temporal and the rest. */
  stop(): Promise<void>;
}

export async function runReflex(options: RunOptions): Promise<Reflex> {
  const { mode, config, log } = options;
  const dataDir = resolve(config.dataDir);
  // Everything that can be wrong with the input is checked before anything starts.
  const inputs = loadInputs(options);
  const resources = new Resources(log);
  // The owner's only: it holds the embedded database, Temporal's state, the demo mailbox's approval
  // links and the local secrets.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const http = await bindHttp(config);
  const phases = new StartupPhases();
  // Temporal opens beside the database, with resources of its own closed in their place: the
  // embedded dev server's start and PGlite's recovery after a crash each take seconds.
  const temporalResources = new Resources(log);
  let temporalOpening: Promise<TemporalConnection> | undefined;
  try {
    const organisation = resolveOrganisation(config, http.publicUrl);
    // First the data directory's database is this process's (another live Reflex on it: an error
    // here, before a dev server could be started on its Temporal file).
    const claimed = claimStorage(config, dataDir);
    temporalOpening = phases.time('temporal', () =>
      openTemporal(
        config,
        { dataDir, toolsDir: options.toolsDir, log, env: options.env ?? process.env },
        temporalResources,
      ),
    );
    temporalOpening.catch(() => undefined); // awaited below, or settled before closing on a failure
    const storage = await phases.time('storage', async () => {
      const opened = await claimed.open(resources);
      await opened.audit.append([configLoadedEvent(mode, inputs.playbooks)]);
      return opened;
    });
    const governance =
      mode === 'worker'
        ? undefined
        : await phases.time('governance', () =>
            openGovernance(config, dataDir, storage.audit, inputs.playbooks, resources),
          );
    const mail = await phases.time('mail', () => openMail(config, dataDir, resources));
    const temporal = await temporalOpening;
    resources.add('Temporal', () => temporalResources.close());
    const gateway = new IncidentGateway({
      client: temporal.client,
      taskQueue: config.temporal.taskQueue,
      contacts: inputs.contacts,
      organisation,
      // The worker shares this process's connection: the first workflow task comes back in the start response.
      eagerStart: mode === 'start',
      pin: governance && ((playbook) => governance.pin(playbook)),
    });
    const readiness: ReadinessCheck[] = [
      {
        name: 'temporal',
        check: async () => void (await temporal.connection.workflowService.getSystemInfo({})),
      },
      { name: 'storage', check: () => storage.db.ping() },
    ];
    if (mode !== 'server') {
      startBreachReminders(
        {
          config,
          storage,
          mailer: mail.mailer,
          playbooks: inputs.playbooks,
          contacts: inputs.contacts,
          publicUrl: organisation.publicUrl,
          log,
        },
        resources,
      );
      readiness.push(
        await phases.time('worker', () =>
          startWorker(
            {
              config,
              connection: temporal.connection,
              storage,
              mailer: mail.mailer,
              templates: inputs.templates,
              log,
              workflowBundle: options.workflowBundle,
            },
            resources,
          ),
        ),
      );
    }

    // A worker serves only /healthz and /readyz, for its orchestrator.
    const { app, logTriggers, demoTokenFile } =
      mode === 'worker'
        ? { app: createHealthApp(log, readiness), logTriggers: undefined, demoTokenFile: undefined }
        : await buildHttpApp(
            {
              mode,
              config,
              inputs,
              storage,
              gateway,
              governance: governance!,
              organisation,
              mailbox: mail.mailbox,
              readiness,
              dataDir,
              log,
            },
            resources,
          );
    http.serve(app);
    resources.add('HTTP server', () => http.close());
    log.info({ mode, startupMs: phases.done() }, 'Reflex is up');

    return {
      url: http.url,
      temporalUiUrl: temporal.uiUrl,
      temporalAddress: temporal.address,
      mailbox: mail.mailbox,
      gateway,
      audit: storage.audit,
      approvalLinks: storage.approvalLinks,
      incidents: storage.incidents,
      playbooks: inputs.playbooks,
      governance,
      sources: inputs.sources,
      demoTokenFile,
      logTriggers,
      app: mode === 'worker' ? undefined : app,
      stop: () => resources.close(),
    };
  } catch (err) {
    await http.close();
    await resources.close();
    // Temporal may still have been opening when something else failed: closed once it is done.
    await temporalOpening?.catch(() => undefined);
    await temporalResources.close();
    throw err;
  }
}

/** How long each part of the start took, in ms (the `Reflex is up` log line). */
class StartupPhases {
  private readonly began = performance.now();
  private readonly took: Record<string, number> = {};

  async time<T>(phase: string, open: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await open();
    } finally {
      this.took[phase] = Math.round(performance.now() - t0);
    }
  }

  /** The phases, `total` (since `runReflex` began) and `process` (since the process started). */
  done(): Record<string, number> {
    return {
      ...this.took,
      total: Math.round(performance.now() - this.began),
      process: Math.round(process.uptime() * 1000),
    };
  }
}

/** The `system` chain records each start: which playbooks (and versions) this process runs. */
function configLoadedEvent(mode: Mode, playbooks: readonly LoadedPlaybook[]) {
  const at = new Date().toISOString();
  const content = {
    mode,
    playbooks: playbooks.map((p) => ({ id: p.definition.id, version: p.definition.version })),
  };
  const digest = createHash('sha256').update(JSON.stringify(content)).update(at).digest('hex').slice(0, 16);
  return auditEvent('config.loaded', {
    eventId: `system:config:${digest}`,
    chainId: 'system',
    at,
    actor: 'reflex',
    content,
  });
}
