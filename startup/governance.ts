// Board sign-off of playbooks, composed: the sign-off key (configured, or made once in the data
// directory), the store on the audit record, and the loaded playbooks' standing kept fresh for the
// incident gateway, which pins each incident's sign-off at its start.
import { join, resolve } from 'node:path';
import type { ReflexConfig } from '../config/schema';
import type { LoadedPlaybook } from '../playbooks/load';
import { IntakeJournalStore } from '../storage/intake-journal';
import { AuditStore } from '../storage/audit-store';
import { openDb } from '../storage/db';
import { IncidentIndex } from '../storage/incident-index';
import { SourceActivityTable } from '../storage/source-activity';
import { PlaybookGovernance, SignOffStore } from '../storage/sign-offs';
import { persistentSecret } from './access';
import type { Resources } from './resources';

/** How often a server re-reads the sign-offs (another server, or the CLI, may have recorded one). */
const REFRESH_MS = 60_000;

/** The key that signs sign-off records: `playbooks.signOff.secret`, or one kept in the data directory. */
export function signOffKey(config: ReflexConfig, dataDir: string): string {
  return config.playbooks.signOff.secret ?? persistentSecret(join(dataDir, 'signoff.secret'));
}

/** The governance of a running server: read now, then every minute until it stops. */
export async function openGovernance(
  config: ReflexConfig,
  dataDir: string,
  audit: AuditStore,
  playbooks: readonly LoadedPlaybook[],
  resources: Resources,
): Promise<PlaybookGovernance> {
  const governance = new PlaybookGovernance(
    new SignOffStore(audit, signOffKey(config, dataDir)),
    playbooks,
    config.playbooks.signOff.whenChanged,
  );
  await governance.refresh();
  const timer = setInterval(() => void governance.refresh().catch(() => undefined), REFRESH_MS);
  timer.unref();
  resources.add('sign-off refresh', async () => clearInterval(timer));
  return governance;
}

/** For a CLI command: the sign-offs and the incident list over the configured database, closed after `fn`. */
export async function withRecords<T>(
  config: ReflexConfig,
  playbooks: readonly LoadedPlaybook[],
  fn: (records: {
    governance: PlaybookGovernance;
    incidents: IncidentIndex;
    audit: AuditStore;
    sources: SourceActivityTable;
    journal: IntakeJournalStore;
  }) => Promise<T>,
): Promise<T> {
  const dataDir = resolve(config.dataDir);
  const db = await openDb({ url: config.database.url, embeddedDir: join(dataDir, 'db') });
  try {
    const audit = new AuditStore(db);
    const governance = new PlaybookGovernance(
      new SignOffStore(audit, signOffKey(config, dataDir)),
      playbooks,
      config.playbooks.signOff.whenChanged,
    );
    await governance.refresh();
    return await fn({
      governance,
      incidents: new IncidentIndex(db),
      audit,
      sources: new SourceActivityTable(db),
      journal: new IntakeJournalStore(db),
    });
  } finally {
    await db.close();
  }
}
