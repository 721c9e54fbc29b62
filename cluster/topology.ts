// The cluster topology on one machine: PostgreSQL (Temporal's databases and Reflex's audit store),
// one Temporal server process on it, and several `reflex worker` and `reflex server` processes on
// both. Every process can be killed (SIGKILL) and started again on its own, as the chaos suite does.
// `npm run cluster` (cluster/main.ts) runs it for people; test/cluster.test.ts runs chaos against it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../common/ports';
import { ensureDatabase, startClusterPostgres, type ClusterPostgres } from './postgres';
import { Managed, waitFor } from './processes';
import {
  ensureNamespace,
  setUpSchema,
  temporalServer,
  temporalServerBinaries,
  type TemporalPorts,
} from './temporal-server';
import { PROJECT_DIR } from '../startup/project';

export interface ClusterOptions {
  /** Everything the cluster keeps (databases, logs, each process's data folder). */
  dir: string;
  /** reflex.yaml for every Reflex process. */
  config: string;
  /** Extra environment for the Reflex processes (SMTP_URL, secrets the configuration names). */
  env?: NodeJS.ProcessEnv;
  /** @default 2 */
  workers?: number;
  /** @default 2 */
  servers?: number;
  /** @default 'default' */
  namespace?: string;
  /** The `reflex` command's main.js. @default dist/cli/main.js */
  cli?: string;
  /** PostgreSQL records each statement's time (pg_stat_statements), for the benchmark. */
  postgresStatements?: boolean;
}

export interface ReflexProcess extends Managed {
  readonly url: string;
  /** Resolves once /readyz answers 200. */
  ready(ms?: number): Promise<void>;
}

export interface Cluster {
  postgres: ClusterPostgres;
  temporal: Managed;
  temporalAddress: string;
  databaseUrl: string;
  workers: ReflexProcess[];
  servers: ReflexProcess[];
  /** Starts the Temporal server again (after a kill) and waits until it answers. */
  restartTemporal(): Promise<void>;
  /** Stops everything: Reflex first, then Temporal, then PostgreSQL. */
  stop(): Promise<void>;
}

/** Temporal keeps its ports in smallint columns (cluster_membership): they must be below 32768. */
const temporalPort = () => freePort({ low: true });

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status === 200;

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  temporalServerBinaries(); // fail first, naming the prerequisite, when the server is not built
  const namespace = options.namespace ?? 'default';
  mkdirSync(options.dir, { recursive: true });
  const started: Managed[] = [];
  try {
    const postgres = await startClusterPostgres(join(options.dir, 'postgresql'), await freePort(), {
      statements: options.postgresStatements,
    });
    started.push(postgres.process);
    await setUpSchema(temporalServerBinaries().sql, postgres);
    await ensureDatabase(postgres, 'reflex');
    const ports: TemporalPorts = {
      frontend: await temporalPort(),
      frontendHttp: await temporalPort(),
      history: await temporalPort(),
      matching: await temporalPort(),
      worker: await temporalPort(),
      membership: [await temporalPort(), await temporalPort(), await temporalPort(), await temporalPort()],
    };
    const temporal = temporalServer(join(options.dir, 'temporal'), postgres, ports);
    const temporalAddress = `127.0.0.1:${ports.frontend}`;
    temporal.start();
    started.push(temporal);
    await ensureNamespace(temporalAddress, namespace, temporal);

    const databaseUrl = postgres.url('reflex');
    const reflex = async (mode: 'worker' | 'server', i: number): Promise<ReflexProcess> => {
      const name = `reflex ${mode} ${i + 1}`;
      const dataDir = join(options.dir, `${mode}-${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      const port = await freePort();
      const process_ = new Managed({
        name,
        command: process.execPath,
        args: [options.cli ?? join(PROJECT_DIR, 'dist/cli/main.js'), mode, '--config', options.config],
        env: {
          ...process.env,
          ...options.env,
          TEMPORAL_ADDRESS: temporalAddress,
          TEMPORAL_NAMESPACE: namespace,
          DATABASE_URL: databaseUrl,
          REFLEX_DATA_DIR: dataDir,
          PORT: String(port),
        },
        logFile: join(options.dir, `${mode}-${i + 1}.log`),
      });
      const url = `http://127.0.0.1:${port}`;
      return Object.assign(process_, {
        url,
        ready: (ms = 60_000) => waitFor(`${name} to be ready`, () => readyz(url), ms, process_),
      });
    };
    const workers = await Promise.all(
      Array.from({ length: options.workers ?? 2 }, (_, i) => reflex('worker', i)),
    );
    const servers = await Promise.all(
      Array.from({ length: options.servers ?? 2 }, (_, i) => reflex('server', i)),
    );
    // Workers first: the first server applies Reflex's migrations while they connect.
    for (const p of [...workers, ...servers]) {
      p.start();
      started.push(p);
    }
    await Promise.all([...workers, ...servers].map((p) => p.ready()));
    return {
      postgres,
      temporal,
      temporalAddress,
      databaseUrl,
      workers,
      servers,
      async restartTemporal() {
        temporal.start();
        await ensureNamespace(temporalAddress, namespace, temporal);
      },
      async stop() {
        await Promise.all([...servers, ...workers].map((p) => p.stop()));
        await temporal.stop();
        await postgres.process.stop(30_000, 'SIGINT');
      },
    };
  } catch (err) {
    for (const p of started.reverse()) await p.kill();
    throw err;
  }
}
