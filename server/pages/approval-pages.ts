// The HTML of the approval pages: small, phone-sized, no script. Mustache escapes every value.
import Mustache from 'mustache';

const LAYOUT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{title}} · Reflex</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;line-height:1.45;color:#1b1b1b;background:#f6f7f9}
main{max-width:34rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem;margin:.2rem 0 1rem}dl{margin:0}dt{font-weight:600;margin-top:.7rem;color:#444;font-size:.9rem}dd{margin:.1rem 0 0}
.drill{background:#fff3cd;border:1px solid #e0c060;border-radius:6px;padding:.4rem .6rem;font-weight:700;display:inline-block}
.buttons{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;font-size:1.1rem;padding:.9rem;border-radius:10px;border:0;cursor:pointer;color:#fff}
.approve{background:#1a7f37}.reject{background:#b42318}
.outcome{font-size:1.15rem;font-weight:700}.muted{color:#666;font-size:.85rem;margin-top:1.2rem}
</style></head><body><main>
{{#drill}}<p class="drill">DRILL</p>{{/drill}}
{{{body}}}
<p class="muted">Reflex · {{organisation}}</p>
</main></body></html>`;

const CONFIRM = `<h1>{{question}}</h1>
<dl>
<dt>What happened</dt><dd>{{alertTitle}} ({{severity}})</dd>
<dt>When</dt><dd>{{occurredAt}}</dd>
{{#accounts}}<dt>Account(s)</dt><dd>{{accounts}}</dd>{{/accounts}}
<dt>What Reflex wants to do</dt><dd>{{description}}<br><small>{{action}}</small></dd>
<dt>Who decides</dt><dd>You ({{approver}}){{#quorumText}}: {{quorumText}}{{/quorumText}}</dd>
<dt>If nobody answers by {{deadline}}</dt><dd>{{onTimeoutText}}</dd>
</dl>
<form method="post" action="{{action_url}}">
<input type="hidden" name="csrf" value="{{csrf}}">
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>
<p class="muted">Incident {{incidentId}}. Opening this page decides nothing; only the buttons do.</p>`;

const MESSAGE = `<h1>{{heading}}</h1><p class="outcome">{{outcome}}</p><p>{{detail}}</p>`;

const LIST = `<h1>Pending approvals</h1>
{{^items}}<p>Nothing is waiting for approval.</p>{{/items}}
<ul>{{#items}}<li><a href="{{href}}"><b>{{stepId}}</b> in {{incidentId}}</a><br><small>asked: {{approvers}}; until {{until}}</small></li>{{/items}}</ul>
{{#items.length}}<p class="muted">Open one to approve or reject it as yourself.</p>{{/items.length}}`;

/** The page template, for the Content-Security-Policy's style hashes (server/security-headers.ts). */
export const APPROVAL_TEMPLATES = [LAYOUT];

export interface PageFrame {
  title: string;
  drill?: boolean;
  organisation: string;
}

export function confirmPage(frame: PageFrame, view: Record<string, unknown>): string {
  return Mustache.render(LAYOUT, { ...frame, body: Mustache.render(CONFIRM, view) });
}

export function messagePage(frame: PageFrame, heading: string, outcome: string, detail = ''): string {
  return Mustache.render(LAYOUT, { ...frame, body: Mustache.render(MESSAGE, { heading, outcome, detail }) });
}

export function pendingPage(
  frame: PageFrame,
  items: Array<{ stepId: string; incidentId: string; approvers: string; until: string; href: string }>,
): string {
  return Mustache.render(LAYOUT, { ...frame, body: Mustache.render(LIST, { items }) });
}
