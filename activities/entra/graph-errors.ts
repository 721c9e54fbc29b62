// Decides retryability where the error is born: Graph's status and code, never its message.
import { ApplicationFailure } from '@temporalio/activity';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { retryAfterSeconds } from '../../common/retry-after';
import { LICENCE_REQUIRED } from '../../workflows/model/failures';

export interface GraphCallContext {
  /** What Reflex was doing, in plain words: "disable j.devries@…". */
  what: string;
  /** The least-privilege application permission the call needs. */
  permission: string;
  /** The licence the action needs, if any. */
  licence?: { needs: string; meaning: string };
}

/**
 * Graph's codes for a tenant without the licence a feature needs: `Authentication_RequestFromNonPremiumTenantOrB2CTenant`
 * (sign-in logs, Identity Protection without Entra ID P1/P2), and the like.
 */
const LICENCE_CODE = /NonPremium|Premium|Licen[cs]e/i;

/** Turns a failed Graph call into a Temporal failure with a type callers can act on. */
export function graphFailure(err: unknown, context: GraphCallContext): ApplicationFailure | unknown {
  if (!(err instanceof GraphError)) return err; // network and token errors: retryable as they are
  const status = err.statusCode;
  const code = err.code ?? 'unknown';
  const details = { status, code, requestId: err.requestId };
  switch (true) {
    case (status === 403 || status === 400) && LICENCE_CODE.test(code):
      return ApplicationFailure.create({
        type: LICENCE_REQUIRED,
        nonRetryable: true,
        message: context.licence
          ? `needs ${context.licence.needs}, which this tenant does not have (${code}): ${context.licence.meaning}`
          : `needs a Microsoft licence this tenant does not have (${code}); Reflex could not ${context.what}.`,
        details: [details],
      });
    case status === 403:
      return ApplicationFailure.create({
        type: 'GraphForbidden',
        nonRetryable: true,
        message:
          `Microsoft Graph refused to ${context.what} (403 ${code}). The app registration needs the application ` +
          `permission ${context.permission}; if it has it, the account is protected (for example it holds a ` +
          `privileged admin role) and must be handled by an administrator.`,
        details: [details],
      });
    case status === 404:
      return ApplicationFailure.create({
        type: 'GraphNotFound',
        nonRetryable: true,
        message: `Microsoft Graph could not ${context.what}: not found (404 ${code}).`,
        details: [details],
      });
    case status === 401:
      return ApplicationFailure.create({
        type: 'GraphUnauthorized',
        nonRetryable: true,
        message: `Microsoft Graph did not accept Reflex's credentials to ${context.what} (401 ${code}): check entra.clientId and entra.clientSecret.`,
        details: [details],
      });
    case status === 429 || status === 503 || status === 504: {
      const seconds = retryAfterSeconds(err.headers?.get('Retry-After'));
      return ApplicationFailure.create({
        type: 'GraphThrottled',
        // Whether another attempt comes is the step's retry policy's to say (workflows/describe.ts).
        message: `Microsoft Graph is busy (${status}) while trying to ${context.what}${seconds !== undefined ? `; it asked to wait ${seconds} s` : ''}.`,
        // Temporal owns retries (the Graph client's RetryHandler is left out): honour the server's wait.
        nextRetryDelay: seconds !== undefined ? `${seconds} seconds` : undefined,
        details: [details],
      });
    }
    case status >= 400 && status < 500:
      return ApplicationFailure.create({
        type: 'GraphRequestRejected',
        nonRetryable: true,
        message: `Microsoft Graph rejected the request to ${context.what} (${status} ${code}).`,
        details: [details],
      });
    default:
      return ApplicationFailure.create({
        type: 'GraphServerError',
        message: `Microsoft Graph failed while trying to ${context.what} (${status} ${code}).`,
        details: [details],
      });
  }
}
