// The cluster's PostgreSQL, from the machine's own binaries (Debian's postgresql package): one
// instance holding Temporal's two databases and Reflex's audit database, at full durability (fsync,
// synchronous commit and full-page writes on: a 202 and an audit event survive a power cut). As
// root, PostgreSQL's tools run as the `postgres` user, as Debian's own service does.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Managed, waitFor } from './processes';

function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  throw new Error(
    'PostgreSQL binaries not found: install Debian\'s "postgresql" package (scripts/test-prereqs.sh does), or set PG_BIN',
  );
}

export interface ClusterPostgres {
  process: Managed;
  port: number;
  user: string;
  password: string;
  /** postgres://… for `database`. */
  url(database: string): string;
}

const asRoot = () => process.getuid?.() === 0;

/** Runs `command` as the PostgreSQL user (when root) or as this user. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return asRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/**
 * initdb (once, into `dir`) and starts the server on 127.0.0.1:`port` with a password. `statements`:
 * with pg_stat_statements loaded, so a benchmark can say which statements a storm costs.
 */
export async function startClusterPostgres(
  dir: string,
  port: number,
  options: { statements?: boolean } = {},
): Promise<ClusterPostgres> {
  const bin = binDir();
  const user = 'reflex';
  // Loopback only, and only for this machine's own test topology; a real deployment sets its own.
  const password = 'reflex-cluster-local';
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (asRoot()) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
    chownSync(dir, id('-u'), id('-g'));
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', 'test', '-w', dir]);
    } catch {
      throw new Error(
        `the postgres user cannot reach ${dir}: every folder above it must be searchable by others (chmod o+x)`,
      );
    }
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (asRoot()) chownSync(pwfile, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
    const [file, argv] = asPostgresUser(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      user,
      '--pwfile',
      pwfile,
      '-A',
      'scram-sha-256',
      '-E',
      'UTF8',
    ]);
    execFileSync(file, argv, { stdio: 'pipe' });
  }
  const [command, args] = asPostgresUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    // Two Temporal pools (history and visibility), and 10 per Reflex process, with room to spare.
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=256MB',
    ...(options.statements
      ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all']
      : []),
  ]);
  const server = new Managed({
    name: 'postgresql',
    command,
    args,
    logFile: join(dir, 'postgres.log'),
  }).start();
  const url = (database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  await waitFor(
    'PostgreSQL to accept connections',
    async () => {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: url('postgres') });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    60_000,
    server,
  );
  return { process: server, port, user, password, url };
}

/** Creates `name` unless it exists. */
export async function ensureDatabase(pg: ClusterPostgres, name: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: pg.url('postgres') });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
