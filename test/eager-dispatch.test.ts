// The dev server Reflex starts hands the activities a workflow task schedules straight back to the
// worker that completed it (system.enableActivityEagerExecution): no trip through the task queue.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

test('activities run on the worker that scheduled them, though another worker polls the same queue', async () => {
  const address = process.env.REFLEX_TEST_TEMPORAL_ADDRESS!;
  const taskQueue = `eager-${randomUUID()}`;
  // One connection per worker: the SDK refuses two workers on one queue over one connection.
  const native = await NativeConnection.connect({ address });
  const otherNative = await NativeConnection.connect({ address });
  // A runs the workflow and its activity; B polls the same queue for activities only. Through the
  // task queue, B's pollers would take about half of them.
  const scheduling = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath: require.resolve('./fixtures/workflows/where-workflow'),
    activities: { where: async () => 'scheduling worker' },
  });
  const other = await Worker.create({
    connection: otherNative,
    taskQueue,
    activities: { where: async () => 'other worker' },
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    const ran = await scheduling.runUntil(
      other.runUntil(async () => {
        const seen: string[] = [];
        for (let i = 0; i < 12; i++) {
          seen.push(
            await client.workflow.execute('whereRuns', { taskQueue, workflowId: `${taskQueue}-${i}` }),
          );
        }
        return seen;
      }),
    );
    expect(ran).toEqual(Array.from({ length: 12 }, () => 'scheduling worker'));
  } finally {
    await connection.close();
    await native.close();
    await otherNative.close();
  }
});
