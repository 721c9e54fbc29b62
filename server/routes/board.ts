// The board's pages and the JSON API behind them and the responders' actions. Every route states
// the least role it needs; the record comes from the audit store, so it outlives Temporal's retention.
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AuditStore } from '../../storage/audit-store';
import { INCIDENT_STATUSES, type IncidentFilter, type IncidentIndex } from '../../storage/incident-index';
import type { ApprovalLinks } from '../../storage/approval-links';
import { INCIDENT_ID, type IncidentGateway } from '../../temporal/incident-gateway';
import { requireRole, type AccessControl } from '../access';
import { HttpError } from '../errors';
import { INTAKE_CHAIN } from '../../storage/intake-chain';
import { buildTimeline } from '../reports/timeline';
import { buildSummary } from '../reports/summary';
import { incidentListPage, summaryPage, timelinePage, type FrameInput } from '../pages/board-pages';
import { incidentPdf, summaryPdf } from '../reports/pdf';
import { pickLocale, type ReportLocale } from '../reports/i18n';

export interface BoardDeps {
  access: AccessControl;
  gateway: IncidentGateway;
  audit: AuditStore;
  incidents: IncidentIndex;
  approvalLinks: ApprovalLinks;
  organisation: string;
  timeZone: string;
  locale: ReportLocale;
  /** Starts a playbook as a drill; undefined when the playbook does not exist. */
  startDrill: (playbookId: string, alert: unknown) => Promise<string | undefined>;
  /** The running configuration with every secret taken out (admin only). */
  redactedConfig: () => unknown;
}

const drillRequestSchema = z.object({ playbook: z.string().min(1), alert: z.unknown().optional() }).strict();
const resolveSchema = z
  .object({
    as: z.enum(['contained', 'false-positive']).default('contained'),
    note: z.string().max(2000).optional(),
  })
  .strict();
const abortSchema = z.object({ note: z.string().max(2000).optional() }).strict();
const decisionSchema = z
  .object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(2000).optional() })
  .strict();

const FILTER_PARAMS = new Set(['from', 'to', 'status', 'playbook', 'drill', 'limit', 'lang']);

