// Reading and driving incidents in tests, through the incident gateway (the one way to Temporal).
import type { IncidentGateway } from '../../temporal/incident-gateway';
import type { IncidentState } from '../../workflows/model/incident';

/** Polls the incident's state until `predicate` holds. */
export async function waitForState(
  gateway: IncidentGateway,
  id: string,
  predicate: (s: IncidentState) => boolean,
  what = 'the expected state',
  ms = 45_000,
): Promise<IncidentState> {
  const deadline = Date.now() + ms;
  let last: IncidentState | undefined;
  for (;;) {
    // A bounded query (the gateway's deadline): an incident whose worker is gone (another test
    // file's) must not hang the test.
    last = await gateway.state(id).catch(() => last);
    if (last && predicate(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`incident ${id} never reached ${what}: ${JSON.stringify(last, null, 1)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until Temporal reports the incident's workflow finished. */
export async function waitForClosedWorkflow(
  gateway: IncidentGateway,
  id: string,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await gateway.get(id))?.workflow.status !== 'COMPLETED') {
    if (Date.now() > deadline) throw new Error(`the workflow of ${id} did not complete`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const step = (state: IncidentState, id: string) => state.steps.find((s) => s.id === id)!;

/** Decides an approval; a refused one rejects with the validator's own reason. */
export function decide(
  gateway: IncidentGateway,
  id: string,
  stepId: string,
  approver: string,
  decision: 'approve' | 'reject' = 'approve',
) {
  return gateway.decide(id, { stepId, approver, decision, ip: '198.51.100.20', userAgent: 'jest' });
}

/** Polls `probe` until it gives a value (every 200 ms), or fails naming `what`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
