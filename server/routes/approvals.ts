// Approval links. GET and HEAD only show (mail scanners open every link); a POST from the page's
// form, with a CSRF token, decides. Every refusal is a clear page with a 4xx and changes nothing.
import type { Request, Response } from 'express';
import { memoryLimiters, type Limiters } from '../../common/rate-limits';
import { doubleCsrf } from 'csrf-csrf';
import type { IncidentGateway } from '../../temporal/incident-gateway';
import {
  IncidentClosedError,
  IncidentNotFoundError,
  IncidentRefusedError,
  TemporalUnavailableError,
} from '../../common/errors';
import type { IncidentState, StepRecord } from '../../workflows/model/incident';
import { hashToken, type ApprovalLinks, type LinkRefusal } from '../../storage/approval-links';
import type { AuditStore } from '../../storage/audit-store';
import { formatTime } from '../../activities/notify/send';
import { confirmPage, messagePage, pendingPage, type PageFrame } from '../pages/approval-pages';
import type { RouteTable } from '../contract';
import * as contracts from '../contracts/approvals';
import { SESSION_COOKIE, spend, TooManyAttemptsError } from '../access';

export interface ApprovalRoutesOptions {
  links: ApprovalLinks;
  /** Signs CSRF tokens. */
  secret: string;
  /** Set the CSRF cookie `Secure` (when Reflex is reached over HTTPS). */
  secureCookies: boolean;
  /** Approval pages an address may open (or post) a minute; beyond it 429. @default 60 */
  linksPerMinute?: number;
  /** Where the budget is kept. @default in this process's memory */
  limiters?: Limiters;
}

interface Deps extends ApprovalRoutesOptions {
  gateway: IncidentGateway;
  audit: AuditStore;
  organisation: string;
  timeZone: string;
}

const REFUSALS: Record<LinkRefusal, { status: number; heading: string; detail: string }> = {
  unknown: {
    status: 404,
    heading: 'This link is not valid',
    detail: 'Check that the whole link was opened, or ask on-call for a new one.',
  },
  used: {
    status: 409,
    heading: 'This link has already been used',
    detail: 'Each approval link works once. The decision made with it stands.',
  },
  expired: {
    status: 410,
    heading: 'This link has expired',
    detail: 'The time to decide has passed; what the playbook does then has happened.',
  },
  closed: {
    status: 409,
    heading: 'This step is already decided',
    detail: 'There is nothing left to decide for it.',
  },
};

const OUTCOME_TEXT: Record<string, string> = {
  proceed: 'Reflex goes ahead with it.',
  skip: 'Reflex does not do it.',
  abort: 'Reflex stops the response and undoes what it did.',
};

