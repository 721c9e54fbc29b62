// Pages of the demo mailbox: what Reflex "sent", with working links.
import Mustache from 'mustache';
import type { Request } from 'express';
import type { CaughtMessage, DemoMailbox } from '../../mail/demo-mailbox';
import { HttpError } from '../errors';
import type { RouteTable } from '../contract';
import * as contracts from '../contracts/mailbox';

const LAYOUT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Reflex demo mailbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:52rem;padding:1rem;line-height:1.45;color:#1b1b1b}
table{border-collapse:collapse;width:100%}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:1rem;border-radius:6px}.muted{color:#666}
iframe{width:100%;min-height:28rem;border:1px solid #ddd;border-radius:6px}
</style></head><body>
<p class="muted">Reflex demo mailbox: e-mail is caught here instead of being delivered. Configure <code>mail.smtpUrl</code> for real delivery.</p>
{{{content}}}
</body></html>`;

const LIST = `<h1>Mailbox</h1>
{{^messages}}<p>No messages yet.</p>{{/messages}}
<table>{{#messages}}<tr><td class="muted">{{receivedAt}}</td><td>{{to}}</td><td><a href="/mailbox/{{id}}">{{subject}}</a></td></tr>{{/messages}}</table>`;

const MESSAGE = `<p><a href="/mailbox">&larr; all messages</a></p>
<h1>{{subject}}</h1>
<table><tr><th>From</th><td>{{from}}</td></tr><tr><th>To</th><td>{{to}}</td></tr>
<tr><th>Received</th><td>{{receivedAt}}</td></tr><tr><th>Message-ID</th><td><code>{{messageId}}</code></td></tr></table>
<h2>Text version</h2><pre>{{{linkedText}}}</pre>
{{#html}}<h2>HTML version</h2><iframe sandbox="allow-popups allow-top-navigation-by-user-activation" srcdoc="{{html}}"></iframe>{{/html}}`;

/** The page template, for the Content-Security-Policy's style hashes (server/security-headers.ts). */
export const MAILBOX_TEMPLATES = [LAYOUT];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escapes the text and turns http(s) URLs into links. */
function linkify(text: string): string {
  return escapeHtml(text).replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
}

function page(title: string, content: string): string {
  return Mustache.render(LAYOUT, { title, content });
}

/**
 * What a person may read: mail to their own address (approval links are single-use and personal: one
 * approver must not take another's), or every message for an admin.
 */
function visible(req: Request, message: CaughtMessage): boolean {
  const principal = req.principal;
  if (!principal) return false;
  if (principal.role === 'admin') return true;
  const email = principal.email?.toLowerCase();
  return email !== undefined && message.to.some((to) => to.toLowerCase() === email);
}

/** The demo mailbox's pages (their contracts ask for a responder: it holds approval links). */
export function mountMailbox(routes: RouteTable, mailbox: DemoMailbox): void {
  const listFor = (req: Request) => mailbox.list().filter((m) => visible(req, m));
  routes.add(contracts.mailboxPage, (_input, req, res) => {
    const messages = listFor(req).map((m) => ({ ...m, to: m.to.join(', ') }));
    res.type('html').send(page('Mailbox', Mustache.render(LIST, { messages })));
  });
  routes.add(contracts.mailboxMessages, (_input, req, res) => {
    res.json({ messages: listFor(req) });
  });
  routes.add(contracts.mailboxMessage, ({ params }, req, res) => {
    const message = mailbox.get(params.id);
    if (!message || !visible(req, message)) throw new HttpError(404, 'no such message');
    const content = Mustache.render(MESSAGE, {
      ...message,
      to: message.to.join(', '),
      linkedText: linkify(message.text),
    });
    res.type('html').send(page(message.subject, content));
  });
}
