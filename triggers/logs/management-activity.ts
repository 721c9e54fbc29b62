// Polls the Microsoft 365 unified audit log through the Office 365 Management Activity API: one
// subscription per content type, content blobs listed by when they became available (pages through
// `NextPageUri`), each blob fetched and its records handed to the rules. The cursor is durable (stored
// with the rule state after each delivered batch) and says, per content type, up to when every blob is
// done and which blobs in the look-back are done: a blob listed late is still read, and no blob is read
// twice. A blob that could not be fetched stops that content type there, so the cursor never passes
// records that were not evaluated; a blob that is not a JSON array of records is recorded and skipped.
// A 429 is honoured for the whole feed (Retry-After), without a retry storm. Tokens go only to the
// configured host: a `contentUri` or `NextPageUri` elsewhere is refused.
import type { Logger } from 'pino';
import type { LogRecord } from './engine';
import { retryAfterMs } from '../../common/retry-after';

export const CONTENT_TYPES = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export const MANAGEMENT_API_DEFAULT_BASE = 'https://manage.office.com';
/** The token audience of the Management Activity API (its own, not Graph's). */
export const MANAGEMENT_API_SCOPE = 'https://manage.office.com/.default';

export interface FeedCursor {
  /** Per content type: every blob made available before `from - overlap` is done. */
  [contentType: string]: {
    from: string;
    /** Blobs done at or after `from - overlap`: [contentId, contentCreated]. */
    done: Array<[id: string, created: string]>;
  };
}

export interface ManagementActivityOptions {
  name: string;
  tenantId: string;
  contentTypes: readonly ContentType[];
  /** @default https://manage.office.com */
  baseUrl?: string;
  intervalMs: number;
  /** How far back the very first poll reaches (the API keeps 7 days). */
  lookbackMs: number;
  /** Blobs can be listed after the time they say they became available: each poll looks back this far again. */
  overlapMs: number;
  /** Blobs fetched per poll at most (the rest wait for the next poll). @default 200 */
  maxBlobsPerPoll?: number;
  /** The largest blob read; a larger one is recorded and skipped. @default 64 MiB */
  maxBlobBytes?: number;
  /** A bearer token for {@link MANAGEMENT_API_SCOPE}. */
  token: () => Promise<string>;
  log?: Pick<Logger, 'warn' | 'info'>;
}

interface Blob {
  contentId: string;
  contentUri: string;
  contentCreated: string;
}

/** An answer the API gave that is not a success. */
export class FeedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const DAY = 86_400_000;
/** The API answers for the last 7 days only (a little kept back for clock differences). */
const KEPT = 7 * DAY - 10 * 60_000;
const MAX_LISTING_PAGES = 100;
const REQUEST_TIMEOUT_MS = 30_000;

export class ManagementActivityPoller {
  private cursor: FeedCursor = {};
  private lastPoll = 0;
  /** No request before this time (a 429's Retry-After). */
  private retryAt = 0;
  private subscribed = false;
  private skipped: { records: number; reasons: Set<string> } = { records: 0, reasons: new Set() };
  private readonly base: URL;

  constructor(
    private readonly options: ManagementActivityOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.base = new URL(
      `/api/v1.0/${encodeURIComponent(options.tenantId)}/activity/feed/`,
      options.baseUrl ?? MANAGEMENT_API_DEFAULT_BASE,
    );
  }

  get name(): string {
    return this.options.name;
  }

  get position(): FeedCursor {
    return structuredClone(this.cursor);
  }

  reset(position: unknown): void {
    this.cursor = position ? structuredClone(position as FeedCursor) : {};
    this.lastPoll = 0;
  }

  takeSkipped(): { records: number; reason: string } | undefined {
    const { records, reasons } = this.skipped;
    this.skipped = { records: 0, reasons: new Set() };
    return records ? { records, reason: [...reasons].join('; ').slice(0, 500) } : undefined;
  }

