// The board's pages: server-rendered HTML, no script, printable. Mustache escapes every value.
import Mustache from 'mustache';
import { formatTime } from '../../activities/notify/send';
import type { IncidentFilter, IncidentSummary } from '../../storage/incident-index';
import { INCIDENT_STATUSES } from '../../storage/incident-index';
import { DICTIONARIES, fill, formatDuration, standingText, type ReportLocale } from '../reports/i18n';
import type { PeriodSummary } from '../reports/summary';
import type { Timeline } from '../reports/timeline';
import type { RegisterEntry } from '../../storage/breach-register';
import { OUTCOME_GROUPS, type Accounting } from '../reports/accounting';
import type { GovernanceReport } from '../reports/governance';

/** `.w0`…`.w20`: bar widths in rem, so no page needs an inline style attribute. */
const BAR_WIDTHS = Array.from({ length: 21 }, (_, n) => `.w${n}{width:${n}rem}`).join('');

const LAYOUT = `<!doctype html>
<html lang="{{locale}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{title}} · Reflex</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;line-height:1.45;color:#1b1b1b;background:#f6f7f9}
main{max-width:58rem;margin:0 auto;background:#fff;border-radius:10px;padding:1.25rem 1.5rem;box-shadow:0 1px 3px #0002}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e5e8;vertical-align:top}
th{color:#555;font-weight:600}td.time{white-space:nowrap;color:#444}
.drill{background:#fff3cd;border:1px solid #e0c060;border-radius:6px;padding:.15rem .45rem;font-weight:700;font-size:.8rem}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.6rem;margin:.8rem 0}
.fact{border:1px solid #e3e5e8;border-radius:8px;padding:.5rem .7rem}.fact b{display:block;font-size:1.15rem}
.fact span{color:#555;font-size:.85rem}.ok{color:#1a7f37}.late{color:#b42318}
nav a,.actions a{margin-right:1rem}form.filter{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end;margin:.5rem 0 1rem}
form.filter label{display:flex;flex-direction:column;font-size:.8rem;color:#555}
.muted{color:#666;font-size:.85rem;margin-top:1.2rem}.bar{background:#2f6fdf;height:.8rem;display:inline-block}
.bar.out{background:#b42318}${BAR_WIDTHS}
fieldset{border:1px solid #e3e5e8;border-radius:8px;margin:.6rem 0;min-width:0}
fieldset label{display:block;margin:.35rem 0}fieldset textarea,fieldset input:not([type=radio]){display:block;width:100%;box-sizing:border-box}
@media print{body{background:#fff;padding:0}main{box-shadow:none;max-width:none}nav,.actions,form.filter{display:none}a{color:inherit;text-decoration:none}}
</style></head><body><main>
<header><nav><a href="/board?lang={{locale}}">{{labels.back}}</a><a href="/board/summary?lang={{locale}}">{{labels.summary}}</a><a href="/board/playbooks?lang={{locale}}">{{labels.playbooks}}</a><a href="/board/sources?lang={{locale}}">{{labels.sources}}</a><a href="/board/breaches?lang={{locale}}">{{labels.breachRegister}}</a><a href="/board/alerts?lang={{locale}}">{{labels.alertsAccounted}}</a><a href="/board/governance?lang={{locale}}">{{labels.governanceReport}}</a>
<a href="?{{otherLangQuery}}">{{otherLang}}</a></nav>
<form method="post" action="/logout" class="actions"><button type="submit">{{labels.signOut}}</button></form></header>
{{{body}}}
<p class="muted">Reflex · {{organisation}} · {{labels.generated}} {{generated}}</p>
</main></body></html>`;

