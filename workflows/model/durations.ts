// Durations in playbooks and rules (`30s`, `5m`, `2h`): Temporal's own Duration type and parser, in a
// form small enough that every timeout can be written in seconds for a test.
import { msToNumber, type Duration } from '@temporalio/common/lib/time';

export type { Duration };

/** What a playbook or rule may write: a number, then s, m or h. */
export const DURATION_PATTERN = /^\d+(\.\d+)?(s|m|h)$/;

/** Milliseconds of a duration, whole. */
export function toMs(duration: Duration): number {
  return Math.round(msToNumber(duration));
}
