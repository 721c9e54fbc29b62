// Approval links. GET and HEAD only show (mail scanners open every link); a POST from the page's
// form, with a CSRF token, decides. Every refusal is a clear page with a 4xx and changes nothing.
import type { Request, Response } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
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
import { spend, TooManyAttemptsError } from '../access';

export interface ApprovalRoutesOptions {
  links: ApprovalLinks;
  /** Signs CSRF tokens. */
  secret: string;
  /** Set the CSRF cookie `Secure` (when Reflex is reached over HTTPS). */
  secureCookies: boolean;
  /** Approval pages an address may open (or post) a minute; beyond it 429. @default 60 */
  linksPerMinute?: number;
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
  const opened = new RateLimiterMemory({ points: deps.linksPerMinute ?? 60, duration: 60 });
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
    const approval = step.approval!;
    const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .set('Referrer-Policy', 'no-referrer')
      .type('html')
      .send(
        confirmPage(frame(`Approve: ${step.description}`, state.drill), {
          question: `${step.description}?`,
          alertTitle: state.alerts[0]?.title,
          severity: state.alerts[0]?.severity,
          occurredAt: formatTime(state.alerts[0]?.occurredAt, 'en', deps.timeZone),
          accounts: state.alerts[0]?.entities.users.join(', '),
          description: step.description,
          action: step.action,
          approver: link!.approver,
          quorumText:
            approval.quorum > 1 ? `${approval.quorum} people must approve (${approvals} so far)` : '',
          deadline: formatTime(approval.deadline, 'en', deps.timeZone),
          onTimeoutText: OUTCOME_TEXT[approval.onTimeout ?? 'skip'],
          incidentId: state.incidentId,
          action_url: `/approve/${encodeURIComponent(params.token)}`,
          csrf: generateCsrfToken(req, res, { overwrite: true }),
        }),
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
    const heading = decision === 'approve' ? 'You approved' : 'You rejected';
    const outcome =
      result.outcome === 'approved'
        ? 'Approved: Reflex is carrying it out now.'
        : result.outcome === 'rejected'
          ? 'Rejected: Reflex will not do it.'
          : `Recorded: ${result.approvals} of ${result.quorum} approvals so far.`;
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(messagePage(frame(heading), heading, outcome));
  });

  routes.add(contracts.listPendingApprovals, async (_input, _req, res) => {
    res.json({ approvals: await deps.links.pending() });
  });

  routes.add(contracts.pendingApprovalsPage, async (_input, _req, res) => {
    const items = (await deps.links.pending()).map((p) => ({
      stepId: p.stepId,
      incidentId: p.incidentId,
      approvers: p.approvers.join(', '),
      until: formatTime(p.expiresAt, 'en', deps.timeZone),
    }));
    res.type('html').send(pendingPage(frame('Pending approvals'), items));
  });
}

function describeOutcome(step: StepRecord | undefined, state: IncidentState): string {
  if (state.status !== 'running') return `The incident is ${state.status}.`;
  const outcome = step?.approval?.outcome;
  return outcome ? `It was ${outcome.replace('-', ' ')}.` : '';
}
