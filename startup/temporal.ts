// Temporal: the configured cluster, or an embedded dev server with its state in the data directory
// (the Temporal CLI found or built on first use), and the one native connection this process shares.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { ReflexConfig } from '../config/schema';
import type { Logger } from '../common/logger';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { connectTemporal, installTemporalRuntime } from '../temporal/connect';
import type { Resources } from './resources';
import { TOOLS_DIR } from './project';

/**
 * The embedded server's SQLite settings. SQLite's default rollback journal syncs several times per
 * commit and held the dev server near 24 workflows/s here; the write-ahead log syncs once per commit.
 * `synchronous=full` (the default) syncs the log at every commit, so a 202 means the start is on disk
 * through a power cut too; `normal` syncs at checkpoints only: it survives any process crash, but a
 * power cut can lose the last commits, for more headroom (bench/sqlite-pragmas.ts, docs/BENCHMARKS.md).
 */
export function embeddedSqlitePragmas(synchronous: 'full' | 'normal'): string[] {
  return ['journal_mode=wal', `synchronous=${synchronous}`];
}

/**
 * Where a running `reflex start` writes its embedded Temporal's address, in the data directory, for
 * the CLI's commands: with `temporal.devServer.port: 0` the port is drawn at each start.
 */
export const EMBEDDED_ADDRESS_FILE = 'temporal.address';

export interface TemporalConnection {
  address: string;
  /** The embedded dev server's Web UI. */
  uiUrl?: string;
  connection: NativeConnection;
  client: Client;
}

export async function openTemporal(
  config: ReflexConfig,
  options: { dataDir: string; toolsDir?: string; log: Logger; env: NodeJS.ProcessEnv },
  resources: Resources,
): Promise<TemporalConnection> {
  const { dataDir, log, env } = options;
  installTemporalRuntime(log);
  let address = config.temporal.address;
  let uiUrl: string | undefined;
  if (!address) {
    const cliPath = await ensureTemporalCli(options.toolsDir ?? TOOLS_DIR, log, env);
    const devServer = await startDevServer({
      cliPath,
      dbFile: join(dataDir, 'temporal.sqlite'),
      sqlitePragmas: embeddedSqlitePragmas(config.temporal.devServer.synchronous),
      pidFile: join(dataDir, 'temporal.pid'),
      port: config.temporal.devServer.port,
      uiPort: config.temporal.devServer.uiPort,
      namespaces: config.temporal.namespace === 'default' ? [] : [config.temporal.namespace],
      log,
    });
    resources.add('Temporal dev server', () => devServer.stop());
    address = devServer.address;
    const addressFile = join(dataDir, EMBEDDED_ADDRESS_FILE);
    writeFileSync(addressFile, `${address}\n`);
    resources.add('Temporal address file', async () => rmSync(addressFile, { force: true }));
    uiUrl = devServer.uiUrl;
  }
  const { connection, client } = await connectTemporal({
    address,
    namespace: config.temporal.namespace,
    tls: config.temporal.tls,
    apiKey: config.temporal.apiKey,
  });
  resources.add('Temporal connection', () => connection.close());
  return { address, uiUrl, connection, client };
}
