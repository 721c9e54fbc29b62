// The HTTP app, built without listen() so tests drive it in-process or on an ephemeral port.
import express, { type Express, type Request } from 'express';
import type { Client } from '@temporalio/client';
import { HttpError, errorHandler } from './errors';
import { mailboxRouter } from './mailbox';
import type { Logger } from '../logger';
import type { AuditStore } from '../storage/audit-store';
import type { DemoMailbox } from '../mail/demo-mailbox';
import { getIncident, INCIDENT_ID } from '../incidents';
import type { Delivery, IntakeResult } from '../../triggers/intake';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
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
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      deps.readiness.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), 3_000);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `failing: ${(err as Error).message}`] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r === 'ok');
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });

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

  app.get('/api/incidents/:id', async (req: Request<{ id: string }>, res) => {
    if (!INCIDENT_ID.test(req.params.id)) throw new HttpError(400, 'malformed incident id');
    const incident = await getIncident(deps.client, deps.audit, req.params.id);
    if (!incident) throw new HttpError(404, `no incident ${req.params.id}`);
    res.json(incident);
  });

  if (deps.mailbox) app.use('/mailbox', mailboxRouter(deps.mailbox));

  app.use((_req, _res) => {
    throw new HttpError(404, 'not found');
  });
  app.use(errorHandler(deps.log));
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