  async poll(): Promise<LogRecord[]> {
    const now = this.now();
    if (now < this.retryAt || now - this.lastPoll < this.options.intervalMs) return [];
    this.lastPoll = now;
    const records: LogRecord[] = [];
    let budget = this.options.maxBlobsPerPoll ?? 200;
    try {
      if (!this.subscribed) await this.subscribe();
      for (const contentType of this.options.contentTypes) {
        const got = await this.pollType(contentType, budget, records);
        budget -= got;
        if (budget <= 0) break;
      }
    } catch (err) {
      // A subscription stopped since (AF20022: none for the content type): start it again next time.
      if (err instanceof FeedError && err.code === 'AF20022') this.subscribed = false;
      if (err instanceof FeedError && err.status === 429) {
        // Throttled: the whole feed waits (the quota is the tenant's), and says so once.
        this.retryAt = this.now() + (err.retryAfterMs ?? 60_000);
        this.options.log?.warn(
          { source: this.name, retryAfterSeconds: Math.round((this.retryAt - this.now()) / 1000) },
          'Management Activity API throttled the feed; waiting as asked',
        );
      }
      // What was read before the failure is handed over (the cursor covers exactly it); nothing
      // read: the failure is the runner's to report.
      if (records.length === 0) throw err;
      this.options.log?.warn(
        { err, source: this.name },
        'Management Activity API: poll stopped early; will go on',
      );
    }
    return records;
  }

  /** Starts the subscriptions that are not running yet (a no-op for those that are). */
  private async subscribe(): Promise<void> {
    const list = (await this.json(this.url('subscriptions/list'), 'GET')) as Array<{
      contentType?: string;
      status?: string;
    }>;
    const enabled = new Set(
      (Array.isArray(list) ? list : []).filter((s) => s.status === 'enabled').map((s) => s.contentType),
    );
    for (const contentType of this.options.contentTypes) {
      if (enabled.has(contentType)) continue;
      await this.json(this.url('subscriptions/start', { contentType }), 'POST');
      this.options.log?.info(
        { source: this.name, contentType },
        'Management Activity API subscription started',
      );
    }
    this.subscribed = true;
  }

  /** Reads one content type's new blobs into `records`; returns how many blobs it fetched. */
  private async pollType(contentType: ContentType, budget: number, records: LogRecord[]): Promise<number> {
    const overlap = this.options.overlapMs;
    const now = this.now();
    const state = (this.cursor[contentType] ??= {
      from: new Date(now - Math.min(this.options.lookbackMs, KEPT)).toISOString(),
      done: [],
    });
    const done = new Map(state.done);
    // Whole seconds, as the API takes them.
    const second = (ms: number) => Math.floor(ms / 1000) * 1000;
    let start = second(Math.max(Date.parse(state.from) - overlap, now - KEPT));
    const until = second(now);
    let fetched = 0;
    const save = (from: number) => {
      const fromIso = new Date(Math.max(from, Date.parse(state.from))).toISOString();
      const keepFrom = new Date(Date.parse(fromIso) - overlap).toISOString();
      this.cursor[contentType] = { from: fromIso, done: [...done].filter(([, at]) => at >= keepFrom) };
    };
    // At most 24 hours per listing, as the API requires: older windows first.
    while (start < until) {
      const end = Math.min(start + DAY, until);
      const blobs = (await this.list(contentType, start, end))
        .filter((b) => !done.has(b.contentId))
        .sort((a, b) =>
          a.contentCreated < b.contentCreated ? -1 : a.contentCreated > b.contentCreated ? 1 : 0,
        );
      for (const blob of blobs) {
        if (fetched >= budget) {
          // The rest next time: everything before this blob is done.
          save(Date.parse(blob.contentCreated));
          return fetched;
        }
        try {
          records.push(...(await this.fetchBlob(contentType, blob)));
        } catch (err) {
          save(Date.parse(blob.contentCreated));
          throw err;
        }
        fetched += 1;
        done.set(blob.contentId, blob.contentCreated);
      }
      save(end);
      start = end;
    }
    return fetched;
  }

