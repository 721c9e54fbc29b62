// The rule engine: feeds log records through the rules, keeps threshold, new-value and travel state
// (which can be exported and restored, so it survives a restart), and says what fires and why.
// Attackers write the records: per-group state lives in Maps (no key, `__proto__` included, can collide
// with anything), only records a rule matches make state, empty groups expire, and every rule's state
// is capped (the oldest group goes first, and is counted).
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { lookup, render } from '../../workflows/model/template';
import { toMs } from '../../workflows/model/durations';
import type { Alert } from '../../workflows/model/alert';
import { EntityList } from '../adapters/common';
import type { FieldTest, LoadedRule, Rule, RuleCondition } from './rules';
import { compilePattern } from '../../common/patterns';

/** A log record as a source hands it over: its fields, its kind, and when it happened. */
export interface LogRecord {
  /** The log source's name (becomes the Alert's source). */
  source: string;
  /** e.g. entra-signin, entra-audit, m365-audit, syslog, or whatever a file source declares. */
  kind: string;
  /** When it happened (ms since the epoch). */
  at: number;
  fields: Record<string, unknown>;
}

export interface Firing {
  ruleId: string;
  /** ISO time of the record that made it fire. */
  at: string;
  /** The group (e.g. the IP address) for threshold and new-value rules. */
  group?: string;
  /** Matching records in the window (threshold rules). */
  count?: number;
  /** Plain words: why it fired. */
  why: string;
  /** The same firing always has the same id, so a replay after a restart is recognised. */
  firingId: string;
  alert: Alert;
}

interface ThresholdGroup {
  /** [time, distinct value] of matching records inside the window. */
  events: Array<[number, string]>;
  firedAt?: number;
}

/** Travel rules: a group's last place [time, latitude, longitude, place name]. */
type LastPlace = [number, number, number, string];

/**
 * The engine's state as it is saved: per rule, its groups as [key, value] pairs (never as object keys,
 * so no value an attacker chooses can become a property name).
 */
export interface EngineState {
  version: 2;
  threshold: Array<[rule: string, groups: Array<[group: string, ThresholdGroup]>]>;
  seen: Array<[rule: string, groups: Array<[group: string, string[]]>]>;
  last: Array<[rule: string, groups: Array<[group: string, LastPlace]>]>;
}

/** The saved state of an earlier version: groups as object keys. Read, never written. */
interface EngineStateV1 {
  threshold?: Record<string, Record<string, ThresholdGroup>>;
  seen?: Record<string, Record<string, string[]>>;
  last?: Record<string, Record<string, LastPlace>>;
}

/** Groups one rule keeps: insertion-ordered, so the first is the least recently touched. */
class Groups<V> {
  readonly map = new Map<string, V>();
  constructor(
    private readonly cap: number,
    private readonly onEvict: () => void,
  ) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Stores `value` as the most recently touched; beyond the cap the least recently touched goes. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.cap) {
      this.map.delete(this.map.keys().next().value!);
      this.onEvict();
    }
  }
}

export interface EngineOptions {
  /** Groups one rule may keep (distinct users, addresses…); beyond it the oldest go. @default 10000 */
  maxGroupsPerRule?: number;
}

/** Great-circle distance in km (haversine). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Fields that commonly hold a record's time, in order of preference. */
export const TIME_FIELDS = [
  'createdDateTime',
  'activityDateTime',
  'CreationTime',
  '@timestamp',
  'timestamp',
  'time',
];

/**
 * The most events (or different values) in a window (end - window, end] over the given ends, in one
 * pass: `events` and `ends` are in time order.
 */
