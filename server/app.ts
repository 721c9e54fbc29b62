// The HTTP app, built without listen() so tests drive it in-process or on an ephemeral port.
import express, { type Express, type Request, type Response } from 'express';
import { HttpError, errorHandler, statusOf } from './errors';
import { mailboxRouter } from './routes/mailbox';
import { approvalRoutes, type ApprovalRoutesOptions } from './routes/approvals';
import { healthRouter, type ReadinessCheck } from './routes/health';
import type { Logger } from '../common/logger';
import type { IncidentGateway } from '../temporal/incident-gateway';
import type { AuditStore } from '../storage/audit-store';
import type { DemoMailbox } from '../mail/demo-mailbox';
import type { IncidentIndex } from '../storage/incident-index';
import { loginRoutes, requireRole, type AccessControl } from './access';
import { boardRoutes } from './routes/board';
import { OPENAPI } from './openapi';
import type { ReportLocale } from './reports/i18n';
import type { DeliveryOutcome, Metrics } from './metrics';
import type { Delivery, IntakeResult } from '../triggers/intake';

export type { ReadinessCheck } from './routes/health';

/** Only health and readiness: what `reflex worker` serves for its orchestrator. */
export function createHealthApp(log: Logger, readiness: readonly ReadinessCheck[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(readiness));
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
  metrics: Metrics;
  /** The configured source names (metric labels). */
  sourceNames: ReadonlySet<string>;
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

  app.use(healthRouter(deps.readiness));
  app.get('/openapi.json', (_req, res) => {
    res.json(OPENAPI);
  });
  app.get('/', (_req, res) => {
    res.redirect(303, '/board');
  });

  const rawBody = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  const hook = async (req: Request<{ source: string; secret?: string }>, res: Response) => {
    const timer = deps.metrics.intakeSeconds.startTimer();
    // Only configured source names become label values (an attacker cannot grow the label set).
    const source = deps.sourceNames.has(req.params.source) ? req.params.source : '(unknown)';
    let outcome: DeliveryOutcome = 'error';
    try {
      const result = await deps.receive({
        source: req.params.source,
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        headers: req.headers,
        ip: req.ip,
        urlSecret: req.params.secret,
      });
      outcome = result.ignored
        ? 'ignored'
        : !result.routed
          ? 'unrouted'
          : result.deduplicated
            ? 'deduplicated'
            : 'accepted';
      res.status(202).json(result);
    } catch (err) {
      outcome = OUTCOME_BY_STATUS[statusOf(err)] ?? 'error';
      throw err;
    } finally {
      deps.metrics.deliveries.inc({ source, outcome });
      timer({ outcome });
    }
  };
  app.post('/hooks/:source', rawBody, hook);
  // For senders that cannot send headers (Splunk): the secret is the last path segment.
  app.post('/hooks/:source/:secret', rawBody, hook);
  app.all(['/hooks/:source', '/hooks/:source/:secret'], (_req, _res) => {
    throw new HttpError(405, 'use POST', { Allow: 'POST' });
  });

  app.get('/metrics', requireRole(deps.access, 'board'), async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(loginRoutes(deps.access, deps.organisation.name));
  app.use(
    boardRoutes({
      access: deps.access,
      gateway: deps.gateway,
      audit: deps.audit,
      incidents: deps.incidents,
      approvalLinks: deps.approvals.links,
      organisation: deps.organisation.name,
      timeZone: deps.timeZone,
      locale: deps.locale,
      startDrill: deps.startDrill,
      redactedConfig: deps.redactedConfig,
    }),
  );
  app.use(
    approvalRoutes({
      ...deps.approvals,
      access: deps.access,
      gateway: deps.gateway,
      audit: deps.audit,
      organisation: deps.organisation.name,
      timeZone: deps.timeZone,
    }),
  );
  if (deps.mailbox) {
    app.use(mailboxRouter(deps.mailbox, requireRole(deps.access, 'responder', 'page')));
  }

  app.use((_req, _res) => {
    throw new HttpError(404, 'not found');
  });
  app.use(errorHandler(deps.log));
  return app;
}
