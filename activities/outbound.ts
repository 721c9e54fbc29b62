// Calls Reflex makes to other systems (http.request, secret stores), which templates and answers could
// otherwise point anywhere: HTTPS only; never this machine (the embedded Temporal and Reflex itself
// listen here and trust local callers) unless the configuration says so; never link-local addresses
// (cloud metadata services); and no redirects followed, since a 3xx could carry a body or a secret
// header to another host. The address is checked after DNS, and the connection made to the checked
// address, so a name cannot resolve one way for the check and another for the call.
import { lookup as dnsLookup, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch, type RequestInit } from 'undici';

export interface OutboundOptions {
  /** Let calls reach this machine (loopback), e.g. for local stand-ins in tests. @default false */
  allowLoopback?: boolean;
  /** Per call. @default 15000 */
  timeoutMs?: number;
}

/** An answer, read whole (bodies are small: APIs' answers, and at most `maxBytes` of them). */
export interface OutboundResponse {
  status: number;
  headers: Headers;
  /** The body as text, cut at `maxBytes`. */
  text: string;
}

/** A call Reflex will not make; the reason names the target, never a secret. */
export class OutboundRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'OutboundRefused';
  }
}

/** The target answered with a redirect, which Reflex does not follow. */
export class OutboundRedirect extends Error {
  constructor(
    readonly status: number,
    readonly location: string,
  ) {
    super(`answered ${status} with Location ${location || '(none)'}; Reflex does not follow redirects`);
    this.name = 'OutboundRedirect';
  }
}

/** Why Reflex may not connect to `address`, or undefined when it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === 'loopback')
    return allowLoopback ? undefined : `${address} is this machine (set outbound.allowLoopback to allow it)`;
  if (['unspecified', 'linkLocal', 'multicast', 'broadcast', 'reserved'].includes(range)) {
    return `${address} is a ${range} address`;
  }
  return undefined;
}

/** Why Reflex may not call `url` (its scheme), or undefined when it may; the address is checked later. */
export function urlProblem(url: URL, allowLoopback: boolean): string | undefined {
  if (url.protocol === 'https:') return undefined;
  const loopbackName = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && loopbackName && allowLoopback) return undefined;
  return `${url.origin} is not https://`;
}

/** A DNS lookup that refuses addresses Reflex may not connect to (what the connection then uses). */
function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    const family = typeof options.family === 'number' ? options.family : 0;
    dnsLookup(hostname, { all: true, family }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = addresses.map((a) => addressProblem(a.address, allowLoopback)).find(Boolean);
      if (refused) return callback(new OutboundRefused(`${hostname}: ${refused}`), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** The first `maxChars` characters of a body, reading only as much of it as they need. */
async function readAtMost(body: ReadableStream<Uint8Array> | null, maxChars: number): Promise<string> {
  if (!body) return '';
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let text = '';
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    if (text.length < maxChars) text += decoder.decode();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, maxChars);
}

/**
 * Sends one request: the URL's scheme and address checked, redirects refused (an
 * {@link OutboundRedirect}), bounded in time. Failures to connect keep their cause.
 */
export async function send(
  url: string,
  init: RequestInit,
  options: OutboundOptions & { maxBytes?: number } = {},
): Promise<OutboundResponse> {
  const target = new URL(url);
  const allowLoopback = options.allowLoopback ?? false;
  const problem = urlProblem(target, allowLoopback);
  if (problem) throw new OutboundRefused(problem);
  // An address written in the URL is connected to without a lookup: check it here.
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(literal)) {
    const refused = addressProblem(literal, allowLoopback);
    if (refused) throw new OutboundRefused(refused);
  }
  const agent = new Agent({ connect: { lookup: guardedLookup(allowLoopback) } });
  try {
    const response = await fetch(target, {
      ...init,
      redirect: 'manual',
      dispatcher: agent,
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    }).catch((err: unknown) => {
      const cause = (err as { cause?: unknown }).cause;
      throw cause instanceof OutboundRefused ? cause : err;
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new OutboundRedirect(response.status, response.headers.get('location') ?? '');
    }
    // Read the body before the agent closes, and no more of it than is kept: an answer can be huge.
    const text = await readAtMost(response.body, options.maxBytes ?? 2000);
    return { status: response.status, headers: response.headers as unknown as Headers, text };
  } finally {
    await agent.close().catch(() => undefined);
  }
}
