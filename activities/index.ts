// Builds every activity from the clients the worker owns. Workflows import this file only as a type.
import { createAuditActivities, type AuditWriter } from './audit';
import { createEmailActivities, type EmailDeps } from './notify-email';
import { createNotifyActivities, type NotifyDeps } from './notify-send';
import { createEntraActivities, type EntraDeps } from './entra';
import { createApprovalActivities, type ApprovalLinkStore } from './approval';
import { createSecretActivities, type SecretsDeps } from './secrets';
import { createHttpActivities, type HttpDeps } from './http-request';

export type { ActionInput } from './types';

export interface ActivityDeps {
  audit: AuditWriter;
  email: EmailDeps;
  notify: NotifyDeps;
  entra: EntraDeps;
  approvalLinks: ApprovalLinkStore;
  secrets: SecretsDeps;
  http: HttpDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities({ audit: deps.audit }),
    ...createEmailActivities(deps.email),
    ...createNotifyActivities(deps.notify),
    ...createEntraActivities(deps.entra),
    ...createApprovalActivities({ links: deps.approvalLinks, notify: deps.notify }),
    ...createSecretActivities(deps.secrets),
    ...createHttpActivities(deps.http),
  };
}

export type ReflexActivities = ReturnType<typeof createActivities>;
