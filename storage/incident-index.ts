// The incident list: one row per incident, projected from its audit events in the transaction that
// writes them (incident-projection.ts), so the list never disagrees with the record. The events stay the
// truth; the rows can be rebuilt from them, which is also how an older database gains the list.
import type { Db } from './db';
import type { EventHistory } from './audit-event';
import type { AuditKind } from '../workflows/model/audit-events';

/** The event every incident's chain starts with. */
const OPENING_KIND: AuditKind = 'incident.started';
import { projectEvents } from './incident-projection';
import type { IncidentStatus } from '../workflows/model/incident';

export { INCIDENT_STATUSES } from '../workflows/model/incident';

export interface IncidentSummary {
  id: string;
  playbook: { id: string; version: number; title: string };
  drill: boolean;
  status: IncidentStatus;
  alertTitle?: string;
  severity?: string;
  source?: string;
  startedAt: string;
  /** When the first containment action (sign-out, block, rotation…) succeeded. */
  firstContainedAt?: string;
  /** When every step had finished. */
  containedAt?: string;
  closedAt?: string;
  alertCount: number;
}

export interface IncidentFilter {
  /** Started at or after (ISO 8601). */
  from?: string;
  /** Started before (ISO 8601). */
  to?: string;
  status?: IncidentStatus;
  playbook?: string;
  drill?: boolean;
  limit?: number;
}

interface Row {
  id: string;
  playbook_id: string;
  playbook_version: number;
  playbook_title: string;
  drill: boolean;
  status: IncidentStatus;
  alert_title: string | null;
  severity: string | null;
  source: string | null;
  started_at: string;
  first_contained_at: string | null;
  contained_at: string | null;
  closed_at: string | null;
  alert_count: number;
}

export class IncidentIndex {
  constructor(private readonly db: Db) {}

  async list(filter: IncidentFilter = {}): Promise<IncidentSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.from) add('started_at >= ?', filter.from);
    if (filter.to) add('started_at < ?', filter.to);
    if (filter.status) add('status = ?', filter.status);
    if (filter.playbook) add('playbook_id = ?', filter.playbook);
    if (filter.drill !== undefined) add('drill = ?', filter.drill);
    params.push(filter.limit ?? 500);
    const rows = await this.db.query<Row>(
      `select * from incidents ${where.length ? `where ${where.join(' and ')}` : ''}
       order by started_at desc limit $${params.length}`,
      params,
    );
    return rows.map(toSummary);
  }

  async get(id: string): Promise<IncidentSummary | undefined> {
    const [row] = await this.db.query<Row>('select * from incidents where id = $1', [id]);
    return row ? toSummary(row) : undefined;
  }

  /** Rebuilds the rows of incidents whose events are stored but who have no row yet. */
  async rebuildMissing(audit: EventHistory): Promise<number> {
    const chains = await this.db.query<{ chain_id: string }>(
      `select distinct chain_id from audit_events e where kind = $1
       and not exists (select 1 from incidents i where i.id = e.chain_id)`,
      [OPENING_KIND],
    );
    for (const { chain_id } of chains) {
      const events = await audit.events(chain_id);
      await this.db.transaction((tx) => projectEvents(tx, events));
    }
    return chains.length;
  }
}

function toSummary(r: Row): IncidentSummary {
  return {
    id: r.id,
    playbook: { id: r.playbook_id, version: Number(r.playbook_version), title: r.playbook_title },
    drill: r.drill,
    status: r.status,
    alertTitle: r.alert_title ?? undefined,
    severity: r.severity ?? undefined,
    source: r.source ?? undefined,
    startedAt: r.started_at,
    firstContainedAt: r.first_contained_at ?? undefined,
    containedAt: r.contained_at ?? undefined,
    closedAt: r.closed_at ?? undefined,
    alertCount: Number(r.alert_count),
  };
}
