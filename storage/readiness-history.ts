// The readiness check's problems over time: each run opens a row for a problem not seen open before,
// keeps the open ones' last sighting, and closes those that are gone. The quarterly report reads how
// long each stayed open.
import { isoTime as iso, type Db } from './db';

export interface FindingSpan {
  check: string;
  message: string;
  fix?: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
}

export class ReadinessHistory {
  constructor(private readonly db: Db) {}

  /** Records one run's problems at `at`. */
  async record(
    problems: ReadonlyArray<{ check: string; message: string; fix?: string }>,
    at = new Date(),
  ): Promise<void> {
    const now = at.toISOString();
    await this.db.transaction(async (tx) => {
      const open = await tx.query<{ check_name: string; message: string }>(
        'select check_name, message from readiness_findings where resolved_at is null',
      );
      const key = (c: string, m: string) => `${c}\u0000${m}`;
      const current = new Set(problems.map((p) => key(p.check, p.message)));
      for (const row of open) {
        if (!current.has(key(row.check_name, row.message))) {
          await tx.query(
            'update readiness_findings set resolved_at = $3 where check_name = $1 and message = $2 and resolved_at is null',
            [row.check_name, row.message, now],
          );
        }
      }
      const stillOpen = new Set(open.map((r) => key(r.check_name, r.message)));
      for (const p of problems) {
        if (stillOpen.has(key(p.check, p.message))) {
          await tx.query(
            'update readiness_findings set last_seen = $3 where check_name = $1 and message = $2 and resolved_at is null',
            [p.check, p.message, now],
          );
        } else {
          await tx.query(
            'insert into readiness_findings (check_name, message, fix, first_seen, last_seen) values ($1, $2, $3, $4, $4)',
            [p.check, p.message, p.fix ?? null, now],
          );
        }
      }
    });
  }

  /** Problems open at any time in `[from, to)`. */
  async during(from: string, to: string): Promise<FindingSpan[]> {
    const rows = await this.db.query<{
      check_name: string;
      message: string;
      fix: string | null;
      first_seen: Date | string;
      last_seen: Date | string;
      resolved_at: Date | string | null;
    }>(
      `select * from readiness_findings where first_seen < $2 and (resolved_at is null or resolved_at >= $1)
       order by first_seen`,
      [from, to],
    );
    return rows.map((r) => ({
      check: r.check_name,
      message: r.message,
      ...(r.fix ? { fix: r.fix } : {}),
      firstSeen: iso(r.first_seen),
      lastSeen: iso(r.last_seen),
      ...(r.resolved_at ? { resolvedAt: iso(r.resolved_at) } : {}),
    }));
  }
}
