// A fake of the Office 365 Management Activity API, served by the Entra fake's HTTPS server (which
// issues the tokens): subscriptions per content type, content blobs listed by the time they became
// available (startTime/endTime at most 24 hours apart, pages through the NextPageUri header), each
// blob's records at its contentUri. Tests make blobs late, malformed or throttled.
import { randomUUID } from 'node:crypto';

export interface FakeBlob {
  contentType: string;
  contentId: string;
  /** When it became available (what listings select on). */
  contentCreated: string;
  /** The records, or a raw body (to serve something malformed). */
  records: unknown[] | string;
  /** Not listed while true (content that shows up late). */
  hidden?: boolean;
  /** Its content answers 503 while true. */
  unavailable?: boolean;
  /** The contentUri the listing gives, if not the fake's own. */
  contentUri?: string;
}

export interface FeedRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  /** Whether the token was issued for the Management API's audience. */
  rightAudience: boolean;
}

type Send = (status: number, payload?: unknown, headers?: Record<string, string>, raw?: string) => void;

export class ActivityFeedFake {
  readonly subscriptions = new Map<string, 'enabled' | 'disabled'>();
  readonly blobs: FakeBlob[] = [];
  readonly requests: FeedRequest[] = [];
  /** Blobs per listing page. */
  pageSize = 100;
  /** Answers still to give 429 with Retry-After (seconds), whatever is asked. */
  throttle: { times: number; retryAfter: number } = { times: 0, retryAfter: 0 };

  constructor(
    private readonly origin: () => string,
    readonly tenant: string,
  ) {}

  get prefix(): string {
    return `/api/v1.0/${this.tenant}/activity/feed`;
  }

  addBlob(contentType: string, records: unknown[] | string, options: Partial<FakeBlob> = {}): FakeBlob {
    const blob: FakeBlob = {
      contentType,
      contentId: `${randomUUID()}$${randomUUID()}`,
      contentCreated: new Date().toISOString(),
      records,
      ...options,
    };
    this.blobs.push(blob);
    return blob;
  }

  /** The ids of blobs whose content was fetched, in order (a blob fetched twice shows twice). */
  fetched(): string[] {
    return this.requests
      .filter((r) => r.path.startsWith(`${this.prefix}/audit/`))
      .map((r) => decodeURIComponent(r.path.slice(`${this.prefix}/audit/`.length)));
  }

  handle(method: string, url: URL, rightAudience: boolean, send: Send): void {
    this.requests.push({ method, path: url.pathname, search: url.searchParams, rightAudience });
    const error = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, { error: { code, message } }, headers);
    if (!rightAudience)
      return error(
        401,
        'AF10001',
        'The permission set () sent in the request does not include the expected permission.',
      );
    if (this.throttle.times > 0) {
      this.throttle.times -= 1;
      return error(429, 'AF429', 'Too many requests.', { 'Retry-After': String(this.throttle.retryAfter) });
    }
    const path = url.pathname.slice(this.prefix.length);
    const contentType = url.searchParams.get('contentType') ?? '';
    if (path === '/subscriptions/list' && method === 'GET') {
      return send(
        200,
        [...this.subscriptions].map(([type, status]) => ({ contentType: type, status, webhook: null })),
      );
    }
    if (path === '/subscriptions/start' && method === 'POST') {
      this.subscriptions.set(contentType, 'enabled');
      return send(200, { contentType, status: 'enabled', webhook: null });
    }
    if (path === '/subscriptions/content' && method === 'GET') {
      if (this.subscriptions.get(contentType) !== 'enabled')
        return error(400, 'AF20022', `No subscription found for the specified content type`);
      const startTime = url.searchParams.get('startTime');
      const endTime = url.searchParams.get('endTime');
      const utc = (t: string) => Date.parse(/Z$/.test(t) ? t : `${t}Z`);
      if (
        !startTime ||
        !endTime ||
        utc(endTime) - utc(startTime) > 86_400_000 ||
        utc(endTime) <= utc(startTime)
      )
        return error(
          400,
          'AF20055',
          'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to end time.',
        );
      if (utc(startTime) < Date.now() - 7 * 86_400_000)
        return error(400, 'AF20055', 'Start time cannot be more than 7 days in the past.');
      const listed = this.blobs.filter(
        (b) =>
          b.contentType === contentType &&
          !b.hidden &&
          Date.parse(b.contentCreated) >= utc(startTime) &&
          Date.parse(b.contentCreated) < utc(endTime),
      );
      const skip = Number(url.searchParams.get('nextPage') ?? 0);
      const page = listed.slice(skip, skip + this.pageSize).map((b) => ({
        contentType: b.contentType,
        contentId: b.contentId,
        contentUri: b.contentUri ?? `${this.origin()}${this.prefix}/audit/${encodeURIComponent(b.contentId)}`,
        contentCreated: b.contentCreated,
        contentExpiration: new Date(Date.parse(b.contentCreated) + 7 * 86_400_000).toISOString(),
      }));
      const next = new URL(url.href);
      next.searchParams.set('nextPage', String(skip + this.pageSize));
      return send(
        200,
        page,
        skip + this.pageSize < listed.length
          ? { NextPageUri: `${this.origin()}${next.pathname}${next.search}` }
          : {},
      );
    }
    const blobMatch = /^\/audit\/(.+)$/.exec(path);
    if (blobMatch && method === 'GET') {
      const blob = this.blobs.find((b) => b.contentId === decodeURIComponent(blobMatch[1]!));
      if (!blob) return error(404, 'AF20051', 'Content requested with the key does not exist.');
      if (blob.unavailable) return error(503, 'AF50000', 'An internal error occurred. Retry the request.');
      if (typeof blob.records === 'string') return send(200, undefined, {}, blob.records);
      return send(200, blob.records);
    }
    return error(404, 'AF20010', 'not found');
  }
}
