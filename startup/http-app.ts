// The HTTP side of a start: the webhook intake over the incident gateway, log triggers feeding the same
// routing, access control, and the app with every route. `reflex worker` serves only health instead.
import type { Express } from 'express';
import type { ReflexConfig } from '../config/schema';
import type { Mode } from '../config/checks';
import { redactConfig } from '../config/redact';
import type { Organisation } from '../workflows/model/incident';
import type { Logger } from '../common/logger';
import type { IncidentGateway } from '../temporal/incident-gateway';
import type { PlaybookGovernance } from '../storage/sign-offs';
import { createIntake, type IntakeDeps } from '../triggers/intake';
import { IntakeJournal } from '../triggers/journal';
import { drillAlert } from '../triggers/drill-alert';
import type { LogTriggers } from '../triggers/logs/runner';
import { intakeRecorder } from '../storage/intake-chain';
import type { DemoMailbox } from '../mail/demo-mailbox';
import { AccessControl } from '../server/access';
import { createApp, type ReadinessCheck } from '../server/app';
import { Metrics } from '../server/metrics';
import type { Inputs } from './inputs';
import type { Storage } from './storage';
import { readinessMonitor } from './doctor';
import type { Resources } from './resources';
import { startLogTriggers } from './log-triggers';
import { sourceStatuses, startSilentSources } from './silent-sources';
import { BreachRegister } from '../storage/breach-register';
import { DeliveryCounts, DeliveryLedger, recordedAlerts } from '../storage/accounting';
import { ReadinessHistory } from '../storage/readiness-history';
import { silencesDuring } from '../storage/source-activity';
import { buildAccounting } from '../server/reports/accounting';
import { setUpAccess } from './access';
import { OidcSignIn, roleFor, type Identity } from '../server/oidc';
import { oidcIssuer } from '../config/checks';
import { memoryLimiters } from '../common/rate-limits';
import { sharedLimiters } from '../storage/rate-limits';

export interface HttpAppInputs {
  mode: Mode;
  config: ReflexConfig;
  inputs: Inputs;
  storage: Storage;
  gateway: IncidentGateway;
  governance: PlaybookGovernance;
  organisation: Organisation;
  mailbox?: DemoMailbox;
  readiness: readonly ReadinessCheck[];
  dataDir: string;
  log: Logger;
}

export interface HttpApp {
  app: Express;
  logTriggers?: LogTriggers;
  /** Where the local admin token is kept, when one was made. */
  demoTokenFile?: string;
}

