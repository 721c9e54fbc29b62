// Following approval links as a person (or a scanner) would: plain HTTP with a cookie jar.
import type { CaughtMessage } from '../../mail/demo-mailbox';

export function linkIn(mail: CaughtMessage): string {
  const match = mail.text.match(/https?:\/\/\S+\/approve\/[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no approval link in: ${mail.text}`);
  return match[0];
}

export interface OpenedPage {
  status: number;
  html: string;
  cookie?: string;
  csrf?: string;
}

export async function openLink(
  link: string,
  method: 'GET' | 'HEAD' = 'GET',
  userAgent = 'Mozilla/5.0 (iPhone) jest',
): Promise<OpenedPage> {
  const response = await fetch(link, { method, headers: { 'user-agent': userAgent } });
  const html = method === 'HEAD' ? '' : await response.text();
  return {
    status: response.status,
    html,
    cookie: response.headers.get('set-cookie')?.split(';')[0],
    csrf: html.match(/name="csrf" value="([^"]+)"/)?.[1],
  };
}

export async function post(link: string, form: Record<string, string>, cookie?: string) {
  const response = await fetch(link, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie ? { cookie } : {}),
      'user-agent': 'jest-phone',
    },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  return { status: response.status, html: await response.text() };
}

/** Opens the page and presses a button, as a person would. */
export async function decideByLink(link: string, decision: 'approve' | 'reject') {
  const page = await openLink(link);
  if (!page.csrf) throw new Error(`no form on the page (${page.status}): ${page.html.slice(0, 300)}`);
  return post(link, { decision, csrf: page.csrf }, page.cookie);
}
