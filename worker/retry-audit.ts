// Puts step retries on the incident's audit trail. The workflow cannot see Temporal retrying an
// activity, so a worker interceptor records each later attempt of an action before it runs. Best
// effort: a failed write is logged and never holds up the retry (containment comes first). A watch's
// looks are not retries: a call with a `watch` (a verify step's sign-in reads) is run again by design
// until the watch ends, and its step records how it ended.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { AuditEventInput } from '../workflows/model/audit-events';
import type { Logger } from '../common/logger';

export function retryAuditInterceptor(
  append: (events: AuditEventInput[]) => Promise<void>,
  log: Logger,
): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { info } = ctx;
        const arg = input.args[0] as { incidentId?: unknown; stepId?: unknown; watch?: unknown } | undefined;
        if (
          info.attempt > 1 &&
          !info.activityType.startsWith('audit.') &&
          arg?.watch === undefined &&
          typeof arg?.incidentId === 'string' &&
          typeof arg.stepId === 'string'
        ) {
          const run = info.workflowExecution;
          await append([
            {
              // One event per attempt, however often this write is itself repeated.
              eventId: `${run?.workflowId ?? arg.incidentId}:${run?.runId ?? ''}:${info.activityId}:attempt:${info.attempt}`,
              chainId: arg.incidentId,
              at: new Date().toISOString(),
              kind: 'step.retried',
              actor: 'reflex',
              content: { step: arg.stepId, action: info.activityType, attempt: info.attempt },
            },
          ]).catch((err: unknown) => log.warn({ err, incident: arg.incidentId }, 'could not record a retry'));
        }
        return next(input);
      },
    },
  });
}
