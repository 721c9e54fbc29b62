// The board's pages and the JSON API behind them and the responders' actions. Every route's contract
// (server/contracts/) states the least role it needs and what it parses; the record comes from the
// audit store, so it outlives Temporal's retention.
import type { Request, Response } from 'express';
import type { AuditStore } from '../../storage/audit-store';
import type { IncidentFilter, IncidentIndex } from '../../storage/incident-index';
import type { ApprovalLinks } from '../../storage/approval-links';
import { INTAKE_CHAIN } from '../../storage/intake-chain';
import type { IncidentGateway } from '../../temporal/incident-gateway';
import { HttpError } from '../errors';
import type { RouteTable } from '../contract';
import * as board from '../contracts/board';
import * as api from '../contracts/incidents';
import type { ReadinessReport } from '../contracts/incidents';
import type { IncidentFilterQuery } from '../contracts/schemas';
import { buildTimeline } from '../reports/timeline';
import { buildSummary } from '../reports/summary';
import {
  incidentListPage,
  readinessPage,
  summaryPage,
  timelinePage,
  type FrameInput,
} from '../pages/board-pages';
import { incidentPdf, summaryPdf } from '../reports/pdf';
import { pickLocale, type ReportLocale } from '../reports/i18n';

export interface BoardDeps {
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
  /** The readiness check's latest findings (`reflex doctor`). */
  readinessReport?: () => Promise<ReadinessReport>;
}

/** The list filter of a parsed query (the language is not a filter). */
const filterOf = ({ lang: _lang, ...filter }: IncidentFilterQuery): IncidentFilter => filter;

