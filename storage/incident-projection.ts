// Projects audit events onto the `incidents` list table, inside the transaction that writes them, so
// the list never disagrees with the record. Reads every kind of event; most leave the row alone.
import { isContainment } from '../activities/actions';
import type { Queryable } from './db';
import { kindOf, type AuditEvent } from './audit-event';
import type { AuditContent } from '../workflows/model/audit-events';

/**
 * One write to the list, built for a statement of its own (`guard` "true", placeholders from $1) or
 * for a part of a larger one (a guard naming an earlier part, placeholders from `first`).
 */
export interface ListWrite {
  sql(guard: string, first: number): string;
  params: unknown[];
}

/** What a projection may look up beyond its batch: the chain's earlier events. */
export interface EarlierEvents {
  receivedAlert(chainId: string): Promise<{ content: unknown; actor: string } | undefined>;
  hasDrillStarted(chainId: string): Promise<boolean>;
}

/** Applies newly written events of one chain to its row. Runs inside the audit write's transaction. */
export async function projectEvents(tx: Queryable, events: readonly AuditEvent[]): Promise<void> {
  for (const write of await listWrites(events, storedEvents(tx)))
    await tx.query(write.sql('true', 1), write.params);
}

/**
 * The writes that bring the list up to `events`: per chain at most an insert (its opening event)
 * and one update that merges the batch's changes in their order, so a batch that contains and closes
 * an incident is one statement, as its last event leaves the row.
 */
export async function listWrites(
  events: readonly AuditEvent[],
  earlier: EarlierEvents,
): Promise<ListWrite[]> {
  const writes: ListWrite[] = [];
  for (const chainId of new Set(events.map((e) => e.chainId))) {
    const chain = events.filter((e) => e.chainId === chainId);
    const change: RowChange = {};
    for (const event of chain) {
      switch (event.kind) {
        case 'incident.started': {
          const playbook = event.content.playbook as Partial<AuditContent['incident.started']['playbook']>;
          if (!playbook?.id) break; // not written by a playbook run: nothing to list
          const [alert, drill] = await Promise.all([
            receivedAlert(earlier, chain, event),
            isDrill(earlier, chain, event),
          ]);
          const a = (alert?.content ?? {}) as Partial<AuditContent['alert.received']>;
          writes.push(
            insertRow([
              event.chainId,
              playbook.id,
              playbook.version ?? 0,
              playbook.title ?? playbook.id,
              drill,
              a.title ?? null,
              a.severity ?? null,
              alert?.actor.replace(/^source:/, '') ?? null,
              event.at,
            ]),
          );
          break;
        }
        case 'step.succeeded':
          if (isContainment(event.content.action)) change.firstContainedAt ??= event.at;
          break;
        case 'incident.contained':
          change.status = 'contained';
          change.containedAt = event.at;
          break;
        case 'incident.closed':
          change.status = String(event.content.status);
          change.closedAt = event.at;
          break;
        case 'alert.joined':
          change.alertCount = Math.max(change.alertCount ?? 0, Number(event.content.alertCount) || 1);
          break;
        // Events that do not change the list.
        case 'alert.received':
        case 'alert.rejected':
        case 'alert.unrouted':
        case 'log.skipped':
        case 'log.dropped':
        case 'drill.started':
        case 'drill.finished':
        case 'step.started':
        case 'step.failed':
        case 'step.skipped':
        case 'step.rejected':
        case 'step.retried':
        case 'step.compensated':
        case 'step.compensation-failed':
        case 'approval.requested':
        case 'approval.viewed':
        case 'approval.decided':
        case 'approval.escalated':
        case 'approval.reminded':
        case 'approval.timed-out':
        case 'approval.closed':
        case 'chat.posted':
        case 'chat.failed':
        case 'verification.passed':
        case 'verification.failed':
        case 'config.loaded':
        case 'playbook.signed-off':
        case 'breach.decided':
        case 'breach.reminded':
          break;
        default:
          // A kind this version does not know (a newer writer): it does not change the list.
          event satisfies never;
      }
    }
    const update = updateRow(chainId, change);
    if (update) writes.push(update);
  }
  return writes;
}

/** A batch's changes to an existing row, each as the batch's last event of its kind left it. */
interface RowChange {
  firstContainedAt?: string;
  status?: string;
  containedAt?: string;
  closedAt?: string;
  alertCount?: number;
}

const placeholders = (first: number, n: number) => Array.from({ length: n }, (_, i) => `$${first + i}`);

function insertRow(values: unknown[]): ListWrite {
  return {
    // `select … where` rather than `values`, so a guard can hold it back; the casts name the
    // columns' types, which a select list does not infer.
    sql: (guard, first) => {
      const [id, pid, version, title, drill, alertTitle, severity, source, startedAt] = placeholders(
        first,
        9,
      );
      return `insert into incidents (id, playbook_id, playbook_version, playbook_title, drill, status, alert_title,
           severity, source, started_at)
         select ${id}::text, ${pid}::text, ${version}::int, ${title}::text, ${drill}::boolean, 'running',
           ${alertTitle}::text, ${severity}::text, ${source}::text, ${startedAt}::text
         where ${guard} on conflict (id) do nothing`;
    },
    params: values,
  };
}

function updateRow(id: string, change: RowChange): ListWrite | undefined {
  const columns: Array<[keyof RowChange, (p: string) => string]> = [
    ['firstContainedAt', (p) => `first_contained_at = coalesce(first_contained_at, ${p}::text)`],
    ['status', (p) => `status = ${p}::text`],
    ['containedAt', (p) => `contained_at = ${p}::text`],
    ['closedAt', (p) => `closed_at = ${p}::text`],
    ['alertCount', (p) => `alert_count = greatest(alert_count, ${p}::int)`],
  ];
  const present = columns.filter(([key]) => change[key] !== undefined);
  if (present.length === 0) return undefined;
  return {
    sql: (guard, first) =>
      `update incidents set ${present.map(([, set], i) => set(`$${first + 1 + i}`)).join(', ')}
       where id = $${first}::text and ${guard}`,
    params: [id, ...present.map(([key]) => change[key])],
  };
}

/** The earlier events, read in the transaction that writes the batch. */
function storedEvents(tx: Queryable): EarlierEvents {
  return {
    async receivedAlert(chainId) {
      const [row] = await tx.query<{ content: string; actor: string }>(
        'select content, actor from audit_events where chain_id = $1 and kind = $2 order by seq limit 1',
        [chainId, kindOf('alert.received')],
      );
      return row && { content: JSON.parse(row.content) as unknown, actor: row.actor };
    },
    async hasDrillStarted(chainId) {
      const rows = await tx.query('select 1 from audit_events where chain_id = $1 and kind = $2 limit 1', [
        chainId,
        kindOf('drill.started'),
      ]);
      return rows.length > 0;
    },
  };
}

/** The incident's alert.received: from this batch (its first, usually), else from the earlier events. */
async function receivedAlert(
  earlier: EarlierEvents,
  chain: readonly AuditEvent[],
  started: AuditEvent,
): Promise<{ content: unknown; actor: string } | undefined> {
  return chain.find((e) => e.kind === 'alert.received') ?? earlier.receivedAlert(started.chainId);
}

/** Whether the chain has a drill.started; a batch holding the chain's first event answers alone. */
async function isDrill(
  earlier: EarlierEvents,
  chain: readonly AuditEvent[],
  started: AuditEvent,
): Promise<boolean> {
  if (chain.some((e) => e.kind === 'drill.started')) return true;
  if (chain.some((e) => e.seq === 1)) return false;
  return earlier.hasDrillStarted(started.chainId);
}
