// The Retry-After header a throttling server sends, as seconds: activities hand it to Temporal (an
// activity's nextRetryDelay, so no activity sleeps) and log pollers wait it out, so no retry storm starts.

/** Seconds from a Retry-After header (seconds or HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** How long a poller waits on a Retry-After: its value, or `fallbackSeconds`, kept between 1 s and an hour (ms). */
export function retryAfterMs(value: string | null | undefined, fallbackSeconds?: number): number | undefined {
  const seconds = retryAfterSeconds(value) ?? fallbackSeconds;
  return seconds === undefined ? undefined : Math.min(Math.max(seconds, 1), 3600) * 1000;
}
