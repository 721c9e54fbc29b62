// The read side of an incident: live state from its workflow, the record from the audit store.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { incidentStateQuery } from '../workflows/messages';
import type { IncidentState } from '../workflows/model/incident';
import type { AuditEvent } from '../storage/audit-event';
import type { AuditStore } from '../storage/audit-store';

export interface IncidentView {
  id: string;
  workflow?: { status: string; runId: string; startTime: string; closeTime?: string };
  /** The workflow's own view; absent once Temporal no longer holds it or no worker can answer. */
  state?: IncidentState;
  timeline: AuditEvent[];
}

export const INCIDENT_ID = /^[a-z0-9][a-z0-9-]{0,127}$/;

export async function getIncident(
  client: Client,
  audit: AuditStore,
  id: string,
): Promise<IncidentView | undefined> {
  const timeline = await audit.events(id);
  const handle = client.workflow.getHandle(id);
  let workflow: IncidentView['workflow'];
  let state: IncidentState | undefined;
  try {
    const description = await handle.describe();
    workflow = {
      status: description.status.name,
      runId: description.runId,
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString(),
    };
    state = await client
      .withDeadline(Date.now() + 5_000, () => handle.query(incidentStateQuery))
      .catch(() => undefined);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (!workflow && timeline.length === 0) return undefined;
  return { id, workflow, state, timeline };
}
