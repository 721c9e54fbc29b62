// The worker process of the embedded-server benchmarks: runs bareCall, whose activity POSTs to the load
// generator. Arguments: <temporal address> <task queue> <load generator URL>.
import { NativeConnection, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const [address, taskQueue, callback] = process.argv.slice(2) as [string, string, string];
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./bare-call-workflow'),
    activities: {
      async called(id: string): Promise<void> {
        await fetch(`${callback}/called/${encodeURIComponent(id)}`, { method: 'POST' });
      },
    },
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

void main();
