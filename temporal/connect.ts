// Connections to Temporal, built once per process. The worker and the client share one native
// connection, so a start from this process can be handed to its own worker eagerly.
import { NativeConnection, Runtime } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { temporalLogger } from '../common/logger';

let runtimeInstalled = false;

/** Sends the SDK's own logs (including its Rust core) into pino. Once per process. */
export function installTemporalRuntime(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: temporalLogger(log),
    // Reflex orders its own shutdown (server, then worker, then dev server).
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls: boolean;
  apiKey?: string;
}

export async function connectTemporal(
  target: TemporalTarget,
): Promise<{ connection: NativeConnection; client: Client }> {
  const connection = await NativeConnection.connect({
    address: target.address,
    tls: target.tls || undefined,
    apiKey: target.apiKey,
  });
  const client = new Client({ connection, namespace: target.namespace });
  return { connection, client };
}