const LIST = `<h1>{{labels.incidents}}</h1>
<form class="filter" method="get" action="/board">
<input type="hidden" name="lang" value="{{locale}}">
<label>{{labels.from}}<input type="date" name="from" value="{{filter.fromDate}}"></label>
<label>{{labels.to}}<input type="date" name="to" value="{{filter.toDate}}"></label>
<label>{{labels.status}}<select name="status"><option value="">{{labels.all}}</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/statuses}}</select></label>
<label>{{labels.playbook}}<input name="playbook" value="{{filter.playbook}}" size="18"></label>
<label>{{labels.kind}}<select name="drill"><option value="">{{labels.all}}</option>
<option value="false"{{#realSelected}} selected{{/realSelected}}>{{labels.real}}</option>
<option value="true"{{#drillSelected}} selected{{/drillSelected}}>{{labels.drills}}</option></select></label>
<button type="submit">{{labels.filter}}</button></form>
{{^rows}}<p>{{labels.none}}</p>{{/rows}}
{{#rows.length}}<table><thead><tr><th>{{labels.started}}</th><th>{{labels.incident}}</th><th>{{labels.status}}</th><th>{{labels.firstContainment}}</th><th>{{labels.alerts}}</th></tr></thead><tbody>
{{#rows}}<tr><td class="time">{{started}}</td><td><a href="/board/incidents/{{id}}?lang={{locale}}">{{title}}</a>{{#drill}} <span class="drill">{{labels.drill}}</span>{{/drill}}<br><small>{{alertTitle}} · {{id}}</small></td><td>{{status}}</td><td>{{toContain}}</td><td>{{alertCount}}</td></tr>{{/rows}}
</tbody></table>{{/rows.length}}`;

const TIMELINE = `<h1>{{t.playbook.title}}{{#t.drill}} <span class="drill">{{labels.drill}}</span>{{/t.drill}}</h1>
<p>{{labels.incident}} <code>{{t.incidentId}}</code> · {{labels.status}}: <b id="status">{{t.statusText}}</b>{{#t.alert}} · {{labels.alert}}: {{title}} ({{severity}}, {{source}}){{/t.alert}}</p>
{{#t.drill}}<p class="drill">{{labels.drillNote}}</p>{{/t.drill}}
{{^verified}}<p class="late"><b>{{labels.recordBroken}}</b></p>{{/verified}}
<div class="facts">
<div class="fact" id="first-containment"><span>{{labels.firstContainment}}</span><b>{{t.timeToFirstContainmentText}}</b>{{#firstContainedAt}}<span>{{firstContainedAt}}</span>{{/firstContainedAt}}</div>
<div class="fact" id="full-containment"><span>{{labels.fullContainment}}</span><b>{{t.timeToFullContainmentText}}</b>{{#containedAt}}<span>{{containedAt}}</span>{{/containedAt}}</div>
<div class="fact" id="gdpr"><span>{{labels.gdpr}}</span><b>{{deadline}}</b><span>{{labels.awareAt}} {{awareAt}}</span></div>
<div class="fact" id="dpo"><span>{{labels.dpoNotified}}</span>{{#dpoNotifiedAt}}<b class="{{dpoClass}}">{{dpoNotifiedAt}}</b><span class="{{dpoClass}}">{{dpoVerdict}}</span>{{/dpoNotifiedAt}}{{^dpoNotifiedAt}}<b>{{labels.dpoNotNotified}}</b>{{/dpoNotifiedAt}}</div>
{{#authorityNotifiedAt}}<div class="fact"><span>{{labels.authorityNotified}}</span><b>{{authorityNotifiedAt}}</b></div>{{/authorityNotifiedAt}}
</div>
<p class="actions"><a href="/board/incidents/{{t.incidentId}}.pdf?lang={{locale}}">{{labels.pdf}}</a></p>
<h2>{{labels.approvals}}</h2>
{{^t.approvals.length}}<p>{{labels.noApprovals}}</p>{{/t.approvals.length}}
{{#t.approvals.length}}<table id="approvals"><thead><tr><th>{{labels.what}}</th><th>{{labels.who}}</th><th>{{labels.when}}</th></tr></thead><tbody>
{{#approvalRows}}<tr><td>{{description}}</td><td>{{who}}</td><td class="time">{{when}}</td></tr>{{/approvalRows}}
</tbody></table>{{/t.approvals.length}}
<h2>{{labels.timeline}}</h2>
<table id="timeline"><thead><tr><th>{{labels.when}} ({{timeZone}})</th><th>{{labels.what}}</th></tr></thead><tbody>
{{#t.entries}}<tr data-kind="{{kind}}"><td class="time">{{time}}</td><td>{{text}}</td></tr>{{/t.entries}}
</tbody></table>
<p class="muted">{{labels.record}}: {{verifiedText}}</p>`;

