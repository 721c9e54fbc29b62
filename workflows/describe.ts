// How a failure reads on the timeline: the activity's own type and message, without the wrapping.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

export function describe(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return `${err.cause.type ?? 'Error'}: ${err.cause.message}`;
  }
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