export function mountBoard(routes: RouteTable, deps: BoardDeps): void {
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

  /** The timeline and whether its chain verifies; 404 when there is no such incident. */
  const timelineOf = async (req: Request, id: string) => {
    const events = await deps.audit.events(id);
    const timeline = buildTimeline(id, events, localeOf(req), deps.timeZone);
    if (!timeline) throw new HttpError(404, `no incident ${id}`);
    const verified = (await deps.audit.verify(id)).ok;
    return { timeline, verified };
  };

  const summaryOf = async (query: IncidentFilterQuery) => {
    const filter = filterOf(query);
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
  const pdfContext = (req: Request) => ({
    locale: localeOf(req),
    timeZone: deps.timeZone,
    organisation: deps.organisation,
  });

  // --- Pages ---------------------------------------------------------------------------------
  routes.add(board.boardIndex, (_input, _req, res) => res.redirect(303, '/board'));

  routes.add(board.incidentListPage, async ({ query }, req, res) => {
    const filter = filterOf(query);
    const incidents = await deps.incidents.list(filter);
    res.type('html').send(incidentListPage(frame(req, 'Incidents'), incidents, filter));
  });

  routes.add(board.summaryPage, async ({ query }, req, res) => {
    const { summary, pending } = await summaryOf(query);
    res.type('html').send(summaryPage(frame(req, 'Summary'), summary, pending));
  });

  routes.add(board.readinessPage, async (_input, req, res) => {
    if (!deps.readinessReport) throw new HttpError(404, 'the readiness check does not run in this process');
    res.type('html').send(readinessPage(frame(req, 'Readiness'), await deps.readinessReport()));
  });

  routes.add(board.summaryPdfPage, async ({ query }, req, res) => {
    const { summary, pending } = await summaryOf(query);
    sendPdf(res, 'reflex-summary.pdf', await summaryPdf(summary, pending, pdfContext(req)));
  });

  routes.add(board.timelinePage, async ({ params }, req, res) => {
    const pdf = params.file.endsWith('.pdf');
    const id = pdf ? params.file.slice(0, -4) : params.file;
    const parsed = api.getTimeline.params!.safeParse({ id });
    if (!parsed.success) throw new HttpError(400, 'path parameter "file": malformed incident id');
    const { timeline, verified } = await timelineOf(req, id);
    if (pdf)
      return void sendPdf(res, `reflex-${id}.pdf`, await incidentPdf(timeline, verified, pdfContext(req)));
    res.type('html').send(timelinePage(frame(req, timeline.playbook.title), timeline, verified));
  });

  // --- JSON API: read ------------------------------------------------------------------------
  routes.add(api.listIncidents, async ({ query }, _req, res) => {
    res.json({ incidents: await deps.incidents.list(filterOf(query)) });
  });

  routes.add(api.getIncident, async ({ params: { id } }, _req, res) => {
    const [timeline, live] = await Promise.all([deps.audit.events(id), deps.gateway.get(id)]);
    if (!live && timeline.length === 0) throw new HttpError(404, `no incident ${id}`);
    res.json({ id, workflow: live?.workflow, state: live?.state, timeline });
  });

  routes.add(api.getTimeline, async ({ params: { id } }, req, res) => {
    const { timeline, verified } = await timelineOf(req, id);
    res.json({ ...timeline, verified });
  });

  routes.add(api.getReport, async ({ params: { id } }, req, res) => {
    const { timeline, verified } = await timelineOf(req, id);
    sendPdf(res, `reflex-${id}.pdf`, await incidentPdf(timeline, verified, pdfContext(req)));
  });

  routes.add(api.getSummary, async ({ query }, _req, res) => {
    const { summary, pending } = await summaryOf(query);
    res.json({ ...summary, pendingApprovals: pending });
  });

  routes.add(api.getSummaryPdf, async ({ query }, req, res) => {
    const { summary, pending } = await summaryOf(query);
    sendPdf(res, 'reflex-summary.pdf', await summaryPdf(summary, pending, pdfContext(req)));
  });

  routes.add(api.verifyAudit, async ({ query }, _req, res) => {
    res.json(await deps.audit.verify(query.incident));
  });

  routes.add(api.listUnrouted, async ({ query }, _req, res) => {
    res.json({ events: await deps.audit.recent(INTAKE_CHAIN, query.limit) });
  });

  // --- JSON API: act (responder) --------------------------------------------------------------
  routes.add(api.startDrill, async ({ body }, _req, res) => {
    const id = await deps.startDrill(body.playbook, body.alert);
    if (!id) throw new HttpError(404, `no playbook "${body.playbook}"`);
    res.status(202).json({ incidentId: id, drill: true });
  });

  routes.add(api.resolveIncident, async ({ params: { id }, body }, req, res) => {
    const state = await deps.gateway.resolve(id, { by: actorOf(req), note: body.note, as: body.as });
    res.json({ incidentId: id, status: state.status });
  });

  routes.add(api.abortIncident, async ({ params: { id }, body }, req, res) => {
    const state = await deps.gateway.abort(id, { by: actorOf(req), note: body.note });
    res.json({ incidentId: id, status: state.status });
  });

  routes.add(api.decideStep, async ({ params, body }, req, res) => {
    const approver = req.principal!.email;
    if (!approver)
      throw new HttpError(403, `token "${req.principal!.name}" has no e-mail address; approvers are people`);
    res.json(
      await deps.gateway.decide(params.id, {
        stepId: params.step,
        approver,
        decision: body.decision,
        comment: body.comment,
        ip: req.ip,
        userAgent: req.get('user-agent'),
      }),
    );
  });

  // --- Admin ----------------------------------------------------------------------------------
  routes.add(api.getConfig, (_input, _req, res) => {
    res.json(deps.redactedConfig());
  });
  routes.add(api.getReadiness, async (_input, _req, res) => {
    if (!deps.readinessReport) throw new HttpError(404, 'the readiness check does not run in this process');
    res.json(await deps.readinessReport());
  });
}

/** Who is acting: the person behind the token, or the token's name. */
const actorOf = (req: Request) => req.principal!.email ?? req.principal!.name;