const SUMMARY = `<h1>{{labels.summary}}</h1>
<form class="filter" method="get" action="/board/summary">
<input type="hidden" name="lang" value="{{locale}}">
<label>{{labels.from}}<input type="date" name="from" value="{{fromDate}}"></label>
<label>{{labels.to}}<input type="date" name="to" value="{{toDate}}"></label>
<button type="submit">{{labels.filter}}</button></form>
<p class="actions"><a href="/board/summary.pdf?{{query}}">{{labels.pdf}}</a></p>
<div class="facts">
<div class="fact"><span>{{labels.count}}</span><b>{{s.real}}</b><span>+ {{s.drills}} {{labels.drills}}</span></div>
<div class="fact"><span>{{labels.within10}}</span><b>{{s.containedWithinWindow}} / {{s.withContainment}}</b></div>
{{#statuses}}<div class="fact"><span>{{text}}</span><b>{{count}}</b></div>{{/statuses}}
</div>
<h2>{{labels.distribution}}</h2>
<table id="distribution">{{#buckets}}<tr><td class="time">{{label}} {{labels.minutes}}</td><td><span class="bar w{{width}}{{^withinWindow}} out{{/withinWindow}}"></span> {{count}}</td></tr>{{/buckets}}</table>
<h2>{{labels.openActions}}</h2>
{{^open.length}}<p>{{labels.noOpenActions}}</p>{{/open.length}}
<ul>{{#open}}<li><a href="/board/incidents/{{id}}?lang={{locale}}">{{title}}</a> · {{status}} · {{started}}</li>{{/open}}
{{#pending}}<li>{{labels.waitingApproval}}: {{stepId}} ({{incidentId}})</li>{{/pending}}</ul>`;