/** A date (YYYY-MM-DD, the start of that day in UTC) or an ISO 8601 time. */
function parseTime(name: string, value: string, endOfDay: boolean): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(day ? `${value}T00:00:00Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new FilterError(
      name,
      `not a date: use YYYY-MM-DD or an ISO 8601 time, not ${JSON.stringify(value)}`,
    );
  }
  return new Date(day && endOfDay ? ms + 86_400_000 : ms).toISOString();
}

class FilterError extends HttpError {
  constructor(parameter: string, problem: string) {
    super(400, `query parameter "${parameter}": ${problem}`);
  }
}

/** Reads the list filter from a query string; anything malformed is a 400 naming the parameter. */
export function parseFilter(query: Request['query']): IncidentFilter {
  for (const key of Object.keys(query)) {
    if (!FILTER_PARAMS.has(key))
      throw new FilterError(key, `unknown (known: ${[...FILTER_PARAMS].join(', ')})`);
    if (typeof query[key] !== 'string') throw new FilterError(key, 'give it once');
  }
  const q = query as Record<string, string | undefined>;
  const filter: IncidentFilter = {};
  if (q.from) filter.from = parseTime('from', q.from, false);
  if (q.to) filter.to = parseTime('to', q.to, true);
  if (filter.from && filter.to && filter.from >= filter.to)
    throw new FilterError('to', 'must be after "from"');
  if (q.status) {
    if (!(INCIDENT_STATUSES as readonly string[]).includes(q.status))
      throw new FilterError('status', `one of ${INCIDENT_STATUSES.join(', ')}`);
    filter.status = q.status as IncidentFilter['status'];
  }
  if (q.playbook) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(q.playbook)) throw new FilterError('playbook', 'not a playbook id');
    filter.playbook = q.playbook;
  }
  if (q.drill) {
    if (q.drill !== 'true' && q.drill !== 'false') throw new FilterError('drill', 'true or false');
    filter.drill = q.drill === 'true';
  }
  if (q.limit) {
    const limit = Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw new FilterError('limit', '1 to 5000');
    filter.limit = limit;
  }
  if (q.lang && q.lang !== 'en' && q.lang !== 'nl') throw new FilterError('lang', 'en or nl');
  return filter;
}

export function boardRoutes(deps: BoardDeps): Router {
  const router = Router();
  const board = requireRole(deps.access, 'board');
  const boardPage = requireRole(deps.access, 'board', 'page');
  const responder = requireRole(deps.access, 'responder');
  const admin = requireRole(deps.access, 'admin');

  const localeOf = (req: Request) => pickLocale(req.query.lang, req.get('accept-language'), deps.locale);
  const frame = (req: Request, title: string): FrameInput => ({
    title,
    locale: localeOf(req),
    organisation: deps.organisation,
    timeZone: deps.timeZone,
    query: new URLSearchParams(
      Object.entries(req.query).filter(([k, v]) => k !== 'lang' && typeof v === 'string') as Array<
        [string, string]
      >,
    ).toString(),
  });

  const incidentId = (raw: string) => {
    if (!INCIDENT_ID.test(raw)) throw new HttpError(400, 'malformed incident id');
    return raw;
  };

  /** The timeline and whether its chain verifies; 404 when there is no such incident. */
  const timelineOf = async (req: Request, id: string) => {
    const events = await deps.audit.events(id);
    const timeline = buildTimeline(id, events, localeOf(req), deps.timeZone);
    if (!timeline) throw new HttpError(404, `no incident ${id}`);
    const verified = (await deps.audit.verify(id)).ok;
    return { timeline, verified };
  };

  const summaryOf = async (req: Request) => {
    const filter = parseFilter(req.query);
    const incidents = await deps.incidents.list({ ...filter, limit: filter.limit ?? 5000 });
    const pending = (await deps.approvalLinks.pending()).filter((p) =>
      incidents.some((i) => i.id === p.incidentId),
    );
    return { summary: buildSummary(incidents, filter.from, filter.to), pending };
  };

  const sendPdf = (res: Response, name: string, pdf: Buffer) =>
    res
      .status(200)
      .type('application/pdf')
      .set('Content-Disposition', `inline; filename="${name}"`)
      .set('Cache-Control', 'no-store')
      .send(pdf);

  // --- Pages ---------------------------------------------------------------------------------
  router.get('/board', boardPage, async (req, res) => {
    const filter = parseFilter(req.query);
    const incidents = await deps.incidents.list(filter);
    res.type('html').send(incidentListPage(frame(req, 'Incidents'), incidents, filter));
  });

  router.get('/board/summary', boardPage, async (req, res) => {
    const { summary, pending } = await summaryOf(req);
    res.type('html').send(summaryPage(frame(req, 'Summary'), summary, pending));
  });

  router.get('/board/summary.pdf', boardPage, async (req, res) => {
    const { summary, pending } = await summaryOf(req);
    const ctx = { locale: localeOf(req), timeZone: deps.timeZone, organisation: deps.organisation };
    sendPdf(res, 'reflex-summary.pdf', await summaryPdf(summary, pending, ctx));
  });

  router.get('/board/incidents/:file', boardPage, async (req: Request<{ file: string }>, res) => {
    const pdf = req.params.file.endsWith('.pdf');
    const id = incidentId(pdf ? req.params.file.slice(0, -4) : req.params.file);
    const { timeline, verified } = await timelineOf(req, id);
    if (pdf) {
      const ctx = { locale: localeOf(req), timeZone: deps.timeZone, organisation: deps.organisation };
      return void sendPdf(res, `reflex-${id}.pdf`, await incidentPdf(timeline, verified, ctx));
    }
    res.type('html').send(timelinePage(frame(req, timeline.playbook.title), timeline, verified));
  });

  // --- JSON API: read ------------------------------------------------------------------------
  router.get('/api/incidents', board, async (req, res) => {
    res.json({ incidents: await deps.incidents.list(parseFilter(req.query)) });
  });

  router.get('/api/incidents/:id', board, async (req: Request<{ id: string }>, res) => {
    const id = incidentId(req.params.id);
    const [timeline, live] = await Promise.all([deps.audit.events(id), deps.gateway.get(id)]);
    if (!live && timeline.length === 0) throw new HttpError(404, `no incident ${id}`);
    res.json({ id, workflow: live?.workflow, state: live?.state, timeline });
  });

  router.get('/api/incidents/:id/timeline', board, async (req: Request<{ id: string }>, res) => {
    const { timeline, verified } = await timelineOf(req, incidentId(req.params.id));
    res.json({ ...timeline, verified });
  });

  router.get('/api/incidents/:id/report.pdf', board, async (req: Request<{ id: string }>, res) => {
    const id = incidentId(req.params.id);
    const { timeline, verified } = await timelineOf(req, id);
    const ctx = { locale: localeOf(req), timeZone: deps.timeZone, organisation: deps.organisation };
    sendPdf(res, `reflex-${id}.pdf`, await incidentPdf(timeline, verified, ctx));
  });

  router.get('/api/reports/summary', board, async (req, res) => {
    const { summary, pending } = await summaryOf(req);
    res.json({ ...summary, pendingApprovals: pending });
  });

  router.get('/api/reports/summary.pdf', board, async (req, res) => {
    const { summary, pending } = await summaryOf(req);
    const ctx = { locale: localeOf(req), timeZone: deps.timeZone, organisation: deps.organisation };
    sendPdf(res, 'reflex-summary.pdf', await summaryPdf(summary, pending, ctx));
  });

  router.get('/api/audit/verify', board, async (req, res) => {
    const incident = req.query.incident;
    if (incident !== undefined && (typeof incident !== 'string' || !INCIDENT_ID.test(incident)))
      throw new FilterError('incident', 'not an incident id');
    const result = await deps.audit.verify(incident);
    res.status(200).json(result);
  });

  router.get('/api/alerts/unrouted', board, async (req, res) => {
    const raw = req.query.limit ?? '100';
    const limit = Number(raw);
    if (typeof raw !== 'string' || !Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new FilterError('limit', '1 to 1000');
    const events = await deps.audit.recent(INTAKE_CHAIN, limit);
    res.json({ events });
  });

  // --- JSON API: act (responder) --------------------------------------------------------------
  const json = express.json({ limit: '64kb' });

  router.post('/api/drills', responder, json, async (req, res) => {
    const body = drillRequestSchema.parse(req.body ?? {});
    const id = await deps.startDrill(body.playbook, body.alert);
    if (!id) throw new HttpError(404, `no playbook "${body.playbook}"`);
    res.status(202).json({ incidentId: id, drill: true });
  });

  router.post('/api/incidents/:id/resolve', responder, json, async (req: Request<{ id: string }>, res) => {
    const id = incidentId(req.params.id);
    const body = resolveSchema.parse(req.body ?? {});
    const by = req.principal!.email ?? req.principal!.name;
    const state = await deps.gateway.resolve(id, { by, note: body.note, as: body.as });
    res.json({ incidentId: id, status: state.status });
  });

  router.post('/api/incidents/:id/abort', responder, json, async (req: Request<{ id: string }>, res) => {
    const id = incidentId(req.params.id);
    const body = abortSchema.parse(req.body ?? {});
    const by = req.principal!.email ?? req.principal!.name;
    const state = await deps.gateway.abort(id, { by, note: body.note });
    res.json({ incidentId: id, status: state.status });
  });

  router.post(
    '/api/incidents/:id/steps/:step/decision',
    responder,
    json,
    async (req: Request<{ id: string; step: string }>, res) => {
      const id = incidentId(req.params.id);
      const body = decisionSchema.parse(req.body ?? {});
      const approver = req.principal!.email;
      if (!approver)
        throw new HttpError(
          403,
          `token "${req.principal!.name}" has no e-mail address; approvers are people`,
        );
      const result = await deps.gateway.decide(id, {
        stepId: req.params.step,
        approver,
        decision: body.decision,
        comment: body.comment,
        ip: req.ip,
        userAgent: req.get('user-agent'),
      });
      res.json(result);
    },
  );

  // --- Admin ----------------------------------------------------------------------------------
  router.get('/api/config', admin, (_req, res) => {
    res.json(deps.redactedConfig());
  });

  return router;
}