export async function buildHttpApp(inputs: HttpAppInputs, resources: Resources): Promise<HttpApp> {
  const { mode, config, storage, gateway, organisation, log } = inputs;
  const { playbooks, sources, contacts } = inputs.inputs;
  const prune = setInterval(() => {
    storage.deliveries.prune().catch((err: unknown) => log.warn({ err }, 'pruning delivery ids failed'));
    storage.journal.prune().catch((err: unknown) => log.warn({ err }, 'pruning the intake journal failed'));
  }, 3_600_000);
  prune.unref();
  resources.add('delivery pruning', async () => clearInterval(prune));

  const metrics = new Metrics();
  // Every server drains the journal: alerts a storm left to it, and those whose server died mid-way.
  const journal = new IntakeJournal({
    store: storage.journal,
    gateway,
    playbooks: () => playbooks,
    log,
    ...config.server.journal,
    onBacklog: ({ pending, oldestSeconds }) => {
      metrics.journalPending.set(pending);
      metrics.journalOldestSeconds.set(oldestSeconds);
    },
  });
  journal.start();
  resources.add('intake journal', () => journal.stop());
  // With several servers on one PostgreSQL, every budget is theirs together.
  const limiters = config.database.url ? sharedLimiters(storage.db) : memoryLimiters;
  // What makes no incident goes on the intake chain: refused deliveries, unrouted alerts, log trouble.
  const { onRejected, onUnrouted, onLogTrouble } = intakeRecorder(storage.audit, log);
  const silence = startSilentSources(
    {
      config,
      db: storage.db,
      intake: { incidents: gateway, playbooks: () => playbooks, onUnrouted },
      metrics,
      log,
    },
    resources,
  );
  const intake: IntakeDeps = {
    sources,
    playbooks: () => playbooks,
    incidents: gateway,
    deliveries: storage.deliveries,
    onRejected,
    onUnrouted,
    onAuthenticated: (source) => silence.activity.seen(source),
    limiters,
    journal,
  };
  const logTriggers = inputs.inputs.wantsLogs
    ? await startLogTriggers(
        {
          config,
          rules: inputs.inputs.rules,
          storage,
          intake,
          metrics,
          onTrouble: onLogTrouble,
          onRecords: (source) => silence.activity.seen(source),
          log,
        },
        resources,
      )
    : undefined;

  // Every delivery's outcome, counted in memory and written every 10 s (and at stop).
  const ledger = new DeliveryLedger();
  const counts = new DeliveryCounts(storage.db);
  const flushLedger = () =>
    ledger
      .flush(counts)
      .catch((err: unknown) => log.warn({ err }, 'delivery counts not written; will retry'));
  const ledgerTimer = setInterval(() => void flushLedger(), 10_000);
  ledgerTimer.unref();
  resources.add('delivery counts', async () => {
    clearInterval(ledgerTimer);
    await flushLedger();
  });

  const history = new ReadinessHistory(storage.db);
  const access = setUpAccess(config, mode, inputs.dataDir, contacts);
  if (access.tokens.length === 0) {
    log.warn('no access tokens configured (access.tokens): the board and the API refuse everyone');
  }
  const secureCookies = Boolean(config.server.publicUrl?.startsWith('https://'));
  const oidcConfig = config.access.oidc;
  const roleOf = oidcConfig ? (identity: Identity) => roleFor(identity, oidcConfig.roles) : undefined;
  const app = createApp({
    oidc: oidcConfig
      ? new OidcSignIn(
          { ...oidcConfig, issuer: oidcIssuer(config)! },
          `${organisation.publicUrl.replace(/\/$/, '')}/login/oidc/callback`,
          access.secret,
        )
      : undefined,
    roleOf,
    access: new AccessControl(
      access.tokens,
      storage.sessions,
      config.access.sessionHours * 3_600_000,
      secureCookies,
      {
        bearerFailuresPerMinute: config.access.attemptsPerMinute.failedTokens,
        loginsPerMinute: config.access.attemptsPerMinute.signIns,
        limiters,
      },
      roleOf,
    ),
    gateway,
    governance: inputs.governance,
    sources: () => sourceStatuses(config, silence.store),
    ledger,
    governanceExtras: {
      findings: (from, to) => history.during(from, to),
      silences: (from, to) => silencesDuring(storage.db, from, to),
    },
    accounting: async (from, to) => {
      await flushLedger();
      return buildAccounting(
        { from, to },
        sources.map((s) => s.name),
        await counts.totals(from.slice(0, 10), to.slice(0, 10)),
        await recordedAlerts(storage.db, from, to),
      );
    },
    breaches: {
      register: new BreachRegister(storage.db, storage.audit, storage.incidents),
      dpoAddresses: new Set(
        [contacts.dpo, ...playbooks.flatMap((p) => (p.contacts ? [p.contacts.dpo] : []))].map((a) =>
          a.toLowerCase(),
        ),
      ),
    },
    incidents: storage.incidents,
    locale: config.organisation.locale,
    redactedConfig: () => redactConfig(config),
    readinessReport: readinessMonitor(
      {
        config,
        playbooks,
        records: {
          governance: inputs.governance,
          incidents: storage.incidents,
          sources: silence.store,
          journal: storage.journal,
        },
      },
      { metrics, log, history },
      resources,
    ),
    metrics,
    sourceNames: new Set(sources.map((s) => s.name)),
    approvals: {
      links: storage.approvalLinks,
      secret: access.secret,
      secureCookies,
      linksPerMinute: config.access.attemptsPerMinute.approvalLinks,
      limiters,
    },
    startDrill: async (playbookId, body) => {
      const playbook = playbooks.find((p) => p.definition.id === playbookId);
      return playbook ? gateway.drill(playbook, drillAlert(playbook, body)) : undefined;
    },
    organisation,
    timeZone: config.organisation.timeZone,
    log,
    audit: storage.audit,
    receive: createIntake(intake),
    maxBodyBytes: config.server.maxBodyBytes,
    mailbox: inputs.mailbox,
    readiness: inputs.readiness,
    secureCookies,
  });
  return { app, logTriggers, demoTokenFile: access.demoTokenFile };
}
