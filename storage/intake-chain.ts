// The `intake` hash chain: deliveries that made no incident. Refused ones (with the reason and the
// sender's address) and authenticated alerts no playbook takes are recorded before the answer goes out.
import { randomUUID } from 'node:crypto';
import type { Alert } from '../workflows/model/alert';
import { auditEvent, type AuditContent } from '../workflows/model/audit-events';
import type { IntakeDeps } from '../triggers/intake';
import type { TroubleRecorder } from '../triggers/logs/runner';
import type { AuditStore } from './audit-store';
import type { Logger } from '../common/logger';

export const INTAKE_CHAIN = 'intake';

/** Refusals recorded one by one per source and minute; beyond it they are counted into the next record. */
const REJECTIONS_PER_MINUTE = 60;

function intakeEvent<K extends 'alert.rejected' | 'alert.unrouted' | 'log.skipped' | 'log.dropped'>(
  kind: K,
  source: string,
  content: AuditContent[K],
) {
  return auditEvent(kind, {
    eventId: `${INTAKE_CHAIN}:${randomUUID()}`,
    chainId: INTAKE_CHAIN,
    at: new Date().toISOString(),
    actor: `source:${source}`,
    content,
  });
}

export function intakeRecorder(
  audit: Pick<AuditStore, 'append'>,
  log: Logger,
): Required<Pick<IntakeDeps, 'onRejected' | 'onUnrouted'>> & { onLogTrouble: TroubleRecorder } {
  // A forged flood must not turn into a flood of audit writes.
  const budgets = new Map<string, { minute: number; recorded: number; suppressed: number }>();
  return {
    async onRejected(source, reason, ip) {
      log.warn({ source, reason }, 'webhook refused');
      const minute = Math.floor(Date.now() / 60_000);
      const budget = budgets.get(source) ?? { minute, recorded: 0, suppressed: 0 };
      if (budget.minute !== minute) Object.assign(budget, { minute, recorded: 0 });
      budgets.set(source, budget);
      if (budget.recorded >= REJECTIONS_PER_MINUTE) {
        budget.suppressed += 1;
        return;
      }
      budget.recorded += 1;
      const suppressed = budget.suppressed;
      budget.suppressed = 0;
      await audit.append([
        intakeEvent('alert.rejected', source, {
          reason,
          ip,
          ...(suppressed ? { suppressedBefore: suppressed } : {}),
        }),
      ]);
    },
    async onLogTrouble({ kind, source, records, reason }) {
      await audit.append([
        intakeEvent(kind === 'dropped' ? 'log.dropped' : 'log.skipped', source, { source, records, reason }),
      ]);
    },
    async onUnrouted(alert: Alert) {
      log.info({ source: alert.source, type: alert.type }, 'alert matched no playbook');
      const { externalId, type, title, severity, occurredAt, entities } = alert;
      await audit.append([
        intakeEvent('alert.unrouted', alert.source, {
          externalId,
          type,
          title,
          severity,
          occurredAt,
          entities,
        }),
      ]);
    },
  };
}
