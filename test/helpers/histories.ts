// Stored workflow histories for the replay test. `npm run histories` re-records them from the e2e
// tests (REFLEX_RECORD_HISTORIES=1); otherwise recording is a no-op. With REFLEX_HISTORY_TAG=<tag>
// the files are written as <name>.<tag>.json beside the old ones, which in-flight incidents still have.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { IncidentGateway } from '../../temporal/incident-gateway';

export const HISTORIES_DIR = join(__dirname, '../fixtures/histories');

export async function recordHistory(
  gateway: IncidentGateway,
  incidentId: string,
  name: string,
): Promise<void> {
  if (process.env.REFLEX_RECORD_HISTORIES !== '1') return;
  const history = await gateway.history(incidentId);
  mkdirSync(HISTORIES_DIR, { recursive: true });
  // The proto-JSON form `temporal workflow show --output json` also writes.
  const tag = process.env.REFLEX_HISTORY_TAG;
  writeFileSync(join(HISTORIES_DIR, `${name}${tag ? `.${tag}` : ''}.json`), `${historyToJSON(history)}\n`);
}
