// Composition root: the only place that builds real clients. `reflex start` runs everything in one
// process; `reflex worker` and `reflex server` run the parts separately for production.
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Transporter } from 'nodemailer';
import type { ReflexConfig, SourceConfig } from '../config/schema';
import { ConfigError } from '../config/load';
import type { Logger } from '../common/logger';
import { openDb, type Db } from '../storage/db';
import { AuditStore } from '../storage/audit-store';
import { IncidentIndex } from '../storage/incident-index';
import { WebhookDeliveries } from '../storage/deliveries';
import { AccessControl } from '../server/access';
import { intakeRecorder } from '../storage/intake-chain';
import { redactConfig } from '../config/redact';
import type { AccessToken } from '../config/schema';
import { ApprovalLinks } from '../storage/approval-links';
import { DemoMailbox } from '../mail/demo-mailbox';
import { demoTransport, smtpTransport } from '../mail/transport';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { connectTemporal, installTemporalRuntime } from '../temporal/connect';
import { createReflexWorker } from '../worker/worker';
import { retryAuditInterceptor } from '../worker/retry-audit';
import { Metrics } from '../server/metrics';
import { createApp, createHealthApp, type ReadinessCheck } from '../server/app';
import { createIntake, deliverAlert, type IntakeDeps } from '../triggers/intake';
import { LogTriggers } from '../triggers/logs/runner';
import { GraphLogPoller } from '../triggers/logs/graph-source';
import { loadRules } from '../triggers/logs/rules';
import { DbLogState } from '../storage/log-state';
import { approverGroups, loadPlaybooks, type LoadedPlaybook } from '../playbooks/load';
import { TemplateStore } from '../activities/notification-templates';
import { createGraphClient } from './graph-client';
import { WebhookSecretStore } from '../activities/secret-stores';
import { resolveContacts, resolveOrganisation } from '../config/contacts';
import { sampleAlert, startDrill } from '../cli/commands/incidents';
import { fromGeneric } from '../triggers/adapters/generic';
import { auditEvent } from '../workflows/model/audit-events';

export type Mode = 'start' | 'worker' | 'server';

