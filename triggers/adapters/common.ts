// What the format adapters share: severities and types from the senders' own words, entity lists.
import type { Entities, Severity } from '../../workflows/model/alert';

/** A sender's severity word or number, as Reflex's severity. Unknown words are `medium`, never dropped. */
export function severityOf(value: unknown, fallback: Severity = 'medium'): Severity {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Wazuh rule levels 0–15.
    if (value >= 13) return 'critical';
    if (value >= 10) return 'high';
    if (value >= 7) return 'medium';
    if (value >= 4) return 'low';
    return 'informational';
  }
  if (typeof value !== 'string') return fallback;
  const word = value.trim().toLowerCase();
  if (/^\d+$/.test(word)) return severityOf(Number(word), fallback);
  const map: Record<string, Severity> = {
    informational: 'informational',
    info: 'informational',
    information: 'informational',
    none: 'informational',
    low: 'low',
    warning: 'medium',
    warn: 'medium',
    medium: 'medium',
    moderate: 'medium',
    high: 'high',
    error: 'high',
    critical: 'critical',
    fatal: 'critical',
    emergency: 'critical',
    disaster: 'critical',
  };
  return map[word] ?? fallback;
}

/** Words in alert titles and rule names that say which kind of attack it is (what playbooks route on). */
const TYPE_WORDS: Array<[RegExp, string]> = [
  [/password.?spray/i, 'password-spray-success'],
  [/impossible.?travel|unlikely.?travel|atypical.?travel|unfamiliar.?(sign|features)/i, 'impossible-travel'],
  [/mass.?(download|export)|exfiltrat|filedownloaded|many files/i, 'mass-export'],
  [/ransomware|encrypt(ed|ion) files|mass file (rename|modification)/i, 'ransomware'],
  [/inbox.?rule|forwarding rule|new-inboxrule/i, 'inbox-rule'],
  [/consent|oauth|illicit grant/i, 'oauth-consent'],
  [/leaked.?(secret|credential|key)|secret.?(exposed|leak)|credential.?(exposed|leak)/i, 'leaked-secret'],
  [/risky.?(sign|user)|suspicious.?sign|anonymous ip|malicious ip|token.?(theft|replay)/i, 'risky-sign-in'],
];

/**
 * The Reflex alert type for a sender's words, most telling first (a title before a category): the
 * first known attack kind found, else a slug of the first words.
 */
export function typeOf(...words: unknown[]): string {
  const given = words.filter((w): w is string => typeof w === 'string' && w.length > 0);
  for (const word of given) for (const [pattern, type] of TYPE_WORDS) if (pattern.test(word)) return type;
  const text = given[0] ?? '';
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return slug || 'alert';
}

/** An explicit `reflex_type` (label, field or tag) wins over guessing, when it is a valid type. */
export function explicitType(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z0-9][a-z0-9._-]{0,80}$/.test(value) ? value : undefined;
}

export class EntityList {
  private readonly sets = {
    users: new Set<string>(),
    ips: new Set<string>(),
    hosts: new Set<string>(),
    apps: new Set<string>(),
    files: new Set<string>(),
  };

  add(kind: keyof Entities, ...values: unknown[]): this {
    for (const value of values) {
      if (typeof value !== 'string') continue;
      const v = value.trim();
      if (v && v !== '-' && v.length <= 1024 && this.sets[kind].size < 100) this.sets[kind].add(v);
    }
    return this;
  }

  toEntities(): Entities {
    return {
      users: [...this.sets.users],
      ips: [...this.sets.ips],
      hosts: [...this.sets.hosts],
      apps: [...this.sets.apps],
      files: [...this.sets.files],
    };
  }
}

/** A time the sender gave (ISO text, or Unix seconds/milliseconds), else `fallback`. */
export function timeOf(value: unknown, fallback: Date): string {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    const ms = n > 1e12 ? n : n * 1000;
    const d = new Date(ms);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  if (typeof value === 'string') {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  return fallback.toISOString();
}

export const text = (value: unknown, max = 500): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : undefined;
