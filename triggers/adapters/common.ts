// What the format adapters share: severities and types from the senders' own words, entity lists.
import ipaddr from 'ipaddr.js';
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

import type { Classified } from './classify';
export { classify, explicitType, techniqueIds, type Classified } from './classify';

/** An Alert's type and why. */
export const kind = (c: Classified) => ({ type: c.type, typeReason: c.reason });

/** Field names that hold an IP address: ip, src_ip, source_ip, client_ip, ipAddress, remoteIP, … */
const IP_FIELD = /^(src|source|client|remote|dst|dest|destination|caller|origin)?[_.-]?ip([_.-]?address)?$/i;

/** The values of `fields` whose names say they are IP addresses and that are one. */
export function ipFields(fields: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(fields)
    .filter(([key, value]) => IP_FIELD.test(key) && typeof value === 'string' && ipaddr.isValid(value.trim()))
    .map(([, value]) => (value as string).trim());
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
