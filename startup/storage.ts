// The database and the stores over it: PostgreSQL, or the embedded PGlite in the data directory.
import { join } from 'node:path';
import type { ReflexConfig } from '../config/schema';
import { claimDb, type ClaimedDb, type Db } from '../storage/db';
import { AuditStore } from '../storage/audit-store';
import { IncidentIndex } from '../storage/incident-index';
import { ApprovalLinks } from '../storage/approval-links';
import { WebhookDeliveries } from '../storage/deliveries';
import { Sessions } from '../storage/sessions';
import { IntakeJournalStore } from '../storage/intake-journal';
import type { Resources } from './resources';

export interface Storage {
  db: Db;
  audit: AuditStore;
  incidents: IncidentIndex;
  approvalLinks: ApprovalLinks;
  deliveries: WebhookDeliveries;
  journal: IntakeJournalStore;
  sessions: Sessions;
}

/**
 * Claims the storage now (the embedded database's lock: {@link claimDb}) and opens it on `open`, so
 * the caller can start other work on the data directory only once this process owns it.
 */
export function claimStorage(
  config: ReflexConfig,
  dataDir: string,
): { open(resources: Resources): Promise<Storage> } {
  const claimed = claimDb({ url: config.database.url, embeddedDir: join(dataDir, 'db') });
  return { open: (resources) => openClaimed(claimed, resources) };
}

async function openClaimed(claimed: ClaimedDb, resources: Resources): Promise<Storage> {
  const db = await claimed.open();
  resources.add('database', () => db.close());
  const audit = new AuditStore(db);
  const incidents = new IncidentIndex(db);
  // An older database gains the incident list from its events.
  await incidents.rebuildMissing(audit);
  return {
    db,
    audit,
    incidents,
    approvalLinks: new ApprovalLinks(db),
    deliveries: new WebhookDeliveries(db),
    journal: new IntakeJournalStore(db),
    sessions: new Sessions(db),
  };
}
