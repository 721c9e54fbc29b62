// The full HTTP app, built in-process without listen() and without a Temporal server: real storage (a
// fresh database on the run's PostgreSQL), the shipped playbooks, real access control and intake, and
// an incident gateway whose connection points at a port nothing listens on, so anything that needs
// Temporal answers 503. For status codes, validation and roles, at in-process speed.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../../common/logger';
import { configSchema } from '../../config/schema';
import { resolveContacts, resolveOrganisation } from '../../config/contacts';
import { loadPlaybooks } from '../../playbooks/load';
import { openDb, type Db } from '../../storage/db';
import { AuditStore } from '../../storage/audit-store';
import { IncidentIndex } from '../../storage/incident-index';
import { ApprovalLinks } from '../../storage/approval-links';
import { WebhookDeliveries } from '../../storage/deliveries';
import { Sessions } from '../../storage/sessions';
import { PlaybookGovernance, SignOffStore } from '../../storage/sign-offs';
import { BreachRegister } from '../../storage/breach-register';
import { intakeRecorder } from '../../storage/intake-chain';
import { IncidentGateway } from '../../temporal/incident-gateway';
import { createIntake } from '../../triggers/intake';
import { drillAlert } from '../../triggers/drill-alert';
import { DemoMailbox } from '../../mail/demo-mailbox';
import { AccessControl } from '../../server/access';
import { createApp } from '../../server/app';
import { Metrics } from '../../server/metrics';
import { redactConfig } from '../../config/redact';
import { SHIPPED_PLAYBOOKS_DIR } from '../../startup/project';
import { freshDatabaseUrl } from './postgres';
import { TEST_ACCESS_TOKENS, TEST_SOURCES } from './reflex';

export interface InProcessApp {
  app: ReturnType<typeof createApp>;
  mailbox: DemoMailbox;
  db: Db;
  audit: AuditStore;
  approvalLinks: ApprovalLinks;
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** Share a database (another instance's sessions, say). */
  databaseUrl?: string;
  /** Configuration over the test defaults (access.attemptsPerMinute, tokens, URLs to redact…). */
  config?: Record<string, unknown>;
  /**
   * A real Temporal to start incidents on (the run's dev server), with no worker on this app's task
   * queue: starts succeed and the incidents wait. Without it, every call to Temporal fails.
   */
  temporalAddress?: string;
}

export async function inProcessApp(options: InProcessOptions = {}): Promise<InProcessApp> {
  const config = configSchema.parse({
    contacts: { onCall: ['oncall@museum.example'], dpo: 'dpo@museum.example' },
    organisation: { name: 'Museum Example' },
    sources: TEST_SOURCES,
    // The edge tests try many tokens and links from one address; the limits have tests of their own.
    access: {
      tokens: TEST_ACCESS_TOKENS,
      attemptsPerMinute: { failedTokens: 10_000, signIns: 10_000, approvalLinks: 10_000 },
    },
    server: { maxBodyBytes: 64 * 1024 },
    ...options.config,
  });
  const log = createLogger({ level: 'silent' });
  const db = await openDb({ url: options.databaseUrl ?? (await freshDatabaseUrl('app')) });
  const audit = new AuditStore(db);
  const approvalLinks = new ApprovalLinks(db);
  const playbooks = loadPlaybooks(SHIPPED_PLAYBOOKS_DIR);
  // Nothing listens on port 1: every call to Temporal fails at once, as an outage does.
  const connection = options.temporalAddress
    ? await Connection.connect({ address: options.temporalAddress })
    : // No retries: each call fails at once, as in an outage, and none is left running at close.
      Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });
  const gateway: IncidentGateway = new IncidentGateway({
    client: new Client({ connection }),
    pin: (playbook) => governance.pin(playbook),
    taskQueue: `in-process-${randomUUID()}`,
    contacts: resolveContacts(config.contacts),
    organisation: resolveOrganisation(config, 'http://127.0.0.1'),
    deadlineMs: options.temporalAddress ? 5_000 : 300,
  });
  const mailbox = await DemoMailbox.start();
  const governance = new PlaybookGovernance(
    new SignOffStore(audit, 'in-process-sign-off-key-of-32-chars!'),
    playbooks,
    config.playbooks.signOff.whenChanged,
  );
  const app = createApp({
    log,
    gateway,
    governance,
    breaches: {
      register: new BreachRegister(db, audit, new IncidentIndex(db)),
      dpoAddresses: new Set([config.contacts.dpo]),
    },
    audit,
    incidents: new IncidentIndex(db),
    access: new AccessControl(config.access.tokens, new Sessions(db), 3_600_000, false, {
      bearerFailuresPerMinute: config.access.attemptsPerMinute.failedTokens,
      loginsPerMinute: config.access.attemptsPerMinute.signIns,
    }),
    receive: createIntake({
      sources: config.sources,
      playbooks: () => playbooks,
      incidents: gateway,
      deliveries: new WebhookDeliveries(db),
      ...intakeRecorder(audit, log),
    }),
    readiness: [
      { name: 'temporal', check: async () => void (await connection.workflowService.getSystemInfo({})) },
      { name: 'storage', check: () => db.ping() },
    ],
    maxBodyBytes: config.server.maxBodyBytes,
    mailbox,
    approvals: {
      links: approvalLinks,
      secret: 'in-process-secret-of-at-least-32-chars',
      secureCookies: false,
      linksPerMinute: config.access.attemptsPerMinute.approvalLinks,
    },
    startDrill: async (playbookId, body) => {
      const playbook = playbooks.find((p) => p.definition.id === playbookId);
      return playbook ? gateway.drill(playbook, drillAlert(playbook, body)) : undefined;
    },
    organisation: { name: 'Museum Example' },
    timeZone: 'Europe/Amsterdam',
    locale: 'en',
    redactedConfig: () => redactConfig(config),
    metrics: new Metrics(),
    sourceNames: new Set(config.sources.map((s) => s.name)),
  });
  return {
    app,
    mailbox,
    db,
    audit,
    approvalLinks,
    async close() {
      await mailbox.close();
      await connection.close().catch(() => undefined);
      await db.close();
    },
  };
}