const LOGIN = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>Sign in · Reflex</title><style>body{font-family:system-ui,sans-serif;background:#f6f7f9;padding:1rem}
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:10px;padding:1.25rem;box-shadow:0 1px 3px #0002}
input{width:100%;font-size:1rem;padding:.5rem;box-sizing:border-box}button{margin-top:.8rem;font-size:1rem;padding:.5rem 1rem}
.error{color:#b42318}.sso{display:block;text-align:center;background:#2f2f2f;color:#fff;padding:.7rem;border-radius:8px;text-decoration:none;font-size:1.05rem}
</style></head><body><main><h1>Reflex · {{organisation}}</h1>
{{#error}}<p class="error">{{error}}</p>{{/error}}
{{#oidc}}<p><a class="sso" href="/login/oidc?next={{nextParam}}">{{oidc}}</a></p><p>Or with an access token:</p>{{/oidc}}
<form method="post" action="/login"><input type="hidden" name="next" value="{{next}}">
<label>Access token<br><input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>`;

/** The page templates, for the Content-Security-Policy's style hashes (server/security-headers.ts). */
export const BOARD_TEMPLATES = [LAYOUT, LOGIN];

export interface FrameInput {
  title: string;
  locale: ReportLocale;
  organisation: string;
  timeZone: string;
  /** The current query string without `lang`, for the language switch. */
  query: string;
}

function frame(input: FrameInput, body: string): string {
  const other = input.locale === 'en' ? 'nl' : 'en';
  return Mustache.render(LAYOUT, {
    ...input,
    labels: DICTIONARIES[input.locale].labels,
    body,
    otherLang: other === 'nl' ? 'Nederlands' : 'English',
    otherLangQuery: [input.query, `lang=${other}`].filter(Boolean).join('&'),
    generated: formatTime(new Date().toISOString(), input.locale, input.timeZone),
  });
}

const dateOnly = (iso: string | undefined) => iso?.slice(0, 10) ?? '';

export function incidentListPage(
  input: FrameInput,
  incidents: readonly IncidentSummary[],
  filter: IncidentFilter,
): string {
  const d = DICTIONARIES[input.locale];
  const rows = incidents.map((i) => ({
    id: i.id,
    title: i.playbook.title,
    alertTitle: i.alertTitle,
    drill: i.drill,
    status: d.status[i.status] ?? i.status,
    started: formatTime(i.startedAt, input.locale, input.timeZone),
    toContain: i.firstContainedAt
      ? formatDuration(Date.parse(i.firstContainedAt) - Date.parse(i.startedAt), input.locale)
      : '–',
    alertCount: i.alertCount,
  }));
  const body = Mustache.render(LIST, {
    locale: input.locale,
    labels: d.labels,
    rows,
    filter: { ...filter, fromDate: dateOnly(filter.from), toDate: dateOnly(filter.to) },
    statuses: INCIDENT_STATUSES.map((value) => ({
      value,
      text: d.status[value],
      selected: filter.status === value,
    })),
    realSelected: filter.drill === false,
    drillSelected: filter.drill === true,
  });
  return frame(input, body);
}

export function timelinePage(input: FrameInput, t: Timeline, verified: boolean): string {
  const d = DICTIONARIES[input.locale];
  const time = (iso: string | undefined) => (iso ? formatTime(iso, input.locale, input.timeZone) : '');
  const approvalRows = t.approvals.flatMap((a) =>
    a.decisions.length
      ? a.decisions.map((x) => ({
          description: a.description,
          who: `${x.approver}: ${d.outcome[x.decision] ?? x.decision}`,
          when: x.time,
        }))
      : [
          {
            description: a.description,
            who: d.outcome[a.outcome ?? ''] ?? d.labels.waitingApproval,
            when: '',
          },
        ],
  );
  const body = Mustache.render(TIMELINE, {
    t,
    locale: input.locale,
    labels: d.labels,
    timeZone: input.timeZone,
    verified,
    verifiedText: verified ? '✓' : '✗',
    firstContainedAt: time(t.firstContainedAt),
    containedAt: time(t.containedAt),
    deadline: time(t.gdpr.deadline),
    awareAt: time(t.gdpr.awareAt),
    dpoNotifiedAt: time(t.gdpr.dpoNotifiedAt),
    dpoClass: t.gdpr.dpoInTime ? 'ok' : 'late',
    dpoVerdict: t.gdpr.dpoInTime ? d.labels.dpoInTime : d.labels.dpoLate,
    authorityNotifiedAt: time(t.gdpr.authorityNotifiedAt),
    approvalRows,
  });
  return frame(input, body);
}

export function summaryPage(
  input: FrameInput,
  s: PeriodSummary,
  pending: ReadonlyArray<{ incidentId: string; stepId: string }>,
): string {
  const d = DICTIONARIES[input.locale];
  const max = Math.max(1, ...s.distribution.map((b) => b.count));
  const body = Mustache.render(SUMMARY, {
    s,
    locale: input.locale,
    labels: d.labels,
    fromDate: dateOnly(s.from),
    toDate: dateOnly(s.to),
    query: input.query ? `${input.query}&lang=${input.locale}` : `lang=${input.locale}`,
    statuses: Object.entries(s.byStatus).map(([status, count]) => ({
      text: d.status[status] ?? status,
      count,
    })),
    // Bar lengths as classes (w0…w20, in rem): the pages' CSP allows no inline style attributes.
    buckets: s.distribution.map((b) => ({ ...b, width: Math.round((b.count / max) * 20) })),
    open: s.open.map((i) => ({
      id: i.id,
      title: i.playbook.title,
      status: i.status === 'running' ? d.labels.stillRunning : d.labels.awaitingResolution,
      started: formatTime(i.startedAt, input.locale, input.timeZone),
    })),
    pending,
  });
  return frame(input, body);
}

const READINESS = `<h1>{{labels.readiness}}</h1>
<p>{{labels.readinessIntro}}</p>
{{^problems}}<p class="ok">{{labels.readinessNone}}</p>{{/problems}}
<table><tbody>
{{#rows}}<tr><td class="{{css}}">{{statusText}}</td><td><b>{{check}}</b><br>{{message}}{{#fix}}<br><small>{{labels.readinessFix}}: {{fix}}</small>{{/fix}}</td></tr>{{/rows}}
</tbody></table>
<p class="muted">{{checkedAt}}</p>`;

/** The readiness check's findings for admins; the findings' own words are English. */
export function readinessPage(
  input: FrameInput,
  report: {
    checkedAt: string;
    problems: number;
    findings: ReadonlyArray<{ check: string; status: string; message: string; fix?: string }>;
  },
): string {
  const labels = DICTIONARIES[input.locale].labels;
  const text: Record<string, [string, string]> = {
    ok: [labels.readinessOk ?? 'ok', 'ok'],
    problem: [labels.readinessProblem ?? 'problem', 'late'],
    'not-checked': [labels.readinessNotChecked ?? 'not checked', ''],
  };
  const order: Record<string, number> = { problem: 0, 'not-checked': 2, ok: 1 };
  const body = Mustache.render(READINESS, {
    labels,
    problems: report.problems,
    checkedAt: formatTime(report.checkedAt, input.locale, input.timeZone),
    rows: [...report.findings]
      .sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3))
      .map((f) => ({ ...f, statusText: text[f.status]?.[0] ?? f.status, css: text[f.status]?.[1] ?? '' })),
  });
  return frame(input, body);
}

const PLAYBOOKS = `<h1>{{labels.playbooks}}</h1>
<p>{{labels.playbooksIntro}}</p>
{{#recorded}}<p class="ok" role="status">{{labels.signOffRecorded}}</p>{{/recorded}}
{{#rows}}<section class="playbook" id="playbook-{{id}}"><h2>{{title}} <small>{{id}} v{{version}}</small></h2>
<p><b class="{{css}}" data-standing="{{status}}">{{statusText}}</b>{{#detail}}: {{detail}}{{/detail}}</p>
<p>{{description}}</p>
<details><summary>{{labels.stepsLabel}}</summary><ol>{{#steps}}<li>{{text}}{{#approval}} <small>({{approval}})</small>{{/approval}}</li>{{/steps}}</ol></details>
<p class="muted">{{labels.contentDigest}}: <code>{{digest}}</code></p>
{{#form}}<form method="post" action="/board/playbooks/{{id}}/sign-off?lang={{locale}}" class="filter">
<input type="hidden" name="version" value="{{version}}"><input type="hidden" name="digest" value="{{digest}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<label>{{yourRole}}<input name="role" required maxlength="80" size="18"></label>
<button type="submit">{{signOffAs}}</button></form>{{/form}}
</section>{{/rows}}`;

/** One playbook as the board page shows it. */
export interface PlaybookRow {
  id: string;
  version: number;
  title: string;
  description: string;
  digest: string;
  status: 'signed-off' | 'changed' | 'unsigned';
  signOff?: { version: number; by: string; role: string; at: string };
  steps: Array<{ text: string; approval?: boolean }>;
}

/**
 * The playbooks with their sign-off. `signer`: the signed-in person's name and a CSRF token for the
 * form (a playbook already signed off as it is has no form).
 */
export function playbooksPage(
  input: FrameInput,
  playbooks: readonly PlaybookRow[],
  signer?: { person: string; csrf: () => string },
  recorded = false,
): string {
  const labels = DICTIONARIES[input.locale].labels;
  const day = new Intl.DateTimeFormat(input.locale === 'nl' ? 'nl-NL' : 'en-GB', {
    dateStyle: 'long',
    timeZone: input.timeZone,
  });
  const csrf = signer && playbooks.some((p) => p.status !== 'signed-off') ? signer.csrf() : '';
  const rows = playbooks.map((p) => {
    const facts = p.signOff && { ...p.signOff, date: day.format(new Date(p.signOff.at)) };
    const standing = {
      'signed-off': [standingText(labels, p.status), 'ok', facts && fill(labels.signedOffBy!, facts)],
      changed: [standingText(labels, p.status), 'late', facts && fill(labels.changedSinceBy!, facts)],
      unsigned: [standingText(labels, p.status), 'late', undefined],
    }[p.status];
    return {
      ...p,
      locale: input.locale,
      statusText: standing[0],
      css: standing[1],
      detail: standing[2],
      steps: p.steps.map((s) => ({
        text: s.text,
        approval: s.approval === undefined ? '' : s.approval ? labels.asksApproval : labels.withoutApproval,
      })),
      form:
        signer && p.status !== 'signed-off'
          ? {
              csrf,
              yourRole: labels.yourRole,
              signOffAs: fill(labels.signOffAs!, { version: p.version, person: signer.person }),
            }
          : undefined,
    };
  });
  return frame(input, Mustache.render(PLAYBOOKS, { labels, rows, recorded }));
}

const SOURCES = `<h1>{{labels.sources}}</h1>
<p>{{labels.sourcesIntro}}</p>
<table><thead><tr><th>{{labels.source}}</th><th>{{labels.lastDelivery}}</th><th>{{labels.expectedEvery}}</th><th>{{labels.status}}</th></tr></thead><tbody>
{{#rows}}<tr><td><b>{{name}}</b> <small>{{kind}}</small></td><td class="time">{{last}}</td><td>{{expectEvery}}</td><td class="{{css}}" data-source-status="{{status}}">{{statusText}}</td></tr>{{/rows}}
</tbody></table>`;

/** Every source with its last delivery; silent ones first. */
export function sourcesPage(
  input: FrameInput,
  sources: ReadonlyArray<{
    name: string;
    kind: string;
    expectEvery?: string;
    lastSeenAt?: string;
    silentSince?: string;
  }>,
): string {
  const labels = DICTIONARIES[input.locale].labels;
  const rows = sources
    .map((s) => {
      const status = s.silentSince ? 'silent' : s.expectEvery ? 'ok' : 'unwatched';
      return {
        ...s,
        status,
        last: s.lastSeenAt ? formatTime(s.lastSeenAt, input.locale, input.timeZone) : labels.never,
        expectEvery: s.expectEvery ?? '—',
        statusText: { silent: labels.silent, ok: labels.speaking, unwatched: labels.unwatched }[status],
        css: { silent: 'late', ok: 'ok', unwatched: '' }[status],
      };
    })
    .sort((a, b) => Number(b.status === 'silent') - Number(a.status === 'silent'));
  return frame(input, Mustache.render(SOURCES, { labels, rows }));
}

const REGISTER = `<h1>{{labels.breachRegister}}</h1>
<p>{{labels.breachIntro}}</p>
<p class="actions"><a href="/board/breaches/register.csv?lang={{locale}}">CSV</a><a href="/board/breaches/register.pdf?lang={{locale}}">PDF</a></p>
{{^rows}}<p>{{labels.none}}</p>{{/rows}}
{{#rows.length}}<table><thead><tr><th>{{labels.incident}}</th><th>{{labels.deadline72}}</th><th>{{labels.authorityDecision}}</th><th>{{labels.subjectsDecision}}</th></tr></thead><tbody>
{{#rows}}<tr data-incident="{{id}}"><td><a href="/board/incidents/{{id}}?lang={{locale}}">{{title}}</a><br><small>{{alertTitle}} · {{started}}</small></td><td class="time {{deadlineCss}}">{{deadline}}</td>
<td class="{{css}}">{{authority}}</td><td>{{subjects}}<br><small><a href="/breaches/{{id}}?lang={{locale}}">{{labels.recordDecision}}</a></small></td></tr>{{/rows}}
</tbody></table>{{/rows.length}}`;

const DECISION = `<h1>{{labels.breachRegister}}: {{title}}</h1>
<p>{{labels.incident}} <a href="/board/incidents/{{id}}?lang={{locale}}"><code>{{id}}</code></a> · {{alertTitle}} · {{labels.deadline72}}: <b>{{deadline}}</b></p>
{{#current}}<p class="ok" role="status">{{labels.currentDecision}}: {{authority}}; {{subjects}} ({{by}}, {{at}})</p>{{/current}}
<form method="post" action="/breaches/{{id}}?lang={{locale}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<fieldset><legend>{{labels.authorityDecision}}</legend>
<label><input type="radio" name="authority" value="reported" required> {{labels.reported}}</label>
<label>{{labels.reportedOn}} <input type="datetime-local" name="reportedAt"></label>
<label>{{labels.reference}} <input name="reference" maxlength="120"></label><br>
<label><input type="radio" name="authority" value="not-reported"> {{labels.notReported}}</label>
<label>{{labels.whyNotReported}} <textarea name="notReportedReason" maxlength="2000" rows="2"></textarea></label>
</fieldset>
<fieldset><legend>{{labels.subjectsDecision}}</legend>
<label><input type="radio" name="subjects" value="informed" required> {{labels.informed}}</label>
<label>{{labels.informedOn}} <input type="datetime-local" name="informedAt"></label>
<label>{{labels.informedHow}} <input name="informedHow" maxlength="500"></label><br>
<label><input type="radio" name="subjects" value="not-informed"> {{labels.notInformed}}</label>
<label>{{labels.whyNotInformed}} <textarea name="notInformedReason" maxlength="2000" rows="2"></textarea></label>
</fieldset>
<p><button type="submit">{{labels.recordAs}} {{person}}</button></p></form>`;

/** A register entry in words. */
function decisionWords(entry: RegisterEntry, input: FrameInput) {
  const l = DICTIONARIES[input.locale].labels;
  const time = (iso?: string) => formatTime(iso, input.locale, input.timeZone);
  const a = entry.decision?.authority;
  const s = entry.decision?.subjects;
  return {
    authority: a
      ? a.reported
        ? `${l.reported} ${time(a.at)} (${l.reference} ${a.reference})`
        : `${l.notReported}: ${a.reason}`
      : l.noDecision!,
    subjects: s
      ? s.informed
        ? `${l.informed} ${time(s.at)} (${s.how})`
        : `${l.notInformed}: ${s.reason}`
      : '',
  };
}

/** The breach register: every real incident with the DPO's decision. */
export function breachRegisterPage(input: FrameInput, entries: readonly RegisterEntry[]): string {
  const labels = DICTIONARIES[input.locale].labels;
  const now = new Date().toISOString();
  const rows = entries.map((e) => ({
    id: e.incident.id,
    locale: input.locale,
    title: e.incident.playbook.title,
    alertTitle: e.incident.alertTitle,
    started: formatTime(e.incident.startedAt, input.locale, input.timeZone),
    deadline: formatTime(e.deadline, input.locale, input.timeZone),
    deadlineCss: !e.decision && e.deadline < now ? 'late' : '',
    css: e.decision ? 'ok' : e.dpoNotifiedAt ? 'late' : '',
    ...decisionWords(e, input),
  }));
  return frame(input, Mustache.render(REGISTER, { labels, rows, locale: input.locale }));
}

/** The DPO's form for one incident, with the decision recorded so far. */
export function breachDecisionPage(
  input: FrameInput,
  entry: RegisterEntry,
  person: string,
  csrf: string,
): string {
  const labels = DICTIONARIES[input.locale].labels;
  const words = decisionWords(entry, input);
  return frame(
    input,
    Mustache.render(DECISION, {
      labels,
      locale: input.locale,
      id: entry.incident.id,
      title: entry.incident.playbook.title,
      alertTitle: entry.incident.alertTitle,
      deadline: formatTime(entry.deadline, input.locale, input.timeZone),
      current: entry.decision && {
        ...words,
        by: entry.decision.by,
        at: formatTime(entry.decision.at, input.locale, input.timeZone),
      },
      person,
      csrf,
    }),
  );
}

const ALERTS = `<h1>{{labels.alertsAccounted}}</h1>
<form class="filter" method="get" action="/board/alerts">
<input type="hidden" name="lang" value="{{locale}}">
<label>{{labels.from}}<input type="date" name="from" value="{{fromDate}}"></label>
<label>{{labels.to}}<input type="date" name="to" value="{{toDate}}"></label>
<button type="submit">{{labels.filter}}</button></form>
<p id="account">{{summary}}</p>
<p class="{{verdictCss}}" id="verdict"><b>{{verdict}}</b></p>
<table><thead><tr><th>{{labels.source}}</th><th>{{labels.received}}</th><th>{{labels.handledCol}}</th><th>{{labels.refusedCol}}</th><th>{{labels.retriedCol}}</th><th>{{labels.replayedCol}}</th><th>{{labels.recordedCol}}</th></tr></thead><tbody>
{{#rows}}<tr data-source="{{source}}"><td><b>{{source}}</b></td><td>{{received}}</td><td>{{handled}}</td><td>{{refused}}</td><td>{{retried}}</td><td>{{replayed}}</td><td><small>{{recorded}}</small></td></tr>{{/rows}}
</tbody></table>
<p class="muted">{{labels.alertsNote}}</p>`;

/** Every alert accounted for, over a period. */
export function alertsPage(input: FrameInput, a: Accounting): string {
  const labels = DICTIONARIES[input.locale].labels;
  const group = (deliveries: Record<string, number>, outcomes: readonly string[]) =>
    outcomes.reduce((n, o) => n + (deliveries[o] ?? 0), 0);
  const recordedText = (r: Accounting['recorded']) =>
    fill(labels.recordedText!, {
      opened: r.opened,
      joined: r.joined,
      unrouted: r.unrouted,
      rejected: r.rejected,
    });
  return frame(
    input,
    Mustache.render(ALERTS, {
      labels,
      locale: input.locale,
      fromDate: dateOnly(a.from),
      toDate: dateOnly(a.to),
      summary: fill(labels.alertsSummary!, { ...a.totals }),
      verdict: a.unhandled === 0 ? labels.noneUnhandled : fill(labels.someUnhandled!, { n: a.unhandled }),
      verdictCss: a.unhandled === 0 ? 'ok' : 'late',
      rows: a.sources.map((s) => ({
        source: s.source,
        received: s.webhook ? s.received : '—',
        handled: s.webhook ? group(s.deliveries, OUTCOME_GROUPS.handled) : '—',
        refused: s.webhook ? group(s.deliveries, OUTCOME_GROUPS.refused) : '—',
        retried: s.webhook ? group(s.deliveries, OUTCOME_GROUPS.retried) : '—',
        replayed: s.webhook ? group(s.deliveries, OUTCOME_GROUPS.replayed) : '—',
        recorded: recordedText(s.recorded),
      })),
    }),
  );
}

const GOVERNANCE = `<h1>{{labels.governanceReport}}</h1>
<form class="filter" method="get" action="/board/governance">
<input type="hidden" name="lang" value="{{locale}}">
<label>{{labels.from}}<input type="date" name="from" value="{{fromDate}}"></label>
<label>{{labels.to}}<input type="date" name="to" value="{{toDate}}"></label>
<button type="submit">{{labels.filter}}</button></form>
<p class="actions"><a href="/board/governance/report.pdf?lang={{locale}}&from={{fromDate}}&to={{toDate}}">PDF</a></p>
<h2>{{labels.incidents}}</h2>
<div class="facts"><div class="fact"><b>{{real}}</b><span>{{labels.realIncidents}}</span></div>
<div class="fact"><b>{{withinWindow}}</b><span>{{labels.containedInWindow}}</span></div>
<div class="fact"><b>{{drillCount}}</b><span>{{labels.drillsRun}}</span></div></div>
<h2>{{labels.alertsAccounted}}</h2><p>{{accountSummary}}</p>
<h2>{{labels.drillsPerPlaybook}}</h2>
<table><tbody>{{#drills}}<tr data-drills="{{playbook}}"><td>{{title}} <small>{{playbook}}</small></td><td class="{{css}}">{{count}}</td><td>{{last}}</td></tr>{{/drills}}</tbody></table>
<h2>{{labels.playbookSignOffs}}</h2>
<table><tbody>{{#playbooks}}<tr data-playbook="{{id}}"><td>{{title}} <small>{{id}} v{{version}}</small></td><td class="{{css}}">{{statusText}}</td></tr>{{/playbooks}}</tbody></table>
<h2>{{labels.readinessFindings}}</h2>
{{^findings}}<p class="ok">{{labels.readinessNone}}</p>{{/findings}}
<table><tbody>{{#findings}}<tr><td><b>{{check}}</b><br>{{message}}</td><td>{{open}}</td></tr>{{/findings}}</tbody></table>
<h2>{{labels.silentSources}}</h2>
{{^silences}}<p class="ok">{{labels.noSilences}}</p>{{/silences}}
<table><tbody>{{#silences}}<tr><td class="time">{{at}}</td><td>{{title}}</td></tr>{{/silences}}</tbody></table>`;

/** The quarterly governance report. */
export function governancePage(input: FrameInput, r: GovernanceReport): string {
  const labels = DICTIONARIES[input.locale].labels;
  const time = (iso?: string) => (iso ? formatTime(iso, input.locale, input.timeZone) : '—');
  return frame(
    input,
    Mustache.render(GOVERNANCE, {
      labels,
      locale: input.locale,
      fromDate: dateOnly(r.from),
      toDate: dateOnly(r.to),
      real: r.summary.real,
      withinWindow: `${r.summary.containedWithinWindow} / ${r.summary.withContainment}`,
      drillCount: r.drills.reduce((n, d) => n + d.count, 0),
      accountSummary: fill(labels.alertsSummary!, { ...r.accounting.totals }),
      drills: r.drills.map((d) => ({ ...d, last: time(d.last), css: d.count ? 'ok' : 'late' })),
      playbooks: r.playbooks.map((p) => ({
        ...p,
        statusText: standingText(labels, p.status),
        css: p.status === 'signed-off' ? 'ok' : 'late',
      })),
      findings: r.findings.map((f) => ({
        ...f,
        open: `${formatDuration(f.openMs, input.locale)}${f.resolvedAt ? '' : ` (${labels.stillOpen})`}`,
      })),
      silences: r.silences.map((s) => ({ ...s, at: time(s.at) })),
    }),
  );
}

/** A short page in the board's frame: a refusal and what to do. */
export function boardMessagePage(input: FrameInput, heading: string, detail: string): string {
  return frame(input, Mustache.render('<h1>{{heading}}</h1><p>{{detail}}</p>', { heading, detail }));
}

/** The sign-in page; `oidc` is the sign-in button's words, when Microsoft sign-in is configured. */
export function loginPage(organisation: string, next: string, error?: string, oidc?: string): string {
  return Mustache.render(LOGIN, { organisation, next, nextParam: encodeURIComponent(next), error, oidc });
}
