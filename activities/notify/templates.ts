// Notification templates: files an organisation can edit (playbooks/templates/<name>.<locale>.txt and
// .html), rendered with mustache. The first line of the text file is `Subject: …`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import { LOCALES, type Locale } from '../../workflows/model/locale';
import { renderTemplate } from '../../workflows/model/template';

/** The templates a notify step may name, with what each is for. */
export const NOTIFICATION_TEMPLATES = {
  'on-call': 'Tell on-call what happened and what Reflex did',
  'dpo-art33': 'A GDPR Art. 33 draft for the data-protection officer, with the 72-hour deadline',
  ncsc: 'An incident report with the fields of the NCSC-NL form',
  owner: 'Tell the owner of an application or secret what happened',
  'manual-steps': 'Plain-language steps for the humans to take',
  'approval-request': 'Ask an approver to approve or reject a step',
  'still-active': 'Tell on-call that an account signed in again after Reflex signed it out',
} as const;

export type TemplateName = keyof typeof NOTIFICATION_TEMPLATES;

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

export class TemplateStore {
  private readonly cache = new Map<string, { subject: string; text: string; html: string }>();

  constructor(private readonly dir: string) {}

  private load(name: string, locale: Locale) {
    const key = `${name}.${locale}`;
    let files = this.cache.get(key);
    if (!files) {
      const raw = readFileSync(join(this.dir, `${key}.txt`), 'utf8');
      const [first, ...rest] = raw.split('\n');
      if (!first?.startsWith('Subject:')) throw new Error(`${key}.txt must start with a "Subject:" line`);
      files = {
        subject: first.slice('Subject:'.length).trim(),
        text: rest.join('\n').replace(/^\n/, ''),
        html: readFileSync(join(this.dir, `${key}.html`), 'utf8'),
      };
      this.cache.set(key, files);
    }
    return files;
  }

  /** Renders a template; text and subject are not HTML-escaped, the HTML version is. */
  render(name: string, locale: Locale, view: Record<string, unknown>): RenderedMessage {
    const files = this.load(name, locale);
    const plain = (s: string) => s;
    return {
      subject: renderTemplate(files.subject, view, plain).replace(/\s+/g, ' ').trim(),
      text: renderTemplate(files.text, view, plain),
      html: renderTemplate(files.html, view),
    };
  }

  /** Every template × locale pair that exists and parses, for tests and `reflex playbooks validate`. */
  check(): string[] {
    const problems: string[] = [];
    for (const name of Object.keys(NOTIFICATION_TEMPLATES)) {
      for (const locale of LOCALES) {
        try {
          const files = this.load(name, locale);
          Mustache.parse(files.text);
          Mustache.parse(files.html);
        } catch (err) {
          problems.push(`${name}.${locale}: ${(err as Error).message}`);
        }
      }
    }
    return problems;
  }
}
