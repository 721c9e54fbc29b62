// The bare baseline's worker as its own process: runs bareRevoke, whose one activity makes the same
// Graph call (through the same Graph client and token) as Reflex's entra.revokeSessions.
// Arguments: <temporal address> <task queue> <graph fake URL>. Prints "ready".
import { NativeConnection, Worker } from '@temporalio/worker';
import { createGraphClient } from '../startup/graph-client';
import { CLIENT_ID, CLIENT_SECRET, TENANT } from '../test/fakes/entra-fake';
import { createBareActivities } from './bare-activities';

async function main(): Promise<void> {
  const [address, taskQueue, graphUrl] = process.argv.slice(2) as [string, string, string];
  const connection = await NativeConnection.connect({ address });
  const graph = createGraphClient({
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorityHost: graphUrl,
    graphBaseUrl: graphUrl,
  })!;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./bare-workflow'),
    activities: createBareActivities(graph),
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

void main();
