// A bare workflow for the embedded-server benchmarks: one activity that tells the load generator it
// ran, and nothing else.
import { proxyActivities } from '@temporalio/workflow';

const { called } = proxyActivities<{ called(id: string): Promise<void> }>({
  startToCloseTimeout: '30 seconds',
});

export async function bareCall(id: string): Promise<void> {
  await called(id);
}
