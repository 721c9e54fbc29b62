// The HTTP app, built without listen() so tests drive it in-process or on an ephemeral port.
import express, { type Express, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { HttpError, errorHandler } from './errors';
import { mailboxRouter } from './mailbox';
import { approvalRoutes, type ApprovalRoutesOptions } from './approvals';
import { healthRouter, type ReadinessCheck } from './health';
import type { Logger } from '../logger';
import type { AuditStore } from '../storage/audit-store';
import type { DemoMailbox } from '../mail/demo-mailbox';
import { getIncident, INCIDENT_ID } from '../incidents';
import type { Delivery, IntakeResult } from '../../triggers/intake';
import { z } from 'zod';

const drillRequestSchema = z.object({ playbook: z.string().min(1), alert: z.unknown().optional() }).strict();

export type { ReadinessCheck } from './health';

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
  client: Client;
  audit: AuditStore;
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
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(healthRouter(deps.readiness));

  const rawBody = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  app.post('/hooks/:source', rawBody, async (req: Request<{ source: string }>, res) => {
    const result = await deps.receive({
      source: req.params.source,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      headers: req.headers,
    });
    res.status(202).json(result);
  });
  app.all('/hooks/:source', (_req, _res) => {
    throw new HttpError(405, 'use POST', { Allow: 'POST' });
  });

  app.post('/api/drills', express.json({ limit: '64kb' }), async (req, res) => {
    const body = drillRequestSchema.parse(req.body ?? {});
    const incidentId = await deps.startDrill(body.playbook, body.alert);
    if (!incidentId) throw new HttpError(404, `no playbook "${body.playbook}"`);
    res.status(202).json({ incidentId, drill: true });
  });

  app.get('/api/incidents/:id', async (req: Request<{ id: string }>, res) => {
    if (!INCIDENT_ID.test(req.params.id)) throw new HttpError(400, 'malformed incident id');
    const incident = await getIncident(deps.client, deps.audit, req.params.id);
    if (!incident) throw new HttpError(404, `no incident ${req.params.id}`);
    res.json(incident);
  });

  app.use(
    approvalRoutes({
      ...deps.approvals,
      client: deps.client,
      audit: deps.audit,
      organisation: deps.organisation.name,
      timeZone: deps.timeZone,
    }),
  );
  if (deps.mailbox) app.use('/mailbox', mailboxRouter(deps.mailbox));

  app.use((_req, _res) => {
    throw new HttpError(404, 'not found');
  });
  app.use(errorHandler(deps.log));
  return app;
}
