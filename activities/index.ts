// Builds every activity from the clients the worker owns. Workflows import this file only as a type.
import { createAuditActivities, type AuditWriter } from './audit';
import { createEmailActivities, type EmailDeps } from './notify-email';

export type { ActionInput } from './types';

export interface ActivityDeps {
  audit: AuditWriter;
  email: EmailDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities({ audit: deps.audit }),
    ...createEmailActivities(deps.email),
  };
}

export type ReflexActivities = ReturnType<typeof createActivities>;
