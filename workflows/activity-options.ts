// The activity options the interpreter uses, named once. Temporal owns every retry: activities never
// sleep, and a throttled call's Retry-After becomes the next retry's delay.
import type { ActivityOptions } from '@temporalio/workflow';

const BACKOFF = { initialInterval: '1 second', maximumInterval: '30 seconds' } as const;

/** Audit writes are never dropped: they retry until the store is back (readiness reports the outage). */
export const AUDIT_WRITES: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { ...BACKOFF }, // no maximumAttempts: unlimited
};

/** Messages to people (notifications, approval requests) and the closing of approval links. */
export const MESSAGES: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { ...BACKOFF, maximumAttempts: 10 },
};

/** Chat posts: retried for about a minute, then recorded as failed (e-mail has gone out already). */
export const CHAT: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 5,
  },
};

/** Undoing a step: as patient as messages, so an outage does not leave an account blocked. */
export const COMPENSATIONS: ActivityOptions = MESSAGES;

/** A playbook step's action: its own timeout and attempts (the action's defaults, or the playbook's). */
export function actionOptions(step: { timeoutSeconds: number; maxAttempts: number }): ActivityOptions {
  return {
    startToCloseTimeout: `${step.timeoutSeconds} seconds`,
    retry: { ...BACKOFF, maximumAttempts: step.maxAttempts },
  };
}
