// Once per test run: one real Temporal dev server, one PostgreSQL, and one workflow bundle.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureTemporalCli } from '../temporal/cli-binary';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createLogger } from '../common/logger';
import { bundleWorkflows } from '../worker/bundle';
import { startPostgres, type TestPostgres } from './helpers/postgres';

declare global {
  var __reflexDevServer: DevServer | undefined;
  var __reflexPostgres: TestPostgres | undefined;
}

export default async function globalSetup(): Promise<void> {
  const log = createLogger({ level: 'warn' });
  const root = mkdtempSync(join(tmpdir(), 'reflex-test-'));
  const projectDir = resolve(__dirname, '..');
  const cliPath = await ensureTemporalCli(join(projectDir, '.tools'), log);
  const [devServer, postgres, bundle] = await Promise.all([
    startDevServer({ cliPath, log }),
    startPostgres(),
    bundleWorkflows(),
  ]);
  globalThis.__reflexDevServer = devServer;
  globalThis.__reflexPostgres = postgres;
  const bundlePath = join(root, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle);
  // Test workers are forked after this, so they inherit these.
  process.env.REFLEX_TEST_TEMPORAL_ADDRESS = devServer.address;
  process.env.REFLEX_TEST_TEMPORAL_CLI = cliPath;
  process.env.REFLEX_TEST_BUNDLE = bundlePath;
  process.env.REFLEX_TEST_DATABASE_URL = postgres.url;
  process.env.REFLEX_TEST_ROOT = root;
}
