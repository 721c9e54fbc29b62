// Stops what global-setup started.
import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__reflexDevServer?.stop();
  globalThis.__reflexPostgres?.stop();
  if (process.env.REFLEX_TEST_ROOT) rmSync(process.env.REFLEX_TEST_ROOT, { recursive: true, force: true });
}
