// audit.record: writes workflow audit events to the store, idempotently by event id.
import type { AuditEventInput } from '../workflows/model/audit-events';

export interface AuditWriter {
  append(events: readonly AuditEventInput[]): Promise<void>;
}

export function createAuditActivities({ audit }: { audit: AuditWriter }) {
  return {
    async 'audit.record'(events: AuditEventInput[]): Promise<void> {
      await audit.append(events);
    },
  };
}