  /** Every blob listed for the window, following NextPageUri. */
  private async list(contentType: ContentType, start: number, end: number): Promise<Blob[]> {
    const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    let url: URL | undefined = this.url('subscriptions/content', {
      contentType,
      startTime: stamp(start),
      endTime: stamp(end),
    });
    const blobs: Blob[] = [];
    for (let page = 0; url && page < MAX_LISTING_PAGES; page++) {
      const response = await this.request(url, 'GET');
      const body = (await response.json().catch(() => undefined)) as unknown;
      if (!Array.isArray(body))
        throw new FeedError(response.status, undefined, 'content listing is not a list');
      for (const item of body as Array<Record<string, unknown>>) {
        if (
          typeof item?.contentId === 'string' &&
          typeof item.contentUri === 'string' &&
          typeof item.contentCreated === 'string' &&
          !Number.isNaN(Date.parse(item.contentCreated))
        )
          blobs.push({
            contentId: item.contentId,
            contentUri: item.contentUri,
            contentCreated: new Date(item.contentCreated).toISOString(),
          });
      }
      const next = response.headers.get('NextPageUri');
      url = next ? this.ownUrl(next, 'NextPageUri') : undefined;
    }
    return blobs;
  }

  private async fetchBlob(contentType: ContentType, blob: Blob): Promise<LogRecord[]> {
    const skip = (reason: string): LogRecord[] => {
      this.skipped.records += 1;
      this.skipped.reasons.add(`${contentType} blob ${blob.contentId.slice(0, 80)}: ${reason}`);
      return [];
    };
    let url: URL;
    try {
      url = this.ownUrl(blob.contentUri, 'contentUri');
    } catch (err) {
      return skip((err as Error).message);
    }
    const response = await this.request(url, 'GET');
    const limit = this.options.maxBlobBytes ?? 64 * 1024 * 1024;
    const text = await readCapped(response, limit);
    if (text === undefined) return skip(`larger than ${limit} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return skip('not JSON');
    }
    if (!Array.isArray(body)) return skip('not a list of records');
    const out: LogRecord[] = [];
    let bad = 0;
    for (const fields of body as unknown[]) {
      const at = fields && typeof fields === 'object' && !Array.isArray(fields) ? creationTime(fields) : NaN;
      if (Number.isNaN(at)) {
        bad += 1;
        continue;
      }
      out.push({ source: this.name, kind: 'm365-audit', at, fields: fields as Record<string, unknown> });
    }
    if (bad > 0) {
      this.skipped.records += bad;
      this.skipped.reasons.add(`${contentType}: records without an object shape or a CreationTime`);
    }
    return out;
  }

  private url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    // The tenant's own quota, as Microsoft asks publishers to say.
    url.searchParams.set('PublisherIdentifier', this.options.tenantId);
    return url;
  }

  /** A URL the API handed back, only on the configured host (the token goes nowhere else). */
  private ownUrl(text: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`${what} is not a URL`);
    }
    if (url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname))
      throw new Error(`${what} points outside ${this.base.origin}${this.base.pathname}`);
    if (!url.searchParams.has('PublisherIdentifier'))
      url.searchParams.set('PublisherIdentifier', this.options.tenantId);
    return url;
  }

  private async json(url: URL, method: 'GET' | 'POST'): Promise<unknown> {
    const response = await this.request(url, method);
    return response.json().catch(() => undefined);
  }

  private async request(url: URL, method: 'GET' | 'POST'): Promise<Response> {
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${await this.options.token()}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (response.ok) return response;
    const body = (await response.json().catch(() => undefined)) as
      { error?: { code?: string; message?: string } } | undefined;
    const code = body?.error?.code;
    const message = typeof body?.error?.message === 'string' ? body.error.message.slice(0, 300) : '';
    throw new FeedError(
      response.status,
      code,
      `Management Activity API ${method} ${url.pathname}: ${response.status}${code ? ` ${code}` : ''}${message ? ` ${message}` : ''}`,
      retryAfterMs(response.headers.get('Retry-After')),
    );
  }
}

/** The record's CreationTime (UTC; the API writes it without a zone). */
function creationTime(fields: object): number {
  const value = (fields as { CreationTime?: unknown }).CreationTime;
  if (typeof value !== 'string') return NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

/** The body as text, or undefined when it is longer than `limit` bytes (stops reading there). */
async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
