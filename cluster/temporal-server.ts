// A real Temporal server for the cluster topology: `go.temporal.io/server/cmd/server@v1.29.1` and its
// SQL schema tool, built once by scripts/test-prereqs.sh into the
// cache, on the cluster's PostgreSQL. One process runs all four services (frontend, history,
// matching, worker); killing it and starting it again loses nothing that was committed.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { ClusterPostgres } from './postgres';
import { ensureDatabase } from './postgres';
import { Managed, waitFor } from './processes';
import { PROJECT_DIR } from '../startup/project';

export const TEMPORAL_SERVER_VERSION = '1.29.1';

/** Where scripts/test-prereqs.sh puts the server and its schema tool. */
export function temporalServerDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.REFLEX_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'reflex');
  return join(cache, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

export function temporalServerBinaries(dir = temporalServerDir()): { server: string; sql: string } {
  const server = join(dir, 'server');
  const sql = join(dir, 'sql');
  if (!existsSync(server) || !existsSync(sql))
    throw new Error(
      `the Temporal server ${TEMPORAL_SERVER_VERSION} is not built in ${dir}: run 'bash scripts/test-prereqs.sh' (it builds it with go install, once)`,
    );
  return { server, sql };
}

/**
 * History shards: fixed when the cluster is created, never changed after. 16 lets 16 incidents'
 * histories be written at once (one lock per shard), which is more than two cores can use, while
 * each idle shard costs little; a museum's load (tens of incidents a day, a few hundred in a storm)
 * is far below one shard's capacity. Temporal suggests 512 or more only for large clusters.
 */
export const HISTORY_SHARDS = 16;

export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: [number, number, number, number];
}

function serverConfig(root: string, pg: ClusterPostgres, ports: TemporalPorts, shards: number): string {
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:${pg.port}"
        connectProtocol: tcp
        user: ${pg.user}
        password: "${pg.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (name: string, grpc: number, membership: number, http?: number) => `
  ${name}:
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `# Written by cluster/temporal-server.ts.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${shards}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:${service('frontend', ports.frontend, ports.membership[0], ports.frontendHttp)}${service('history', ports.history, ports.membership[1])}${service('matching', ports.matching, ports.membership[2])}${service('worker', ports.worker, ports.membership[3])}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${root}/config/dynamicconfig.yaml
  pollInterval: 10s
`;
}

/** Creates Temporal's two databases and brings their schema to the server's version (idempotent). */
export async function setUpSchema(sqlTool: string, pg: ClusterPostgres): Promise<void> {
  const run = promisify(execFile);
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    await ensureDatabase(pg, database);
    const tool = (...args: string[]) =>
      run(
        sqlTool,
        [
          '--plugin',
          'postgres12',
          '--ep',
          '127.0.0.1',
          '-p',
          String(pg.port),
          '-u',
          pg.user,
          '--db',
          database,
          ...args,
        ],
        { env: { ...process.env, SQL_PASSWORD: pg.password } },
      );
    const versioned = await tool('setup-schema', '-v', '0.0').then(
      () => true,
      (err: { stderr?: string }) => {
        // Already set up on an earlier start: only the update below is needed.
        if (/already exists/i.test(err.stderr ?? '')) return true;
        throw err;
      },
    );
    if (versioned) await tool('update-schema', '--schema-name', schema);
  }
}

/** The Temporal server as a managed process; `start()` it, and again after a kill. */
export function temporalServer(
  dir: string,
  pg: ClusterPostgres,
  ports: TemporalPorts,
  shards = HISTORY_SHARDS,
) {
  const { server } = temporalServerBinaries();
  const root = resolve(dir);
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'config', 'cluster.yaml'), serverConfig(root, pg, ports, shards));
  // The production dynamic configuration (eager workflow start), shared with docker-compose.yml.
  writeFileSync(
    join(root, 'config', 'dynamicconfig.yaml'),
    readFileSync(join(PROJECT_DIR, 'deploy/temporal/dynamicconfig/production.yaml')),
  );
  return new Managed({
    name: 'temporal server',
    command: server,
    args: ['--root', root, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
    logFile: join(root, 'temporal.log'),
  });
}

/** Waits until the frontend answers and `namespace` exists (created with 30 days' retention). */
export async function ensureNamespace(address: string, namespace: string, server: Managed): Promise<void> {
  let connection: Connection | undefined;
  try {
    await waitFor(
      'the Temporal frontend',
      async () => {
        connection = await Connection.connect({ address, connectTimeout: 2000 });
        await connection.workflowService.getSystemInfo({});
        return true;
      },
      120_000,
      server,
    );
    const service = connection!.workflowService;
    const exists = await service.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists)
      await service
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('30 days') })
        .catch((err: { code?: number }) => {
          if (err.code !== 6) throw err; // ALREADY_EXISTS: another start won the race
        });
    await waitFor(
      'the namespace',
      async () => Boolean(await service.describeNamespace({ namespace })),
      30_000,
      server,
    );
  } finally {
    await connection?.close();
  }
}
