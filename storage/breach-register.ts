// The breach register (GDPR Art. 33(5)): every real incident with the DPO's decision — reported to the
// Autoriteit Persoonsgegevens or not, the people affected informed or not — read from the audit
// record (a decision is a breach.decided event on the incident's own chain), and the claim that one
// reminder goes out when no decision is recorded near the 72-hour deadline.
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Db } from './db';
import type { AuditStore } from './audit-store';
import type { IncidentIndex, IncidentSummary } from './incident-index';
import { auditEvent, type BreachDecision } from '../workflows/model/audit-events';
import { kindOf } from './audit-event';
import { isoTime as iso } from './db';

/** GDPR Art. 33(1): report within 72 hours of becoming aware. */
export const BREACH_DEADLINE_MS = 72 * 3_600_000;

export interface RegisterEntry {
  incident: IncidentSummary;
  /** When the DPO was e-mailed (the dpo-art33 notification), if they were. */
  dpoNotifiedAt?: string;
  /** Awareness (the incident's start) plus 72 hours. */
  deadline: string;
  decision?: BreachDecision & { by: string; at: string };
  remindedAt?: string;
}

export class BreachRegister {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditStore,
    private readonly incidents: IncidentIndex,
  ) {}

  /** Records a decision on the incident's chain (a later one supersedes it; both stay on record). */
  async decide(incidentId: string, decision: BreachDecision, by: string, at = new Date()): Promise<void> {
    const digest = createHash('sha256')
      .update(stringify({ decision, by, at: at.toISOString() })!)
      .digest('hex')
      .slice(0, 16);
    await this.audit.append([
      auditEvent('breach.decided', {
        eventId: `${incidentId}:breach:${digest}`,
        chainId: incidentId,
        at: at.toISOString(),
        actor: by,
        content: { ...decision, by },
      }),
    ]);
  }

  /** Every real incident (drills are rehearsals, not breaches), newest first, in `[from, to)`. */
  async list(filter: { from?: string; to?: string } = {}): Promise<RegisterEntry[]> {
    const incidents = await this.incidents.list({ ...filter, drill: false, limit: 10_000 });
    if (incidents.length === 0) return [];
    const ids = incidents.map((i) => i.id);
    const decisions = new Map<string, RegisterEntry['decision']>();
    for (const row of await this.db.query<{ chain_id: string; at: string; content: string }>(
      'select chain_id, at, content from audit_events where kind = $2 and chain_id = any($1) order by seq',
      [ids, kindOf('breach.decided')],
    )) {
      decisions.set(row.chain_id, {
        ...(JSON.parse(row.content) as BreachDecision & { by: string }),
        at: iso(row.at),
      });
    }
    const notified = new Map<string, string>();
    for (const row of await this.db.query<{ chain_id: string; at: string }>(
      `select chain_id, min(at) as at from audit_events
       where kind = $2 and chain_id = any($1) and content like '%"template":"dpo-art33"%'
       group by chain_id`,
      [ids, kindOf('step.succeeded')],
    )) {
      notified.set(row.chain_id, iso(row.at));
    }
    const reminded = new Map<string, string>();
    for (const row of await this.db.query<{ incident_id: string; sent_at: Date | string }>(
      'select incident_id, sent_at from breach_reminders where incident_id = any($1)',
      [ids],
    )) {
      reminded.set(row.incident_id, iso(row.sent_at));
    }
    return incidents.map((incident) => ({
      incident,
      dpoNotifiedAt: notified.get(incident.id),
      deadline: new Date(Date.parse(incident.startedAt) + BREACH_DEADLINE_MS).toISOString(),
      decision: decisions.get(incident.id),
      remindedAt: reminded.get(incident.id),
    }));
  }

  /** Entries the DPO was told about that have no decision and whose deadline is within `withinMs`. */
  async due(withinMs: number, now = new Date()): Promise<RegisterEntry[]> {
    const since = new Date(now.getTime() - BREACH_DEADLINE_MS - 7 * 86_400_000).toISOString();
    return (await this.list({ from: since })).filter(
      (e) =>
        e.dpoNotifiedAt && !e.decision && !e.remindedAt && Date.parse(e.deadline) - now.getTime() <= withinMs,
    );
  }

  /** Claims the one reminder for an incident; false when another worker has. */
  async claimReminder(incidentId: string): Promise<boolean> {
    const rows = await this.db.query(
      'insert into breach_reminders (incident_id) values ($1) on conflict (incident_id) do nothing returning incident_id',
      [incidentId],
    );
    return rows.length === 1;
  }

  /** Gives the claim back (the e-mail did not go out; the next check tries again). */
  async releaseReminder(incidentId: string): Promise<void> {
    await this.db.query('delete from breach_reminders where incident_id = $1', [incidentId]);
  }
}
