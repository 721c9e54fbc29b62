// The baseline's one activity: the same Graph call Reflex's entra.revokeSessions makes.
import type { Client } from '@microsoft/microsoft-graph-client';

export function createBareActivities(graph: Client) {
  return {
    async revoke(user: string): Promise<void> {
      await graph.api(`/users/${encodeURIComponent(user)}/revokeSignInSessions`).post({});
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
