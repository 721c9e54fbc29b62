// The HTTP app, built without listen() so tests drive it in-process or on an ephemeral port.
import express, { type Express, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import { HttpError, errorHandler, statusOf } from './errors';
import { RouteTable } from './contract';
import { securityHeaders } from './security-headers';
import * as intake from './contracts/intake';
import * as operations from './contracts/operations';
import { mountMailbox } from './routes/mailbox';
import { mountApprovals, type ApprovalRoutesOptions } from './routes/approvals';
import { mountHealth, type ReadinessCheck } from './routes/health';
import type { Logger } from '../common/logger';
import type { IncidentGateway } from '../temporal/incident-gateway';
import type { AuditStore } from '../storage/audit-store';
import type { DemoMailbox } from '../mail/demo-mailbox';
import type { IncidentIndex } from '../storage/incident-index';
import { mountLogin, requireRole, type AccessControl } from './access';
import { mountBoard } from './routes/board';
import { mountBreaches, type BreachDeps } from './routes/breaches';
import type { PlaybookGovernance } from '../storage/sign-offs';
import type { SourceStatus } from './contracts/incidents';
import type { DeliveryLedger } from '../storage/accounting';
import { buildAccounting, type Accounting } from './reports/accounting';
import { collectGovernanceReport, type GovernanceSources } from './reports/governance';
import { openApiDocument } from './openapi';
import type { ReportLocale } from './reports/i18n';
import type { DeliveryOutcome, Metrics } from './metrics';
import type { Delivery, IntakeResult } from '../triggers/intake';
import type { Identity, OidcSignIn } from './oidc';
import type { Role } from './roles';
import type { ReadinessReport } from './contracts/incidents';

export type { ReadinessCheck } from './routes/health';

/** Only health and readiness: what `reflex worker` serves for its orchestrator. */
export function createHealthApp(log: Logger, readiness: readonly ReadinessCheck[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders(false));
  mountHealth(new RouteTable(app, { role: () => (_req, _res, next) => next(), rawLimit: 0 }), readiness);
  app.use(errorHandler(log));
  return app;
}

export interface AppDeps {
  log: Logger;
  gateway: IncidentGateway;
  audit: AuditStore;
  incidents: IncidentIndex;
  access: AccessControl;
  receive: (delivery: Delivery) => Promise<IntakeResult>;
  /** Each must resolve for /readyz to answer 200. */
  readiness: readonly ReadinessCheck[];
  maxBodyBytes: number;
  mailbox?: DemoMailbox;
  approvals: ApprovalRoutesOptions;
  /** Starts a playbook as a drill; undefined when the playbook does not exist. */
  startDrill: (playbookId: string, alert: unknown) => Promise<string | undefined>;
  organisation: { name: string };
  timeZone: string;
  locale: ReportLocale;
  redactedConfig: () => unknown;
  /** The readiness check's latest findings (`reflex doctor`), for admins. */
  readinessReport?: () => Promise<ReadinessReport>;
  /** The board's sign-offs of the playbooks. */
  governance: PlaybookGovernance;
  /** Every configured source with its last delivery and silence. */
  sources?: () => Promise<SourceStatus[]>;
  /** Counts every delivery's outcome (in memory; flushed by its owner). */
  ledger?: DeliveryLedger;
  /** Every alert accounted for, over `[from, to)`. */
  accounting?: (from: string, to: string) => Promise<Accounting>;
  /** The quarterly report's readiness history and silences (the full server has them). */
  governanceExtras?: Pick<GovernanceSources, 'findings' | 'silences'>;
  /** The breach register, and who may record its decisions. */
  breaches: Pick<BreachDeps, 'register' | 'dpoAddresses'>;
  metrics: Metrics;
  /** The configured source names (metric labels). */
  sourceNames: ReadonlySet<string>;
  /** Reflex is reached over HTTPS (secure cookies, HSTS). @default false */
  secureCookies?: boolean;
  /** Sign in with Microsoft, when configured, and the role it gives. */
  oidc?: OidcSignIn;
  roleOf?: (identity: Identity) => Role | undefined;
}

/** A refused delivery's outcome, read off the status the error handler answers it with. */
const OUTCOME_BY_STATUS: Record<number, DeliveryOutcome> = {
  400: 'invalid',
  401: 'rejected',
  404: 'unknown_source',
  409: 'replayed',
  413: 'invalid',
  429: 'rate_limited',
  503: 'unavailable',
};

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(securityHeaders(deps.secureCookies ?? false));
  app.use(cookieParser());
  const routes = new RouteTable(app, {
    role: (role, page, sessionForm) => requireRole(deps.access, role, page ? 'page' : 'api', { sessionForm }),
    rawLimit: deps.maxBodyBytes,
  });

  mountHealth(routes, deps.readiness, deps.access);
  let document: Record<string, unknown> | undefined;
  routes.add(operations.openapi, (_input, _req, res) => {
    // Generated from the contracts this app mounted, once, on first request.
    res.json((document ??= openApiDocument(routes.contracts)));
  });

  const hook = async (
    source: string,
    urlSecret: string | undefined,
    rawBody: Buffer,
    req: Request,
    res: Response,
  ) => {
    const timer = deps.metrics.intakeSeconds.startTimer();
    // Only configured source names become label values (an attacker cannot grow the label set).
    const label = deps.sourceNames.has(source) ? source : '(unknown)';
    let outcome: DeliveryOutcome = 'error';
    try {
      const result = await deps.receive({ source, rawBody, headers: req.headers, ip: req.ip, urlSecret });
      outcome = result.ignored
        ? 'ignored'
        : !result.routed
          ? 'unrouted'
          : result.pending
            ? 'journalled'
            : result.deduplicated
              ? 'deduplicated'
              : 'accepted';
      res.status(202).json(result);
    } catch (err) {
      outcome = OUTCOME_BY_STATUS[statusOf(err)] ?? 'error';
      throw err;
    } finally {
      deps.metrics.deliveries.inc({ source: label, outcome });
      deps.ledger?.count(label, outcome);
      timer({ outcome });
    }
  };
  routes.add(intake.deliverAlert, ({ params, body }, req, res) =>
    hook(params.source, undefined, body as Buffer, req, res),
  );
  // For senders that cannot send headers (Splunk): the secret is the last path segment.
  routes.add(intake.deliverAlertWithUrlSecret, ({ params, body }, req, res) =>
    hook(params.source, params.secret, body as Buffer, req, res),
  );
  app.all(['/hooks/:source', '/hooks/:source/:secret'], (_req, _res) => {
    throw new HttpError(405, 'use POST', { Allow: 'POST' });
  });

  routes.add(operations.metrics, async (_input, _req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  mountLogin(routes, deps.access, deps.organisation.name, {
    oidc: deps.oidc,
    roleOf: deps.roleOf,
    log: deps.log,
  });
  const accounting =
    deps.accounting ??
    (async (from: string, to: string) => buildAccounting({ from, to }, [...deps.sourceNames], [], []));
  mountBoard(routes, {
    gateway: deps.gateway,
    audit: deps.audit,
    incidents: deps.incidents,
    approvalLinks: deps.approvals.links,
    organisation: deps.organisation.name,
    timeZone: deps.timeZone,
    locale: deps.locale,
    startDrill: deps.startDrill,
    redactedConfig: deps.redactedConfig,
    readinessReport: deps.readinessReport,
    governance: deps.governance,
    sources: deps.sources ?? (async () => []),
    accounting,
    governanceReport: (from, to) =>
      collectGovernanceReport(
        {
          incidents: (f, t) => deps.incidents.list({ from: f, to: t, limit: 5000 }),
          playbooks: () => deps.governance.standings(),
          accounting,
          ...deps.governanceExtras,
        },
        from,
        to,
      ),
    secret: deps.approvals.secret,
    secureCookies: deps.secureCookies ?? false,
  });
  mountBreaches(routes, {
    ...deps.breaches,
    organisation: deps.organisation.name,
    timeZone: deps.timeZone,
    locale: deps.locale,
    secret: deps.approvals.secret,
    secureCookies: deps.secureCookies ?? false,
  });
  mountApprovals(routes, {
    ...deps.approvals,
    gateway: deps.gateway,
    audit: deps.audit,
    organisation: deps.organisation.name,
    timeZone: deps.timeZone,
  });
  if (deps.mailbox) mountMailbox(routes, deps.mailbox);

  app.use((_req, _res) => {
    throw new HttpError(404, 'not found');
  });
  app.use(errorHandler(deps.log));
  return app;
}
