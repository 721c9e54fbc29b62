// How a failure reads on the timeline: the activity's own type and message, without the wrapping.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { LICENCE_REQUIRED } from './model/failures';

/** The reason, when an action failed because the tenant lacks a licence; otherwise undefined. */
export function licenceMissing(err: unknown): string | undefined {
  return err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === LICENCE_REQUIRED
    ? err.cause.message
    : undefined;
}

/** How a retried activity ended, when Temporal stopped retrying it. */
function gaveUp(err: ActivityFailure): string | undefined {
  if (err.retryState === 'MAXIMUM_ATTEMPTS_REACHED') return 'gave up after its last attempt';
  if (err.retryState === 'TIMEOUT') return 'gave up: out of time';
  return undefined;
}

export function describe(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const ended = gaveUp(err);
    return `${err.cause.type ?? 'Error'}: ${err.cause.message}${ended ? ` (${ended})` : ''}`;
  }
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
