// Builds every activity from the clients the worker owns. Workflows import this file only as a type.
import { createAuditActivities, type AuditWriter } from './audit';
import { createEmailActivities, type EmailDeps } from './notify-email';
import { createNotifyActivities, type NotifyDeps } from './notify-send';
import { createEntraActivities, type EntraDeps } from './entra';
import { createApprovalActivities, type ApprovalLinkStore } from './approval';

export type { ActionInput } from './types';

export interface ActivityDeps {
  audit: AuditWriter;
  email: EmailDeps;
  notify: NotifyDeps;
  entra: EntraDeps;
  approvalLinks: ApprovalLinkStore;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities({ audit: deps.audit }),
    ...createEmailActivities(deps.email),
    ...createNotifyActivities(deps.notify),
    ...createEntraActivities(deps.entra),
    ...createApprovalActivities({ links: deps.approvalLinks, notify: deps.notify }),
  };
}

export type ReflexActivities = ReturnType<typeof createActivities>;
