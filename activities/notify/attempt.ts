// How long an activity attempt that sends a message has left, as an AbortSignal for the send.
import { Context } from '@temporalio/activity';

/**
 * Aborts a little before this attempt's start-to-close timeout (a tenth of it, at most 2 s, for the
 * work before the send), or when Temporal cancels the activity. A message still queued for an SMTP
 * connection then leaves the queue unsent, so the attempt Temporal schedules next never races it,
 * however short a playbook makes the step's `timeoutSeconds`. Undefined outside an activity (tests
 * calling the send directly, the CLI).
 */
export function attemptSignal(): AbortSignal | undefined {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return undefined;
  }
  const limit = context.info.startToCloseTimeoutMs;
  const ranOut = new AbortController();
  setTimeout(
    () => ranOut.abort(new Error(`its attempt's ${limit / 1000} s ran out`)),
    Math.max(1, limit - Math.min(2_000, limit / 10)),
  ).unref();
  return AbortSignal.any([context.cancellationSignal, ranOut.signal]);
}