export interface RunOptions {
  mode: Mode;
  config: ReflexConfig;
  log: Logger;
  /** Adds a `demo` webhook source whose secret is kept in the data directory. */
  demo?: boolean;
  /** @default <project>/playbooks */
  playbooksDir?: string;
  /** Where a built Temporal CLI goes. @default <project>/.tools */
  toolsDir?: string;
  /** Tests pass a prebuilt workflow bundle. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  env?: NodeJS.ProcessEnv;
}

export interface Reflex {
  /** The HTTP server's base URL (start and server modes). */
  url?: string;
  /** Temporal's Web UI, when Reflex runs the embedded dev server. */
  temporalUiUrl?: string;
  temporalAddress: string;
  mailbox?: DemoMailbox;
  client: Client;
  audit: AuditStore;
  approvalLinks: ApprovalLinks;
  incidents: IncidentIndex;
  playbooks: readonly LoadedPlaybook[];
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

export const PROJECT_DIR = resolve(
  __dirname,
  existsSync(resolve(__dirname, '../package.json')) ? '..' : '../..',
);
export const SHIPPED_RULES_DIR = join(PROJECT_DIR, 'triggers', 'rules');

export async function runReflex(options: RunOptions): Promise<Reflex> {
  const { mode, config, log } = options;
  const env = options.env ?? process.env;
  const dataDir = resolve(config.dataDir);
  const cleanup: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) {
      await step().catch((err: unknown) => log.warn({ err }, 'error during shutdown'));
    }
  };
  try {
    // Everything that can be wrong with the input is checked before anything starts.
    const playbooks = loadPlaybooks(options.playbooksDir ?? join(PROJECT_DIR, 'playbooks'));
    const graphLogs = config.logs.graph;
    const wantsLogs =
      config.logs.files.length > 0 ||
      Boolean(config.logs.syslog) ||
      Boolean(graphLogs?.signIns || graphLogs?.directoryAudits);
    const rules = wantsLogs ? loadRules(configuredRulePaths(config)) : [];
    if ((graphLogs?.signIns || graphLogs?.directoryAudits) && !config.entra.tenantId) {
      throw new ConfigError([
        'logs.graph needs Entra ID: set entra.tenantId, clientId and clientSecret (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)',
      ]);
    }
    if (mode !== 'start' && !config.temporal.address) {
      throw new ConfigError([`temporal.address (or TEMPORAL_ADDRESS) is required for 'reflex ${mode}'`]);
    }
    if (mode === 'worker' && !config.mail.smtpUrl) {
      throw new ConfigError([`mail.smtpUrl (or SMTP_URL) is required for 'reflex worker'`]);
    }
    const sources = options.demo ? [...config.sources, demoSource(config, dataDir)] : config.sources;
    const templates = new TemplateStore(
      config.notifications.templatesDir ?? join(PROJECT_DIR, 'playbooks', 'templates'),
    );
    const templateProblems = templates.check();
    if (templateProblems.length)
      throw new ConfigError(templateProblems.map((p) => `notification template ${p}`));
    const contacts = resolveContacts(config.contacts);
    const unknownGroups = playbooks.flatMap((p) =>
      approverGroups(p)
        .filter(({ group }) => !contacts.groups[group])
        .map(
          ({ step, group }) =>
            `${p.file}: step "${step}": approver group "${group}" is not in contacts.groups (known: ${Object.keys(contacts.groups).join(', ')})`,
        ),
    );
    if (unknownGroups.length) throw new ConfigError(unknownGroups);

    mkdirSync(dataDir, { recursive: true });
    const db: Db = await openDb({ url: config.database.url, embeddedDir: join(dataDir, 'db') });
    cleanup.push(() => db.close());
    const audit = new AuditStore(db);
    const approvalLinks = new ApprovalLinks(db);
    const incidents = new IncidentIndex(db);
    await incidents.rebuildMissing(audit);
    await audit.append([configLoadedEvent(mode, playbooks)]);

    let mailbox: DemoMailbox | undefined;
    let mailer: Transporter;
    if (config.mail.smtpUrl) {
      mailer = smtpTransport(config.mail.smtpUrl);
    } else {
      mailbox = await DemoMailbox.start({
        port: config.mail.demoMailbox.smtpPort,
        dir: join(dataDir, 'mailbox'),
      });
      cleanup.push(() => mailbox!.close());
      mailer = demoTransport(mailbox.port);
    }
    cleanup.push(async () => mailer.close());

    installTemporalRuntime(log);
    let devServer: DevServer | undefined;
    let address = config.temporal.address;
    if (!address) {
      const cliPath = await ensureTemporalCli(options.toolsDir ?? join(PROJECT_DIR, '.tools'), log, env);
      devServer = await startDevServer({
        cliPath,
        dbFile: join(dataDir, 'temporal.sqlite'),
        pidFile: join(dataDir, 'temporal.pid'),
        port: config.temporal.devServer.port,
        uiPort: config.temporal.devServer.uiPort,
        namespaces: config.temporal.namespace === 'default' ? [] : [config.temporal.namespace],
        log,
      });
      cleanup.push(() => devServer!.stop());
      address = devServer.address;
    }
    const { connection, client } = await connectTemporal({
      address,
      namespace: config.temporal.namespace,
      tls: config.temporal.tls,
      apiKey: config.temporal.apiKey,
    });
    cleanup.push(() => connection.close());

    const graph = createGraphClient(config.entra);
    const secretStores = new Map(
      config.secretStores.map((s) => [s.name, new WebhookSecretStore(s.url, s.token)]),
    );
    let worker: Worker | undefined;
    if (mode !== 'server') {
      worker = await createReflexWorker({
        connection: connection as NativeConnection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        workflowBundle: options.workflowBundle,
        tuning: { maxCachedWorkflows: config.temporal.maxCachedWorkflows },
        interceptors: { activity: [retryAuditInterceptor((events) => audit.append(events), log)] },
        deps: {
          audit,
          email: { mailer, from: config.mail.from },
          notify: { mailer, from: config.mail.from, templates, timeZone: config.organisation.timeZone },
          entra: { graph },
          approvalLinks,
          secrets: { graph, stores: secretStores },
          http: { secrets: config.actions.http.secrets },
        },
      });
      const running = worker.run();
      running.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
      cleanup.push(async () => {
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running.catch(() => undefined);
      });
    }

    const readiness: ReadinessCheck[] = [
      { name: 'temporal', check: async () => void (await connection.workflowService.getSystemInfo({})) },
      { name: 'storage', check: () => db.ping() },
    ];
    if (worker) {
      readiness.push({
        name: 'worker',
        check: async () => {
          if (worker!.getState() !== 'RUNNING') throw new Error(`worker is ${worker!.getState()}`);
        },
      });
    }
    let demoTokenFile: string | undefined;
    let logTriggers: LogTriggers | undefined;
    const metrics = new Metrics();
    // The public URL may depend on the port the server gets, so it is filled in after listen().
    const organisation = resolveOrganisation(config, '');
    const server = createServer();
    let app;
    if (mode === 'worker') {
      // A worker serves only /healthz and /readyz, for its orchestrator.
      app = createHealthApp(log, readiness);
    } else {
      const deliveries = new WebhookDeliveries(db);
      const prune = setInterval(() => {
        deliveries.prune().catch((err: unknown) => log.warn({ err }, 'pruning delivery ids failed'));
      }, 3_600_000);
      prune.unref();
      cleanup.push(async () => clearInterval(prune));
      const intakeDeps: IntakeDeps = {
        sources,
        playbooks: () => playbooks,
        contacts,
        organisation,
        client,
        taskQueue: config.temporal.taskQueue,
        deliveries,
        // Deliveries that make no incident go on the intake chain: refused ones and unrouted alerts.
        ...intakeRecorder(audit, log),
      };
      const receive = createIntake(intakeDeps);
      if (wantsLogs) {
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
        logTriggers = new LogTriggers({
          rules,
          files: config.logs.files.map((f) => ({ ...f, path: resolve(f.path) })),
          syslog: config.logs.syslog,
          pulled,
          store: new DbLogState(db),
          pollMs: config.logs.pollMs,
          log,
          sink: {
            // A firing id is claimed like a webhook delivery id: delivered once, however often re-read.
            claim: async (id) => (await deliveries.claim('log-rules', id)).first,
            release: (id) => deliveries.release('log-rules', id),
            deliver: (alert, drill) => deliverAlert(intakeDeps, alert, drill),
          },
          onFiring: (firing) => metrics.ruleFirings.inc({ rule: firing.ruleId }),
        });
        await logTriggers.start();
        cleanup.push(() => logTriggers!.stop());
      }
      const approvals = {
        links: approvalLinks,
        secret: config.server.secret ?? persistentSecret(join(dataDir, 'server.secret')),
        secureCookies: (config.server.publicUrl ?? '').startsWith('https://'),
      };
      let tokens: AccessToken[] = config.access.tokens;
      // A one-machine start without configured tokens gets an admin token kept in the data directory.
      if (mode === 'start' && tokens.length === 0) {
        demoTokenFile = join(dataDir, 'admin.token');
        tokens = [
          {
            name: 'local-admin',
            role: 'admin',
            email: contacts.onCall[0],
            token: persistentSecret(demoTokenFile),
          },
        ];
      }
      if (tokens.length === 0) {
        log.warn('no access tokens configured (access.tokens): the board and the API refuse everyone');
      }
      app = createApp({
        access: new AccessControl(
          tokens,
          approvals.secret,
          config.access.sessionHours * 3_600_000,
          approvals.secureCookies,
        ),
        incidents,
        locale: config.organisation.locale,
        redactedConfig: () => redactConfig(config),
        metrics,
        sourceNames: new Set(sources.map((s) => s.name)),
        approvals,
        startDrill: async (playbookId, body) => {
          const playbook = playbooks.find((p) => p.definition.id === playbookId);
          if (!playbook) return undefined;
          const alert = body === undefined ? sampleAlert(playbook) : fromGeneric('drill', body, new Date());
          return startDrill(client, config, playbook, alert, organisation.publicUrl);
        },
        organisation,
        timeZone: config.organisation.timeZone,
        log,
        client,
        audit,
        receive,
        maxBodyBytes: config.server.maxBodyBytes,
        mailbox,
        readiness,
      });
    }
    server.on('request', app);
    await listen(server, config.server.port, config.server.host);
    const port = (server.address() as { port: number }).port;
    const url = `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`;
    organisation.publicUrl = config.server.publicUrl ?? url;
    cleanup.push(() => closeServer(server));

    return {
      url,
      temporalUiUrl: devServer?.uiUrl,
      temporalAddress: address,
      mailbox,
      client,
      audit,
      approvalLinks,
      incidents,
      playbooks,
      sources,
      demoTokenFile,
      logTriggers,
      app: mode === 'worker' ? undefined : app,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The `demo` source used by `reflex start --demo`; its secret is made once and kept in the data directory. */
export function demoSource(config: ReflexConfig, dataDir = resolve(config.dataDir)): SourceConfig {
  const file = join(dataDir, 'demo-source.secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `whsec_${randomBytes(24).toString('base64')}\n`, { mode: 0o600 });
  }
  return {
    name: 'demo',
    format: 'generic',
    auth: { scheme: 'standard-webhooks', secrets: [readFileSync(file, 'utf8').trim()] },
    ratePerMinute: 3000,
    // The demo shows an incident end to end without touching any real account.
    drill: true,
  };
}

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

/** The rule files and folders a configuration uses: the shipped ones (unless turned off) and its own. */
export function configuredRulePaths(config: ReflexConfig): string[] {
  return [...(config.logs.shippedRules ? [SHIPPED_RULES_DIR] : []), ...config.logs.rules];
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeIdleConnections();
  });
}

/** A random secret made once and kept in `file` (mode 0600). */
function persistentSecret(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
