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
import type { ReadinessReport, SourceStatus } from '../contracts/incidents';
import type { IncidentFilterQuery } from '../contracts/schemas';
import { buildTimeline } from '../reports/timeline';
import { buildSummary } from '../reports/summary';
import type { Accounting } from '../reports/accounting';
import {
  boardMessagePage,
  incidentListPage,
  playbooksPage,
  readinessPage,
  sourcesPage,
  alertsPage,
  governancePage,
  type PlaybookRow,
  summaryPage,
  timelinePage,
  type FrameInput,
} from '../pages/board-pages';
import { governancePdf as governancePdfReport, incidentPdf, summaryPdf } from '../reports/pdf';
import { currentQuarter, type GovernanceReport } from '../reports/governance';
import { pickLocale, type ReportLocale } from '../reports/i18n';
import { doubleCsrf } from 'csrf-csrf';
import { SESSION_COOKIE } from '../access';
import { hashToken } from '../../storage/approval-links';
import { SignOffError, type PlaybookGovernance } from '../../storage/sign-offs';
import type { Step } from '../../workflows/model/incident';

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
  /** The board's sign-offs of the playbooks. */
  governance: PlaybookGovernance;
  /** Every configured source with its last delivery and silence. */
  sources: () => Promise<SourceStatus[]>;
  /** Every alert accounted for, over `[from, to)`. */
  accounting: (from: string, to: string) => Promise<Accounting>;
  /** The quarterly governance report over `[from, to)`. */
  governanceReport: (from: string, to: string) => Promise<GovernanceReport>;
  /** Signs the sign-off form's CSRF token. */
  secret: string;
  /** Set the CSRF cookie `Secure` (over HTTPS). */
  secureCookies: boolean;
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

  // A board member signs off from the page: bound to the browser session, checked like every form.
  const forms = doubleCsrf({
    getSecret: () => deps.secret,
    getSessionIdentifier: (req) =>
      `sign-off:${hashToken(String((req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE] ?? req.principal?.name ?? ''))}`,
    cookieName: deps.secureCookies ? '__Host-reflex-signoff-csrf' : 'reflex-signoff-csrf',
    cookieOptions: { sameSite: 'strict', secure: deps.secureCookies, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as { csrf?: string } | undefined)?.csrf,
  });
  const signerOf = (req: Request) => req.principal!.email ?? req.principal!.name;
  const playbookRows = (): PlaybookRow[] =>
    deps.governance.standings().map(({ playbook, ...standing }) => ({
      ...standing,
      description: playbook.definition.description,
      steps: stepLines(playbook.resolved.steps),
    }));
  const refusal = (req: Request, res: Response, status: number, heading: string, detail: string) =>
    res
      .status(status)
      .type('html')
      .send(boardMessagePage(frame(req, heading), heading, detail));

  routes.add(board.playbooksPage, async ({ query }, req, res) => {
    await deps.governance.refresh();
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(
        playbooksPage(
          frame(req, 'Playbooks'),
          playbookRows(),
          { person: signerOf(req), csrf: () => forms.generateCsrfToken(req, res, { overwrite: true }) },
          query.signed !== undefined,
        ),
      );
  });

  routes.add(board.signOffPlaybook, async ({ params, body }, req, res) => {
    if (!forms.validateRequest(req)) {
      return void refusal(
        req,
        res,
        403,
        'This page has expired',
        'Open the playbooks page again and sign off once more.',
      );
    }
    const playbook = deps.governance.playbooks.find((p) => p.definition.id === params.id);
    if (!playbook)
      return void refusal(req, res, 404, 'No such playbook', `No playbook “${params.id}” is loaded.`);
    if (playbook.definition.version !== body.version || playbook.digest !== body.digest) {
      return void refusal(
        req,
        res,
        409,
        'The playbook changed while you read it',
        'Nothing was recorded. Open the playbooks page again, read what it does now, and sign off that.',
      );
    }
    try {
      await deps.governance.signOff({
        playbook: params.id,
        version: body.version,
        by: signerOf(req),
        role: body.role,
        via: 'board',
      });
    } catch (err) {
      if (err instanceof SignOffError) return void refusal(req, res, 400, 'Not recorded', err.message);
      throw err;
    }
    res.redirect(
      303,
      `/board/playbooks?lang=${localeOf(req)}&signed=${encodeURIComponent(params.id)}#playbook-${params.id}`,
    );
  });

  const periodOf = (query: IncidentFilterQuery) => ({
    from: query.from ?? new Date(Date.now() - 30 * 86_400_000).toISOString(),
    to: query.to ?? new Date().toISOString(),
  });
  routes.add(board.alertsAccountedPage, async ({ query }, req, res) => {
    const { from, to } = periodOf(query);
    res.type('html').send(alertsPage(frame(req, 'Alerts accounted for'), await deps.accounting(from, to)));
  });
  routes.add(api.getAlertAccounting, async ({ query }, _req, res) => {
    const { from, to } = periodOf(query);
    res.json(await deps.accounting(from, to));
  });

  const quarterOf = (query: IncidentFilterQuery) => {
    const q = currentQuarter();
    return { from: query.from ?? q.from, to: query.to ?? q.to };
  };
  routes.add(board.governancePage, async ({ query }, req, res) => {
    const { from, to } = quarterOf(query);
    res
      .type('html')
      .send(governancePage(frame(req, 'Governance report'), await deps.governanceReport(from, to)));
  });
  routes.add(board.governancePdf, async ({ query }, req, res) => {
    const { from, to } = quarterOf(query);
    sendPdf(
      res,
      'reflex-governance.pdf',
      await governancePdfReport(await deps.governanceReport(from, to), pdfContext(req)),
    );
  });

  routes.add(board.sourcesPage, async (_input, req, res) => {
    res.type('html').send(sourcesPage(frame(req, 'Sources'), await deps.sources()));
  });
  routes.add(api.listSources, async (_input, _req, res) => {
    res.json({ sources: await deps.sources() });
  });

  routes.add(api.listSignOffs, async (_input, _req, res) => {
    await deps.governance.refresh();
    res.json({
      playbooks: deps.governance.standings().map(({ id, version, digest, status, signOff }) => ({
        id,
        version,
        digest,
        status,
        signOff,
      })),
      signOffs: await deps.governance.store.list(),
    });
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

/** Each step in one line, with whether it asks a person first (actions only). */
function stepLines(steps: readonly Step[], depth = 0): PlaybookRow['steps'] {
  return steps.flatMap((s) => {
    const line = {
      text: `${'· '.repeat(depth)}${s.description}`,
      approval: s.kind === 'action' ? s.approval !== 'none' : undefined,
    };
    return s.kind === 'parallel' ? [line, ...stepLines(s.parallel, depth + 1)] : [line];
  });
}

/** Who is acting: the person behind the token, or the token's name. */
const actorOf = (req: Request) => req.principal!.email ?? req.principal!.name;
