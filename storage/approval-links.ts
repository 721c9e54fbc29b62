// Approval links: random single-use tokens bound to incident, step, approver and expiry, stored only
// as SHA-256 hashes. Claiming a link is one atomic UPDATE, so two racing POSTs decide at most once.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db';

export interface ApprovalLink {
  tokenHash: string;
  incidentId: string;
  stepId: string;
  approver: string;
  expiresAt: Date;
  usedAt?: Date;
  decision?: string;
  closedAt?: Date;
  outcome?: string;
}

interface Row {
  token_hash: string;
  incident_id: string;
  step_id: string;
  approver: string;
  expires_at: Date | string;
  used_at: Date | string | null;
  decision: string | null;
  closed_at: Date | string | null;
  outcome: string | null;
}

/** Why a link cannot decide anything now. */
export type LinkRefusal = 'unknown' | 'used' | 'expired' | 'closed';

/** A claim older than this (a crash between claim and decision) no longer blocks the link. */
const STALE_CLAIM_SECONDS = 60;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function toLink(row: Row): ApprovalLink {
  const date = (v: Date | string | null) => (v === null ? undefined : new Date(v));
  return {
    tokenHash: row.token_hash,
    incidentId: row.incident_id,
    stepId: row.step_id,
    approver: row.approver,
    expiresAt: new Date(row.expires_at),
    usedAt: date(row.used_at),
    decision: row.decision ?? undefined,
    closedAt: date(row.closed_at),
    outcome: row.outcome ?? undefined,
  };
}

export class ApprovalLinks {
  constructor(private readonly db: Db) {}

  /** Makes a new link; returns the token, which exists only in the e-mail from here on. */
  async issue(incidentId: string, stepId: string, approver: string, expiresAt: Date): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db.query(
      `insert into approval_links (token_hash, incident_id, step_id, approver, expires_at) values ($1, $2, $3, $4, $5)`,
      [hashToken(token), incidentId, stepId, approver.toLowerCase(), expiresAt.toISOString()],
    );
    return token;
  }

  async find(token: string): Promise<ApprovalLink | undefined> {
    const [row] = await this.db.query<Row>('select * from approval_links where token_hash = $1', [
      hashToken(token),
    ]);
    return row ? toLink(row) : undefined;
  }

  /** Why `link` cannot be used now, or undefined when it can. */
  refusal(link: ApprovalLink | undefined, now = new Date()): LinkRefusal | undefined {
    if (!link) return 'unknown';
    if (link.usedAt) return 'used';
    if (link.closedAt) return 'closed';
    if (link.expiresAt <= now) return 'expired';
    return undefined;
  }

  /** Claims the link for one decision; undefined when it is unknown, used, closed, expired or being used. */
  async claim(token: string): Promise<ApprovalLink | undefined> {
    const [row] = await this.db.query<Row>(
      `update approval_links set claimed_at = now()
       where token_hash = $1 and used_at is null and closed_at is null and expires_at > now()
         and (claimed_at is null or claimed_at < now() - make_interval(secs => $2))
       returning *`,
      [hashToken(token), STALE_CLAIM_SECONDS],
    );
    return row ? toLink(row) : undefined;
  }

  /** Gives a claim back (the decision could not be delivered; the approver may try again). */
  async release(token: string): Promise<void> {
    await this.db.query(
      'update approval_links set claimed_at = null where token_hash = $1 and used_at is null',
      [hashToken(token)],
    );
  }

  async markUsed(token: string, use: { decision: string; ip?: string; userAgent?: string }): Promise<void> {
    await this.db.query(
      `update approval_links set used_at = now(), decision = $2, used_ip = $3, used_user_agent = $4 where token_hash = $1`,
      [hashToken(token), use.decision, use.ip ?? null, use.userAgent ?? null],
    );
  }

  /** Closes every link of a step once its approval has an outcome (or the incident ended). */
  async closeStep(incidentId: string, stepId: string, outcome: string): Promise<void> {
    await this.db.query(
      `update approval_links set closed_at = coalesce(closed_at, now()), outcome = coalesce(outcome, $3)
       where incident_id = $1 and step_id = $2`,
      [incidentId, stepId, outcome],
    );
  }

  /** Steps that still wait for a decision, with who was asked and until when. */
  async pending(
    now = new Date(),
  ): Promise<Array<{ incidentId: string; stepId: string; approvers: string[]; expiresAt: string }>> {
    const rows = await this.db.query<{
      incident_id: string;
      step_id: string;
      approvers: string[];
      expires_at: Date | string;
    }>(
      `select incident_id, step_id, array_agg(distinct approver order by approver) as approvers, max(expires_at) as expires_at
       from approval_links where closed_at is null and expires_at > $1
       group by incident_id, step_id order by max(expires_at)`,
      [now.toISOString()],
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      stepId: r.step_id,
      approvers: r.approvers,
      expiresAt: new Date(r.expires_at).toISOString(),
    }));
  }
}
