// Polls Entra ID's sign-in and directory audit logs through Microsoft Graph (AuditLog.Read.All) with a
// durable cursor. Graph delivers log records late and out of order, so every poll looks back an
// overlap before the cursor and drops the ids it has already seen there: nothing is skipped, nothing
// is read twice. The cursor is stored with the rule state after each delivered batch. A 429 is waited
// out (Retry-After) before the next request.
import type { Client } from '@microsoft/microsoft-graph-client';
import type { LogRecord } from './engine';
import { retryAfterMs } from '../../common/retry-after';

export interface GraphCursor {
  /** The latest record time seen (ISO). */
  since: string;
  /** Ids of records at or after `since - overlap`: the ones a look-back would return again. */
  seen: Array<[id: string, at: string]>;
}

export interface GraphPollerOptions {
  name: string;
  resource: 'signIns' | 'directoryAudits';
  intervalMs: number;
  /** How far back the very first poll reaches. */
  lookbackMs: number;
  /** How far before the cursor each poll looks again, for late records. @default 10 minutes */
  overlapMs?: number;
}

const KINDS = { signIns: 'entra-signin', directoryAudits: 'entra-audit' } as const;
const TIME_FIELD = { signIns: 'createdDateTime', directoryAudits: 'activityDateTime' } as const;
const MAX_PAGES = 50;

export class GraphLogPoller {
  private cursor: GraphCursor | undefined;
  private lastPoll = 0;
  /** No request before this time (Graph's Retry-After). */
  private retryAt = 0;

  constructor(
    private readonly options: GraphPollerOptions,
    private readonly graph: Client,
    private readonly now: () => number = Date.now,
  ) {}

  get name(): string {
    return this.options.name;
  }

  get position(): GraphCursor | undefined {
    return this.cursor ? structuredClone(this.cursor) : undefined;
  }

  reset(position: unknown): void {
    this.cursor = position ? structuredClone(position as GraphCursor) : undefined;
    this.lastPoll = 0;
  }

  async poll(): Promise<LogRecord[]> {
    if (this.now() < this.retryAt || this.now() - this.lastPoll < this.options.intervalMs) return [];
    this.lastPoll = this.now();
    try {
      return await this.read();
    } catch (err) {
      // Throttled: no request before Graph's Retry-After (at least a minute when it names none).
      const { statusCode, headers } = err as { statusCode?: number; headers?: Headers };
      if (statusCode === 429) {
        this.retryAt = this.now() + retryAfterMs(headers?.get?.('Retry-After'), 60)!;
      }
      throw err;
    }
  }

  private async read(): Promise<LogRecord[]> {
    const overlap = this.options.overlapMs ?? 10 * 60_000;
    const field = TIME_FIELD[this.options.resource];
    const since = this.cursor
      ? Date.parse(this.cursor.since) - overlap
      : this.now() - this.options.lookbackMs;
    const from = new Date(since).toISOString();
    const items: Array<Record<string, unknown>> = [];
    let page = (await this.graph
      .api(`/auditLogs/${this.options.resource}`)
      .filter(`${field} ge ${from}`)
      .top(500)
      .get()) as { value?: Array<Record<string, unknown>>; '@odata.nextLink'?: string };
    for (let n = 0; ; n++) {
      items.push(...(page.value ?? []));
      const next = page['@odata.nextLink'];
      if (!next || n >= MAX_PAGES) break;
      page = (await this.graph.api(next).get()) as typeof page;
    }
    const seen = new Map(this.cursor?.seen ?? []);
    const fresh = items
      .filter((item) => typeof item.id === 'string' && typeof item[field] === 'string' && !seen.has(item.id))
      .sort((a, b) => (String(a[field]) < String(b[field]) ? -1 : 1));
    let latest = this.cursor?.since ?? from;
    for (const item of fresh) {
      seen.set(String(item.id), String(item[field]));
      if (String(item[field]) > latest) latest = String(item[field]);
    }
    const keepFrom = new Date(Date.parse(latest) - overlap).toISOString();
    this.cursor = { since: latest, seen: [...seen].filter(([, at]) => at >= keepFrom) };
    return fresh.map((fields) => ({
      source: this.options.name,
      kind: KINDS[this.options.resource],
      at: Date.parse(String(fields[field])),
      fields,
    }));
  }
}
