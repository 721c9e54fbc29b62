// Microsoft Graph throttles per application and tenant: while it has asked Reflex to wait (a 429
// with Retry-After), every call the worker makes would be refused too and would only lengthen the
// wait. One gate per worker: once a call is throttled, the others do not reach Graph until the wait
// is over; their activities fail at once with the time left as their next retry's delay (Temporal
// owns every retry; no activity sleeps).
import { ApplicationFailure } from '@temporalio/activity';

/** The longest wait Reflex takes from a Retry-After header (a broken or hostile header cannot park it). */
const MAX_WAIT_SECONDS = 300;

export class GraphThrottle {
  private until = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Graph asked for `seconds` of quiet. */
  close(seconds: number): void {
    this.until = Math.max(this.until, this.now() + Math.min(seconds, MAX_WAIT_SECONDS) * 1000);
  }

  /** Throws the throttled failure, without calling Graph, while the wait lasts. */
  check(what: string): void {
    const left = this.until - this.now();
    if (left <= 0) return;
    // Spread over a second: the held-back calls do not all come back in the same instant.
    const delay = left + Math.floor(this.random() * 1000);
    throw ApplicationFailure.create({
      type: 'GraphThrottled',
      message: `Microsoft Graph asked Reflex to wait (429 with Retry-After); not calling it to ${what} for another ${Math.ceil(left / 1000)} s.`,
      nextRetryDelay: `${delay} milliseconds`,
    });
  }
}
