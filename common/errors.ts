// The errors Reflex expects, in one place. Each carries what it means to an HTTP caller (its status,
// the body fields a caller can act on, a Retry-After), so the HTTP layer answers all of them in one
// place (server/errors.ts) and the CLI prints their message. None ever carries a secret: messages
// name what was wrong, never the value that was wrong.

/** An expected failure, with its meaning for an HTTP caller. */
export abstract class ReflexError extends Error {
  /** The HTTP status this error is answered with. */
  abstract readonly status: number;

  /** The JSON body of the answer: the message, plus anything the caller can act on. */
  body(): Record<string, unknown> {
    return { error: this.message };
  }

  /** Headers of the answer, e.g. Retry-After. */
  headers(): Record<string, string> {
    return {};
  }
}

// --- intake ------------------------------------------------------------------------------------------

/** No source with that name is configured. */
export class UnknownSourceError extends ReflexError {
  readonly status = 404;
  constructor(readonly source: string) {
    super(`unknown source "${source}"`);
    this.name = 'UnknownSourceError';
  }
}

/** The body is not JSON, or nests too deep or holds too many values. */
export class MalformedBodyError extends ReflexError {
  readonly status = 400;
  constructor(reason: string) {
    super(`malformed JSON: ${reason}`);
    this.name = 'MalformedBodyError';
  }
}

/** A delivery was refused for its credentials; `reason` is safe to show the sender. */
export class AuthError extends ReflexError {
  readonly status = 401;
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthError';
  }
  override body() {
    return { error: `authentication failed: ${this.reason}` };
  }
}

/** The sender sends faster than its source allows. */
export class RateLimitedError extends ReflexError {
  readonly status = 429;
  constructor(
    readonly source: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`rate limit for source "${source}" reached; retry after ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
  override headers() {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** A delivery id that was accepted before: a replay (or a retry whose first answer was lost). */
export class ReplayedDeliveryError extends ReflexError {
  readonly status = 409;
  constructor(readonly incidentId?: string) {
    super('replayed delivery: this delivery id was already received');
    this.name = 'ReplayedDeliveryError';
  }
  override body() {
    return { error: this.message, incidentId: this.incidentId };
  }
}

/** A delivery id whose first attempt is still running, or died moments ago: retry it shortly. */
export class DeliveryInFlightError extends ReflexError {
  readonly status = 503;
  constructor(readonly retryAfterSeconds: number) {
    super('this delivery id is being delivered by another attempt, or one that just failed: retry shortly');
    this.name = 'DeliveryInFlightError';
  }
  override headers() {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/**
 * The intake journal cannot take the alert: its database did not answer, or the backlog of alerts
 * waiting for Temporal is at its bound. Nothing was recorded; the sender retries.
 */
export class IntakeUnavailableError extends ReflexError {
  readonly status = 503;
  constructor(
    reason: string,
    override readonly cause?: unknown,
  ) {
    super(`the intake cannot take alerts now (${reason}); retry later`);
    this.name = 'IntakeUnavailableError';
  }
  override headers() {
    return { 'Retry-After': '5' };
  }
}

// --- incidents (the gateway to Temporal) -------------------------------------------------------------

/** Temporal could not be reached, or did not answer in time: the caller must retry; nothing changed. */
export class TemporalUnavailableError extends ReflexError {
  readonly status = 503;
  constructor(override readonly cause: unknown) {
    super('the workflow service is unavailable; retry later');
    this.name = 'TemporalUnavailableError';
  }
  override headers() {
    return { 'Retry-After': '5' };
  }
}

/** No incident with that id (Temporal has no workflow by it). */
export class IncidentNotFoundError extends ReflexError {
  readonly status = 404;
  constructor(readonly incidentId: string) {
    super(`no incident ${incidentId}`);
    this.name = 'IncidentNotFoundError';
  }
}

/** The incident has finished: it takes no more decisions, resolutions or aborts. */
export class IncidentClosedError extends ReflexError {
  readonly status = 409;
  constructor(readonly incidentId: string) {
    super(`incident ${incidentId} is already closed`);
    this.name = 'IncidentClosedError';
  }
}

/** The incident refused the request (its validator said why: a step not waiting, an approver not asked). */
export class IncidentRefusedError extends ReflexError {
  readonly status = 409;
  constructor(
    readonly incidentId: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'IncidentRefusedError';
  }
}
