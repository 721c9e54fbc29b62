// The baseline for the latency benchmark: a bare Temporal workflow that makes the same first
// containment call (revoke sessions through the Graph client) and nothing else.
import { proxyActivities } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

const { revoke } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareRevoke(user: string): Promise<void> {
  await revoke(user);
}
