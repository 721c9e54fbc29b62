// The incident list: one row per incident, projected from its audit events in the transaction that
// writes them, so the list never disagrees with the record. The events stay the truth; the rows can be
// rebuilt from them (`rebuild`), which is also how an older database gains the list.
import { ACTION_CATALOG } from '../activities/catalog';
import type { Db, Queryable } from './db';
import type { AuditEvent, AuditStore } from './audit-store';
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

/** Whether a succeeded step of this action stopped the attacker. */
export function isContainment(action: unknown): boolean {
  const entry = ACTION_CATALOG[action as keyof typeof ACTION_CATALOG] as { containment?: true } | undefined;
  return entry?.containment === true;
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

/** Applies newly written events of one chain to its row. Runs inside the audit write's transaction. */
export async function projectEvents(tx: Queryable, events: readonly AuditEvent[]): Promise<void> {
  for (const event of events) {
    const c = event.content;
    switch (event.kind) {
      case 'incident.started': {
        const playbook = c.playbook as { id?: string; version?: number; title?: string } | undefined;
        if (!playbook?.id) break; // not written by a playbook run: nothing to list
        const [alert] = await tx.query<{ content: string; actor: string }>(
          `select content, actor from audit_events where chain_id = $1 and kind = 'alert.received' order by seq limit 1`,
          [event.chainId],
        );
        const [drill] = await tx.query(
          `select 1 from audit_events where chain_id = $1 and kind = 'drill.started' limit 1`,
          [event.chainId],
        );
        const a = alert ? (JSON.parse(alert.content) as { title?: string; severity?: string }) : {};
        await tx.query(
          `insert into incidents (id, playbook_id, playbook_version, playbook_title, drill, status, alert_title,
             severity, source, started_at)
           values ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9) on conflict (id) do nothing`,
          [
            event.chainId,
            playbook.id,
            playbook.version ?? 0,
            playbook.title ?? playbook.id,
            drill !== undefined,
            a.title ?? null,
            a.severity ?? null,
            alert?.actor.replace(/^source:/, '') ?? null,
            event.at,
          ],
        );
        break;
      }
      case 'step.succeeded':
        if (isContainment(c.action)) {
          await tx.query(
            'update incidents set first_contained_at = coalesce(first_contained_at, $2) where id = $1',
            [event.chainId, event.at],
          );
        }
        break;
      case 'incident.contained':
        await tx.query(`update incidents set status = 'contained', contained_at = $2 where id = $1`, [
          event.chainId,
          event.at,
        ]);
        break;
      case 'incident.closed':
        await tx.query('update incidents set status = $2, closed_at = $3 where id = $1', [
          event.chainId,
          String(c.status),
          event.at,
        ]);
        break;
      case 'alert.joined':
        await tx.query('update incidents set alert_count = greatest(alert_count, $2) where id = $1', [
          event.chainId,
          Number(c.alertCount) || 1,
        ]);
        break;
    }
  }
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
  async rebuildMissing(audit: Pick<AuditStore, 'events'>): Promise<number> {
    const chains = await this.db.query<{ chain_id: string }>(
      `select distinct chain_id from audit_events e where kind = 'incident.started'
       and not exists (select 1 from incidents i where i.id = e.chain_id)`,
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
