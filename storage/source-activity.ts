// Each watched source's last delivery and silence (triggers/silence.ts). Claims are single UPDATEs, so
// of several servers checking at once exactly one tells on-call.
import type { Db } from './db';
import type { SourceActivityRow, SourceActivityStore } from '../triggers/silence';
import { kindOf } from './audit-event';
import { isoTime as iso } from './db';

interface Row {
  source: string;
  first_expected_at: Date | string;
  last_seen_at: Date | string | null;
  silent_since: Date | string | null;
}

function toRow(row: Row): SourceActivityRow {
  return {
    source: row.source,
    firstExpectedAt: iso(row.first_expected_at),
    ...(row.last_seen_at ? { lastSeenAt: iso(row.last_seen_at) } : {}),
    ...(row.silent_since ? { silentSince: iso(row.silent_since) } : {}),
  };
}

export class SourceActivityTable implements SourceActivityStore {
  constructor(private readonly db: Db) {}

  async record(seen: ReadonlyMap<string, Date>): Promise<void> {
    for (const [source, at] of seen) {
      await this.db.query(
        `insert into source_activity (source, last_seen_at) values ($1, $2)
         on conflict (source) do update set last_seen_at =
           greatest(coalesce(source_activity.last_seen_at, excluded.last_seen_at), excluded.last_seen_at)`,
        [source, at.toISOString()],
      );
    }
  }

  async watch(sources: readonly string[]): Promise<SourceActivityRow[]> {
    for (const source of sources) {
      await this.db.query(
        'insert into source_activity (source) values ($1) on conflict (source) do nothing',
        [source],
      );
    }
    const rows = await this.db.query<Row>('select * from source_activity where source = any($1)', [
      [...sources],
    ]);
    return rows.map(toRow);
  }

  async list(): Promise<SourceActivityRow[]> {
    return (await this.db.query<Row>('select * from source_activity order by source')).map(toRow);
  }

  async claimSilence(source: string, heardBefore: Date): Promise<SourceActivityRow | undefined> {
    const [row] = await this.db.query<Row>(
      `update source_activity set silent_since = now()
       where source = $1 and silent_since is null and coalesce(last_seen_at, first_expected_at) < $2
       returning *`,
      [source, heardBefore.toISOString()],
    );
    return row && toRow(row);
  }

  async claimRecovery(source: string): Promise<{ silentSince: string; lastSeenAt: string } | undefined> {
    // The silence's start is read in the same statement that clears it.
    const [row] = await this.db.query<{ was: Date | string; last_seen_at: Date | string }>(
      `update source_activity a set silent_since = null
       from (select source, silent_since as was from source_activity where source = $1 for update) b
       where a.source = b.source and a.silent_since is not null and a.last_seen_at > a.silent_since
       returning b.was, a.last_seen_at`,
      [source],
    );
    return row ? { silentSince: iso(row.was), lastSeenAt: iso(row.last_seen_at) } : undefined;
  }

  async unclaim(source: string, silentSince: string | null): Promise<void> {
    await this.db.query('update source_activity set silent_since = $2 where source = $1', [
      source,
      silentSince,
    ]);
  }
}

/** The silences Reflex raised in `[from, to)` (its `source-silent` alerts on the record), oldest first. */
export async function silencesDuring(
  db: Db,
  from: string,
  to: string,
): Promise<Array<{ at: string; title: string }>> {
  const rows = await db.query<{ at: string; content: string }>(
    `select at, content from audit_events where kind = $3 and actor = 'source:reflex'
     and at >= $1 and at < $2 and content like '%"type":"source-silent"%' order by at`,
    [from, to, kindOf('alert.received')],
  );
  return rows.map((r) => ({
    at: r.at,
    title: String((JSON.parse(r.content) as { title?: string }).title ?? ''),
  }));
}
