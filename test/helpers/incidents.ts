// Reading and driving incidents in tests, through the real Temporal client.
import type { Client } from '@temporalio/client';
import { decideApprovalUpdate, incidentStateQuery } from '../../workflows/messages';
import type { IncidentState } from '../../workflows/model/incident';

/** Polls the incident's state until `predicate` holds. */
export async function waitForState(
  client: Client,
  id: string,
  predicate: (s: IncidentState) => boolean,
  what = 'the expected state',
  ms = 45_000,
): Promise<IncidentState> {
  const deadline = Date.now() + ms;
  let last: IncidentState | undefined;
  for (;;) {
    // A bounded query: an incident whose worker is gone (another test file's) must not hang the test.
    last = await client
      .withDeadline(Date.now() + 5_000, () => client.workflow.getHandle(id).query(incidentStateQuery))
      .catch(() => last);
    if (last && predicate(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`incident ${id} never reached ${what}: ${JSON.stringify(last, null, 1)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const step = (state: IncidentState, id: string) => state.steps.find((s) => s.id === id)!;

/** Decides an approval; a refused update rejects with the validator's own reason. */
export function decide(
  client: Client,
  id: string,
  stepId: string,
  approver: string,
  decision: 'approve' | 'reject' = 'approve',
) {
  return client.workflow
    .getHandle(id)
    .executeUpdate(decideApprovalUpdate, {
      args: [{ stepId, approver, decision, ip: '198.51.100.20', userAgent: 'jest' }],
    })
    .catch((err: Error) => {
      throw (err.cause as Error | undefined) ?? err;
    });
}
