// Builds every activity from the clients the worker owns: the actions playbooks name (each defined
// beside its code, listed in actions.ts) and the interpreter's own (audit, notifications, approvals).
// Workflows import this file only as a type.
import { createAuditActivities, type AuditWriter } from './audit';
import { createEmailActivities, type EmailDeps } from './notify/email';
import { createNotifyActivities, type NotifyDeps } from './notify/send';
import { createEntraActivities } from './entra/users';
import { createEntraAppActivities } from './entra/apps';
import { createAuthMethodActivities } from './entra/auth-methods';
import { createSignInActivities } from './entra/sign-ins';
import { createExchangeActivities } from './exchange/inbox-rules';
import type { GraphDeps } from './entra/graph';
import { createApprovalActivities, type ApprovalLinkStore } from './approval';
import { createSecretActivities, type SecretsDeps } from './secrets/rotate';
import { createHttpActivities, type HttpDeps } from './http/request';
import { createChatActivities, type ChatDeps } from './notify/chat';

export type { ActionInput } from './action';

export interface ActivityDeps {
  audit: AuditWriter;
  email: EmailDeps;
  notify: NotifyDeps;
  entra: GraphDeps;
  approvalLinks: ApprovalLinkStore;
  secrets: SecretsDeps;
  http: HttpDeps;
  chat: ChatDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities({ audit: deps.audit }),
    ...createEmailActivities(deps.email),
    ...createNotifyActivities(deps.notify),
    ...createEntraActivities(deps.entra),
    ...createEntraAppActivities(deps.entra),
    ...createAuthMethodActivities(deps.entra),
    ...createSignInActivities(deps.entra),
    ...createExchangeActivities(deps.entra),
    ...createApprovalActivities({ links: deps.approvalLinks, notify: deps.notify }),
    ...createSecretActivities(deps.secrets),
    ...createHttpActivities(deps.http),
    ...createChatActivities(deps.chat),
  };
}

export type ReflexActivities = ReturnType<typeof createActivities>;