export function mountApprovals(routes: RouteTable, deps: Deps): void {
  const frame = (title: string, drill = false): PageFrame => ({
    title,
    drill,
    organisation: deps.organisation,
  });
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => deps.secret,
    // Bind the CSRF token to this approval link.
    getSessionIdentifier: (req) => hashToken(String(req.params.token ?? '')),
    cookieName: deps.secureCookies ? '__Host-reflex-csrf' : 'reflex-csrf',
    cookieOptions: { sameSite: 'strict', secure: deps.secureCookies, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as { csrf?: string } | undefined)?.csrf,
  });

  const refuse = (res: Response, reason: LinkRefusal, extra?: string) => {
    const r = REFUSALS[reason];
    res
      .status(r.status)
      .type('html')
      .send(messagePage(frame(r.heading), r.heading, extra ?? '', r.detail));
  };

  /** The page after a decision was recorded, by link or signed in. */
  const recorded = (
    res: Response,
    decision: string,
    result: { outcome: string; approvals: number; quorum: number },
  ) => {
    const heading = decision === 'approve' ? 'You approved' : 'You rejected';
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(messagePage(frame(heading), heading, outcomeText(result)));
  };

  const unavailable = (res: Response) =>
    res
      .status(503)
      .set('Retry-After', '30')
      .type('html')
      .send(
        messagePage(
          frame('Try again in a minute'),
          'Reflex cannot reach its workflow service',
          '',
          'Nothing was decided and the link still works: open it again in a minute.',
        ),
      );

  // Guessing links is slowed per address (a link's token is 32 random bytes: this is for the noise).
  const opened = (deps.limiters ?? memoryLimiters)({
    name: 'approval-links',
    points: deps.linksPerMinute ?? 60,
    durationSeconds: 60,
  });
  /** True (and a 429 page sent) when this address has opened too many links this minute. */
  const limited = async (req: Request, res: Response): Promise<boolean> => {
    try {
      await spend(opened, req.ip ?? 'unknown');
      return false;
    } catch (err) {
      if (!(err instanceof TooManyAttemptsError)) throw err;
      res
        .status(429)
        .set(err.headers())
        .type('html')
        .send(
          messagePage(
            frame('Slow down'),
            'Too many links opened from here',
            '',
            'Wait a minute and try again.',
          ),
        );
      return true;
    }
  };

  /** The step as the workflow sees it now; undefined when it no longer waits for a decision. */
  const pendingStep = async (incidentId: string, stepId: string) => {
    const state = await deps.gateway.state(incidentId);
    const step = state.steps.find((s) => s.id === stepId);
    return {
      state,
      step: step?.status === 'awaiting-approval' && !step.approval?.outcome ? step : undefined,
      any: step,
    };
  };

  /** The confirmation page: what happened, what Reflex wants to do, who decides, and the form. */
  const confirmation = (
    state: IncidentState,
    step: StepRecord,
    approver: string,
    actionUrl: string,
    csrf: () => string,
  ) => {
    const approval = step.approval!;
    const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
    return confirmPage(frame(`Approve: ${step.description}`, state.drill), {
      question: `${step.description}?`,
      alertTitle: state.alerts[0]?.title,
      severity: state.alerts[0]?.severity,
      occurredAt: formatTime(state.alerts[0]?.occurredAt, 'en', deps.timeZone),
      accounts: state.alerts[0]?.entities.users.join(', '),
      description: step.description,
      action: step.action,
      approver,
      quorumText: approval.quorum > 1 ? `${approval.quorum} people must approve (${approvals} so far)` : '',
      deadline: formatTime(approval.deadline, 'en', deps.timeZone),
      onTimeoutText: OUTCOME_TEXT[approval.onTimeout ?? 'skip'],
      incidentId: state.incidentId,
      action_url: actionUrl,
      csrf: csrf(),
    });
  };

  routes.add(contracts.showApproval, async ({ params }, req, res) => {
    if (await limited(req, res)) return;
    const link = await deps.links.find(params.token);
    const refusal = deps.links.refusal(link);
    if (refusal) return refuse(res, refusal);
    let pending;
    try {
      pending = await pendingStep(link!.incidentId, link!.stepId);
    } catch (err) {
      if (err instanceof IncidentNotFoundError) return refuse(res, 'closed', 'The incident is closed.');
      if (err instanceof TemporalUnavailableError) return unavailable(res);
      throw err;
    }
    const { state, step, any } = pending;
    if (!step) return refuse(res, 'closed', describeOutcome(any, state));
    if (req.method === 'GET') {
      // A view is worth recording (scanners show up here too), but decides nothing.
      await deps.audit.append([
        {
          eventId: `${link!.incidentId}:view:${link!.tokenHash.slice(0, 16)}:${Date.now()}`,
          chainId: link!.incidentId,
          at: new Date().toISOString(),
          kind: 'approval.viewed',
          actor: link!.approver,
          content: { step: link!.stepId, ip: req.ip, userAgent: req.get('user-agent') },
        },
      ]);
    }
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .set('Referrer-Policy', 'no-referrer')
      .type('html')
      .send(
        confirmation(state, step, link!.approver, `/approve/${encodeURIComponent(params.token)}`, () =>
          generateCsrfToken(req, res, { overwrite: true }),
        ),
      );
  });

  routes.add(contracts.decideApproval, async ({ params, body }, req, res) => {
    if (await limited(req, res)) return;
    const token = params.token;
    const decision = body.decision;
    if (decision !== 'approve' && decision !== 'reject') {
      return void res
        .status(400)
        .type('html')
        .send(messagePage(frame('Bad request'), 'Choose Approve or Reject', ''));
    }
    const link = await deps.links.find(token);
    const refusal = deps.links.refusal(link);
    if (refusal) return refuse(res, refusal);
    if (!validateRequest(req)) {
      return void res
        .status(403)
        .type('html')
        .send(
          messagePage(
            frame('Page expired'),
            'This page has expired',
            '',
            'Open the link from the e-mail again and choose once more.',
          ),
        );
    }
    // One atomic claim: of two racing POSTs with the same link, exactly one goes on.
    const claimed = await deps.links.claim(token);
    if (!claimed) return refuse(res, deps.links.refusal(await deps.links.find(token)) ?? 'used');
    let result;
    try {
      result = await deps.gateway.decide(claimed.incidentId, {
        stepId: claimed.stepId,
        approver: claimed.approver,
        decision,
        ip: req.ip,
        userAgent: req.get('user-agent'),
      });
    } catch (err) {
      if (
        err instanceof IncidentRefusedError ||
        err instanceof IncidentClosedError ||
        err instanceof IncidentNotFoundError
      ) {
        // The workflow refused: the step is decided or closed. The link is spent; nothing changed.
        await deps.links.markUsed(token, {
          decision: 'refused',
          ip: req.ip,
          userAgent: req.get('user-agent'),
        });
        return refuse(res, 'closed', err instanceof IncidentRefusedError ? err.message : undefined);
      }
      // Not delivered: the link stays valid for another try.
      await deps.links.release(token);
      if (err instanceof TemporalUnavailableError) return unavailable(res);
      throw err;
    }
    await deps.links.markUsed(token, { decision, ip: req.ip, userAgent: req.get('user-agent') });
    recorded(res, decision, result);
  });

  routes.add(contracts.listPendingApprovals, async (_input, _req, res) => {
    res.json({ approvals: await deps.links.pending() });
  });

  // --- a signed-in approver (chat buttons lead here) ---------------------------------------------
  // The person is the sign-in's: a responder token's e-mail, or (with Microsoft sign-in) the account's.
  const forms = doubleCsrf({
    getSecret: () => deps.secret,
    // Bound to the browser session (or, for a script, its token's name) and to the step.
    getSessionIdentifier: (req) =>
      `${hashToken(String((req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE] ?? req.principal?.name ?? ''))}:${String(req.params.incidentId)}:${String(req.params.stepId)}`,
    cookieName: deps.secureCookies ? '__Host-reflex-form-csrf' : 'reflex-form-csrf',
    cookieOptions: { sameSite: 'strict', secure: deps.secureCookies, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as { csrf?: string } | undefined)?.csrf,
  });
  const page = (res: Response, status: number, heading: string, detail: string) =>
    res
      .status(status)
      .type('html')
      .send(messagePage(frame(heading), heading, '', detail));

  /** The signed-in person's address, or a 403 page when the sign-in has none. */
  const personOf = (req: Request, res: Response): string | undefined => {
    const email = req.principal?.email?.toLowerCase();
    if (!email) {
      page(
        res,
        403,
        'Your sign-in has no e-mail address',
        'Approvals are made by a person: give your access token an e-mail (access.tokens[].email), or use the link from your e-mail.',
      );
    }
    return email;
  };

  /** The step if this person may decide it now; otherwise the page saying why, sent. */
  const decidable = async (res: Response, incidentId: string, stepId: string, person: string) => {
    let pending;
    try {
      pending = await pendingStep(incidentId, stepId);
    } catch (err) {
      if (err instanceof IncidentNotFoundError)
        return void page(res, 404, 'No such incident', 'Check the link.');
      if (err instanceof TemporalUnavailableError) return void unavailable(res);
      throw err;
    }
    const { state, step, any } = pending;
    if (!any) return void page(res, 404, 'No such step', `Incident ${incidentId} has no step “${stepId}”.`);
    if (!step)
      return void page(res, 409, 'This step is not waiting for a decision', describeOutcome(any, state));
    const approval = step.approval!;
    if (!approval.allowed.some((a) => a.toLowerCase() === person)) {
      return void page(
        res,
        403,
        'You are not asked to decide this step',
        `It waits for ${approval.allowed.join(', ')}; you are signed in as ${person}.`,
      );
    }
    if (approval.decisions.some((d) => d.approver.toLowerCase() === person)) {
      return void page(res, 409, 'You have decided this step already', 'Your decision stands.');
    }
    return { state, step };
  };

  routes.add(contracts.showSignedInApproval, async ({ params }, req, res) => {
    const person = personOf(req, res);
    if (!person) return;
    const found = await decidable(res, params.incidentId, params.stepId, person);
    if (!found) return;
    if (req.method === 'GET') {
      await deps.audit.append([
        {
          eventId: `${params.incidentId}:view:${hashToken(person).slice(0, 16)}:${Date.now()}`,
          chainId: params.incidentId,
          at: new Date().toISOString(),
          kind: 'approval.viewed',
          actor: person,
          content: { step: params.stepId, ip: req.ip, userAgent: req.get('user-agent') },
        },
      ]);
    }
    const action = `/approvals/${encodeURIComponent(params.incidentId)}/${encodeURIComponent(params.stepId)}`;
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(
        confirmation(found.state, found.step, person, action, () =>
          forms.generateCsrfToken(req, res, { overwrite: true }),
        ),
      );
  });

  routes.add(contracts.decideSignedInApproval, async ({ params, body }, req, res) => {
    const person = personOf(req, res);
    if (!person) return;
    const decision = body.decision;
    if (decision !== 'approve' && decision !== 'reject') {
      return void page(res, 400, 'Choose Approve or Reject', '');
    }
    if (!forms.validateRequest(req)) {
      return void page(
        res,
        403,
        'This page has expired',
        'Open the approval page again and choose once more.',
      );
    }
    const found = await decidable(res, params.incidentId, params.stepId, person);
    if (!found) return;
    let result;
    try {
      result = await deps.gateway.decide(params.incidentId, {
        stepId: params.stepId,
        approver: person,
        decision,
        ip: req.ip,
        userAgent: req.get('user-agent'),
      });
    } catch (err) {
      if (err instanceof IncidentRefusedError || err instanceof IncidentClosedError) {
        return void page(res, 409, 'This step is already decided', err.message);
      }
      if (err instanceof IncidentNotFoundError) return void page(res, 404, 'No such incident', '');
      if (err instanceof TemporalUnavailableError) return void unavailable(res);
      throw err;
    }
    recorded(res, decision, result);
  });

  routes.add(contracts.pendingApprovalsPage, async (_input, _req, res) => {
    const items = (await deps.links.pending()).map((p) => ({
      stepId: p.stepId,
      incidentId: p.incidentId,
      approvers: p.approvers.join(', '),
      until: formatTime(p.expiresAt, 'en', deps.timeZone),
      href: `/approvals/${encodeURIComponent(p.incidentId)}/${encodeURIComponent(p.stepId)}`,
    }));
    res.type('html').send(pendingPage(frame('Pending approvals'), items));
  });
}

function outcomeText(result: { outcome: string; approvals: number; quorum: number }): string {
  if (result.outcome === 'approved') return 'Approved: Reflex is carrying it out now.';
  if (result.outcome === 'rejected') return 'Rejected: Reflex will not do it.';
  return `Recorded: ${result.approvals} of ${result.quorum} approvals so far.`;
}

function describeOutcome(step: StepRecord | undefined, state: IncidentState): string {
  if (state.status !== 'running') return `The incident is ${state.status}.`;
  const outcome = step?.approval?.outcome;
  return outcome ? `It was ${outcome.replace('-', ' ')}.` : '';
}
