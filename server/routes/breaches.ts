// The breach register's routes: the list and its CSV and PDF for the board, and the DPO's decision
// page. Only the data-protection officer (the sign-in's e-mail is a configured DPO address) or an
// admin records a decision; the form carries a CSRF token bound to the browser session.
import type { Request, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { stringify } from 'csv-stringify/sync';
import type { BreachRegister, RegisterEntry } from '../../storage/breach-register';
import { hashToken } from '../../storage/approval-links';
import type { BreachDecision } from '../../workflows/model/audit-events';
import type { RouteTable } from '../contract';
import * as contracts from '../contracts/breaches';
import { SESSION_COOKIE } from '../access';
import { RANK } from '../roles';
import { DICTIONARIES, pickLocale, type ReportLocale } from '../reports/i18n';
import { breachRegisterPdf } from '../reports/pdf';
import { formatTime } from '../../activities/notify/send';
import {
  boardMessagePage,
  breachDecisionPage,
  breachRegisterPage,
  type FrameInput,
} from '../pages/board-pages';

export interface BreachDeps {
  register: BreachRegister;
  /** Every configured DPO address (the contacts', and playbooks' own), lower case. */
  dpoAddresses: ReadonlySet<string>;
  organisation: string;
  timeZone: string;
  locale: ReportLocale;
  secret: string;
  secureCookies: boolean;
}

/** A wall-clock time in `timeZone` (what the DPO typed) as the instant it names. */
export function zonedToUtc(wall: string, timeZone: string): Date {
  const guess = new Date(`${wall.length === 10 ? `${wall}T00:00` : wall}Z`);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(guess);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const shown = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return new Date(guess.getTime() - (shown - guess.getTime()));
}

/** A cell an attacker may have written (an alert title) never starts a spreadsheet formula. */
const cell = (value: string | undefined) =>
  value && /^[=+\-@\t\r]/.test(value) ? `'${value}` : (value ?? '');

export function mountBreaches(routes: RouteTable, deps: BreachDeps): void {
  const localeOf = (req: Request) => pickLocale(req.query.lang, req.get('accept-language'), deps.locale);
  const frame = (req: Request, title: string): FrameInput => ({
    title,
    locale: localeOf(req),
    organisation: deps.organisation,
    timeZone: deps.timeZone,
    query: '',
  });
  const forms = doubleCsrf({
    getSecret: () => deps.secret,
    getSessionIdentifier: (req) =>
      `breach:${hashToken(String((req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE] ?? req.principal?.name ?? ''))}:${String(req.params.id)}`,
    cookieName: deps.secureCookies ? '__Host-reflex-breach-csrf' : 'reflex-breach-csrf',
    cookieOptions: { sameSite: 'strict', secure: deps.secureCookies, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as { csrf?: string } | undefined)?.csrf,
  });
  const page = (req: Request, res: Response, status: number, heading: string, detail: string) =>
    res
      .status(status)
      .type('html')
      .send(boardMessagePage(frame(req, heading), heading, detail));
  /** The person deciding, when the sign-in is the DPO's (or an admin's). */
  const decider = (req: Request): string | undefined => {
    const email = req.principal?.email?.toLowerCase();
    if (email && deps.dpoAddresses.has(email)) return email;
    if (RANK[req.principal!.role] >= RANK.admin) return email ?? req.principal!.name;
    return undefined;
  };
  const entryOf = async (id: string): Promise<RegisterEntry | undefined> =>
    (await deps.register.list()).find((e) => e.incident.id === id);

  routes.add(contracts.breachRegisterPage, async (_input, req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(breachRegisterPage(frame(req, 'Breach register'), await deps.register.list()));
  });

  routes.add(contracts.breachRegisterExport, async ({ params }, req, res) => {
    const locale = localeOf(req);
    const entries = await deps.register.list();
    const name = `reflex-breach-register-${locale}`;
    if (params.file === 'register.pdf') {
      const pdf = await breachRegisterPdf(entries, {
        locale,
        timeZone: deps.timeZone,
        organisation: deps.organisation,
      });
      return void res
        .status(200)
        .type('application/pdf')
        .set('Content-Disposition', `inline; filename="${name}.pdf"`)
        .set('Cache-Control', 'no-store')
        .send(pdf);
    }
    const l = DICTIONARIES[locale].labels;
    const time = (iso?: string) => (iso ? formatTime(iso, locale, deps.timeZone) : '');
    const rows = entries.map((e) => {
      const a = e.decision?.authority;
      const s = e.decision?.subjects;
      return [
        e.incident.id,
        cell(e.incident.playbook.title),
        cell(e.incident.alertTitle),
        time(e.incident.startedAt),
        time(e.dpoNotifiedAt),
        time(e.deadline),
        a ? (a.reported ? l.reported : l.notReported) : l.noDecision,
        a?.reported ? time(a.at) : '',
        a?.reported ? cell(a.reference) : '',
        a && !a.reported ? cell(a.reason) : '',
        s ? (s.informed ? l.informed : l.notInformed) : '',
        s?.informed ? time(s.at) : '',
        s?.informed ? cell(s.how) : '',
        s && !s.informed ? cell(s.reason) : '',
        cell(e.decision?.by),
        time(e.decision?.at),
      ];
    });
    const header = [
      l.incident,
      l.playbook,
      l.alert,
      l.started,
      l.dpoNotified,
      l.deadline72,
      l.authorityDecision,
      l.reportedOn,
      l.reference,
      l.whyNotReported,
      l.subjectsDecision,
      l.informedOn,
      l.informedHow,
      l.whyNotInformed,
      l.decidedBy,
      l.decidedOn,
    ];
    res
      .status(200)
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="${name}.csv"`)
      .set('Cache-Control', 'no-store')
      .send(`\uFEFF${stringify([header, ...rows])}`);
  });

  routes.add(contracts.showBreachDecision, async ({ params }, req, res) => {
    const person = decider(req);
    if (!person) {
      return void page(
        req,
        res,
        403,
        'Only the data-protection officer records this',
        'Sign in with the DPO’s own account (or an admin’s).',
      );
    }
    const entry = await entryOf(params.id);
    if (!entry)
      return void page(
        req,
        res,
        404,
        'No such incident',
        `No real incident ${params.id} (drills are not breaches).`,
      );
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(
        breachDecisionPage(
          frame(req, 'Breach register'),
          entry,
          person,
          forms.generateCsrfToken(req, res, { overwrite: true }),
        ),
      );
  });

  routes.add(contracts.recordBreachDecision, async ({ params, body }, req, res) => {
    const person = decider(req);
    if (!person) {
      return void page(
        req,
        res,
        403,
        'Only the data-protection officer records this',
        'Nothing was recorded.',
      );
    }
    if (!forms.validateRequest(req)) {
      return void page(
        req,
        res,
        403,
        'This page has expired',
        'Nothing was recorded. Open the page again and record once more.',
      );
    }
    const entry = await entryOf(params.id);
    if (!entry) return void page(req, res, 404, 'No such incident', 'Nothing was recorded.');
    const at = (value: string | undefined) => zonedToUtc(value!, deps.timeZone).toISOString();
    const decision: BreachDecision = {
      authority:
        body.authority === 'reported'
          ? { reported: true, at: at(body.reportedAt), reference: body.reference! }
          : { reported: false, reason: body.notReportedReason! },
      subjects:
        body.subjects === 'informed'
          ? { informed: true, at: at(body.informedAt), how: body.informedHow! }
          : { informed: false, reason: body.notInformedReason! },
    };
    await deps.register.decide(params.id, decision, person);
    res.redirect(303, `/breaches/${encodeURIComponent(params.id)}?lang=${localeOf(req)}`);
  });
}