function busiestWindow(
  events: ReadonlyArray<[number, string]>,
  ends: readonly number[],
  window: number,
  distinct: boolean,
): number {
  const counts = new Map<string, number>();
  const change = (value: string, by: number) => {
    if (!value) return;
    const n = (counts.get(value) ?? 0) + by;
    if (n === 0) counts.delete(value);
    else counts.set(value, n);
  };
  let lo = 0;
  let hi = 0;
  let best = 0;
  for (const end of ends) {
    for (; hi < events.length && events[hi]![0] <= end; hi++) if (distinct) change(events[hi]![1], 1);
    for (; lo < hi && events[lo]![0] <= end - window; lo++) if (distinct) change(events[lo]![1], -1);
    best = Math.max(best, distinct ? counts.size : hi - lo);
  }
  return best;
}

/** Inserts an event after every one at or before its time (the list stays in time order). */
function insertByTime(events: Array<[number, string]>, event: [number, string]): void {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]![0] <= event[0]) lo = mid + 1;
    else hi = mid;
  }
  events.splice(lo, 0, event);
}

export function recordTime(fields: Record<string, unknown>, fallback = Date.now()): number {
  for (const name of TIME_FIELDS) {
    const value = fields[name];
    if (typeof value === 'string' || typeof value === 'number') {
      const ms =
        typeof value === 'number'
          ? value > 1e12
            ? value
            : value * 1000
          : Date.parse(/Z|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return fallback;
}

function inCidr(value: unknown, networks: string | string[]): boolean {
  if (typeof value !== 'string' || !ipaddr.isValid(value)) return false;
  let address = ipaddr.parse(value);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  return (Array.isArray(networks) ? networks : [networks]).some((network) => {
    try {
      const range = ipaddr.parseCIDR(network);
      return address.kind() === range[0].kind() && address.match(range);
    } catch {
      return false;
    }
  });
}

/** A value as text for `matches`: objects and lists (e.g. inbox-rule Parameters) as JSON. */
function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * A field's value as text, whatever a record holds: an object whose `toString` is not a function (which
 * `String()` cannot convert) becomes JSON.
 */
function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function holds(test: FieldTest, value: unknown): boolean {
  const empty = value === undefined || value === null || value === '';
  if (test.exists !== undefined && test.exists === empty) return false;
  if (test.equals !== undefined && value !== test.equals && text(value) !== String(test.equals)) return false;
  if (test.in !== undefined && !test.in.some((x) => x === value || String(x) === text(value))) return false;
  if (test.matches !== undefined && !compilePattern(test.matches).test(asText(value))) return false;
  if (test.cidr !== undefined && !inCidr(value, test.cidr)) return false;
  return true;
}

export function matches(condition: RuleCondition | undefined, fields: Record<string, unknown>): boolean {
  if (!condition) return true;
  for (const [key, test] of Object.entries(condition)) {
    if (key === 'any') {
      if (!(test as RuleCondition[]).some((c) => matches(c, fields))) return false;
    } else if (key === 'not') {
      if (matches(test as RuleCondition, fields)) return false;
    } else if (!holds(test as FieldTest, lookup(fields, key))) return false;
  }
  return true;
}

export class RuleEngine {
  private threshold = new Map<string, Groups<ThresholdGroup>>();
  private seen = new Map<string, Groups<string[]>>();
  private last = new Map<string, Groups<LastPlace>>();
  /** The newest record time seen: groups are expired against it. */
  private latest = 0;
  private readonly cap: number;
  /** Groups dropped because a rule was at its cap (the least recently touched went). */
  evicted = 0;

  constructor(
    private readonly rules: readonly LoadedRule[],
    options: EngineOptions = {},
  ) {
    this.cap = options.maxGroupsPerRule ?? 10_000;
  }

  private groupsOf<V>(state: Map<string, Groups<V>>, ruleId: string): Groups<V> {
    let groups = state.get(ruleId);
    if (!groups) state.set(ruleId, (groups = new Groups<V>(this.cap, () => (this.evicted += 1))));
    return groups;
  }

  /** The state to save; expired threshold groups (no event left in the window, no recent firing) go first. */
  exportState(): EngineState {
    for (const { rule } of this.rules) {
      if (rule.kind !== 'threshold') continue;
      const window = toMs(rule.window);
      const groups = this.threshold.get(rule.id);
      for (const [key, g] of groups?.map ?? []) {
        const events = g.events.filter(([t]) => t > this.latest - window);
        const quiet = g.firedAt === undefined || this.latest - g.firedAt >= window;
        if (events.length === 0 && quiet) groups!.map.delete(key);
        else g.events = events;
      }
    }
    const entries = <V>(state: Map<string, Groups<V>>) =>
      [...state].map(([rule, groups]) => [rule, [...groups.map]] as [string, Array<[string, V]>]);
    return {
      version: 2,
      threshold: entries(this.threshold),
      seen: entries(this.seen),
      last: entries(this.last),
    };
  }

  importState(saved: EngineState | EngineStateV1 | undefined): void {
    this.threshold = new Map();
    this.seen = new Map();
    this.last = new Map();
    if (!saved) return;
    // Objects parsed from JSON hold "__proto__" and the like as own keys: entries read them as data.
    const pairs = <V>(value: unknown): Array<[string, V]> =>
      Array.isArray(value)
        ? (value as Array<[string, V]>)
        : Object.entries((value ?? {}) as Record<string, V>);
    const load = <V>(state: Map<string, Groups<V>>, value: unknown) => {
      for (const [rule, groups] of pairs<unknown>(value)) {
        const target = this.groupsOf(state, rule);
        for (const [key, v] of pairs<V>(groups)) target.set(key, structuredClone(v));
      }
    };
    load(this.threshold, saved.threshold);
    load(this.seen, saved.seen);
    load(this.last, saved.last);
  }

  /** Feeds one record through every rule; returns what fired. */
  process(record: LogRecord): Firing[] {
    if (record.at > this.latest) this.latest = record.at;
    const firings: Firing[] = [];
    for (const { rule } of this.rules) {
      if (rule.kinds && !rule.kinds.includes(record.kind)) continue;
      const firing = this.apply(rule, record);
      if (firing) firings.push(firing);
    }
    return firings;
  }

  private apply(rule: Rule, record: LogRecord): Firing | undefined {
    const f = record.fields;
    switch (rule.kind) {
      case 'match': {
        if (!matches(rule.where, f)) return undefined;
        const digest = createHash('sha256').update(JSON.stringify(f)).digest('hex').slice(0, 16);
        return this.fire(rule, record, `${rule.id}:${record.at}:${digest}`, 'the record matches', {});
      }
      case 'threshold': {
        const group = text(lookup(f, rule.groupBy));
        if (!group) return undefined;
        const window = toMs(rule.window);
        const inWhere = matches(rule.where, f);
        const inThen = rule.then !== undefined && !inWhere && matches(rule.then, f);
        // Only records the rule matches make state: the rest of the log cannot grow it.
        if (!inWhere && !inThen) return undefined;
        const groups = this.groupsOf(this.threshold, rule.id);
        const g = groups.get(group) ?? { events: [] };
        if (!inWhere && g.events.length === 0) return undefined; // a `then` with nothing before it
        groups.set(group, g);
        if (inWhere) insertByTime(g.events, [record.at, rule.distinct ? text(lookup(f, rule.distinct)) : '']);
        // Records arrive out of order (the Microsoft 365 audit log's blobs do): the state keeps a
        // window before the latest record seen, and a late record counts in every window it falls in.
        const latest = Math.max(record.at, g.events.at(-1)?.[0] ?? record.at);
        g.events = g.events.filter(([t]) => t > latest - window);
        // Windows ending at this record, and (for a late one) at each later record it shares one with;
        // a `then` record closes the windows before it only.
        const ends = rule.then
          ? [record.at]
          : [record.at, ...g.events.map(([t]) => t).filter((t) => t > record.at && t < record.at + window)];
        const count = busiestWindow(g.events, ends, window, Boolean(rule.distinct));
        if (count < rule.atLeast) return undefined;
        if (rule.then && !inThen) return undefined; // reached: waits for the record that completes it
        if (g.firedAt !== undefined && record.at - g.firedAt < window) return undefined; // once per window
        g.firedAt = record.at;
        const what = rule.distinct ? `${count} different ${rule.distinct}` : `${count} records`;
        const why = `${what} for ${rule.groupBy} ${group} within ${rule.window}${rule.then ? ', then a matching record' : ''}`;
        return this.fire(rule, record, `${rule.id}:${group}:${record.at}`, why, { group, count });
      }
      case 'new-value': {
        if (!matches(rule.where, f)) return undefined;
        const group = text(lookup(f, rule.groupBy));
        const value = text(lookup(f, rule.field));
        if (!group || !value) return undefined;
        const groups = this.groupsOf(this.seen, rule.id);
        const seen = groups.get(group) ?? [];
        groups.set(group, seen);
        if (seen.includes(value)) return undefined;
        const first = seen.length === 0;
        seen.push(value);
        if (seen.length > rule.remember) seen.shift();
        if (first && rule.firstIsBaseline) return undefined; // the first value is the baseline, not news
        return this.fire(
          rule,
          record,
          `${rule.id}:${group}:${value}`,
          first
            ? `${rule.field} ${value} is the first for ${rule.groupBy} ${group}`
            : `${rule.field} ${value} is new for ${rule.groupBy} ${group} (seen before: ${seen.slice(0, -1).join(', ')})`,
          { group },
        );
      }
      case 'travel': {
        if (!matches(rule.where, f)) return undefined;
        const group = text(lookup(f, rule.groupBy));
        const lat = Number(lookup(f, rule.latitude));
        const lon = Number(lookup(f, rule.longitude));
        if (!group || !Number.isFinite(lat) || !Number.isFinite(lon) || (lat === 0 && lon === 0))
          return undefined;
        const place = rule.place ? text(lookup(f, rule.place)) : `${lat.toFixed(2)},${lon.toFixed(2)}`;
        const groups = this.groupsOf(this.last, rule.id);
        const previous = groups.get(group);
        groups.set(group, [record.at, lat, lon, place]);
        if (!previous || record.at <= previous[0]) return undefined;
        const km = distanceKm(previous[1], previous[2], lat, lon);
        const hours = (record.at - previous[0]) / 3_600_000;
        if (km < rule.minKm || km / hours <= rule.maxKmh) return undefined;
        const minutes = Math.round(hours * 60);
        return this.fire(
          rule,
          record,
          `${rule.id}:${group}:${record.at}`,
          `${Math.round(km)} km from ${previous[3]} to ${place} in ${minutes} min (${Math.round(km / hours)} km/h)`,
          { group },
        );
      }
    }
  }

  private fire(
    rule: Rule,
    record: LogRecord,
    firingId: string,
    why: string,
    extra: { group?: string; count?: number },
  ): Firing {
    const context = { ...record.fields, group: extra.group, count: extra.count, why, rule: { id: rule.id } };
    const r = (template: string) => text(render(template, context));
    const entities = new EntityList();
    for (const kind of ['users', 'ips', 'hosts', 'apps', 'files'] as const) {
      for (const template of rule.alert.entities[kind]) {
        const value = render(template, context);
        entities.add(kind, ...(Array.isArray(value) ? value.map(text) : [text(value)]));
      }
    }
    const at = new Date(record.at).toISOString();
    return {
      ruleId: rule.id,
      at,
      group: extra.group,
      count: extra.count,
      why,
      firingId,
      alert: {
        source: record.source,
        externalId: firingId,
        type: rule.alert.type,
        title: r(rule.alert.title),
        severity: rule.alert.severity,
        occurredAt: at,
        receivedAt: new Date().toISOString(),
        entities: entities.toEntities(),
        raw: { rule: { id: rule.id, version: rule.version }, why, record: record.fields },
      },
    };
  }
}
