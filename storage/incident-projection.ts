// Projects audit events onto the `incidents` list table, inside the transaction that writes them, so
// the list never disagrees with the record. Reads every kind of event; most leave the row alone.
import { isContainment } from '../activities/actions';
import type { Queryable } from './db';
import { kindOf, type AuditEvent } from './audit-event';
import type { AuditContent } from '../workflows/model/audit-events';

/** Applies newly written events of one chain to its row. Runs inside the audit write's transaction. */
export async function projectEvents(tx: Queryable, events: readonly AuditEvent[]): Promise<void> {
  for (const event of events) {
    switch (event.kind) {
      case 'incident.started': {
        const playbook = event.content.playbook as Partial<AuditContent['incident.started']['playbook']>;
        if (!playbook?.id) break; // not written by a playbook run: nothing to list
        const [alert, drill] = await Promise.all([
          receivedAlert(tx, events, event),
          isDrill(tx, events, event),
        ]);
        const a = (alert?.content ?? {}) as Partial<AuditContent['alert.received']>;
        await tx.query(
          `insert into incidents (id, playbook_id, playbook_version, playbook_title, drill, status, alert_title,
             severity, source, started_at)
           values ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9) on conflict (id) do nothing`,
          [
            event.chainId,
            playbook.id,
            playbook.version ?? 0,
            playbook.title ?? playbook.id,
            drill,
            a.title ?? null,
            a.severity ?? null,
            alert?.actor.replace(/^source:/, '') ?? null,
            event.at,
          ],
        );
        break;
      }
      case 'step.succeeded':
        if (isContainment(event.content.action)) {
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
          String(event.content.status),
          event.at,
        ]);
        break;
      case 'alert.joined':
        await tx.query('update incidents set alert_count = greatest(alert_count, $2) where id = $1', [
          event.chainId,
          Number(event.content.alertCount) || 1,
        ]);
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
}

/** The incident's alert.received: from this batch (its first, usually), else from the store. */
async function receivedAlert(
  tx: Queryable,
  batch: readonly AuditEvent[],
  started: AuditEvent,
): Promise<{ content: unknown; actor: string } | undefined> {
  const inBatch = batch.find((e) => e.chainId === started.chainId && e.kind === 'alert.received');
  if (inBatch) return inBatch;
  const [row] = await tx.query<{ content: string; actor: string }>(
    'select content, actor from audit_events where chain_id = $1 and kind = $2 order by seq limit 1',
    [started.chainId, kindOf('alert.received')],
  );
  return row && { content: JSON.parse(row.content) as unknown, actor: row.actor };
}

/** Whether the chain has a drill.started; a batch holding the chain's first event answers alone. */
async function isDrill(tx: Queryable, batch: readonly AuditEvent[], started: AuditEvent): Promise<boolean> {
  const chain = batch.filter((e) => e.chainId === started.chainId);
  if (chain.some((e) => e.kind === 'drill.started')) return true;
  if (chain.some((e) => e.seq === 1)) return false;
  const rows = await tx.query('select 1 from audit_events where chain_id = $1 and kind = $2 limit 1', [
    started.chainId,
    kindOf('drill.started'),
  ]);
  return rows.length > 0;
}
