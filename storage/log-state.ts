// Where log triggers keep their place: file checkpoints and rule state, saved in one transaction.
import type { Db } from './db';
import type { LogState, LogStateStore } from '../triggers/logs/runner';

const KEY = 'log-triggers';

/** A lease the saver must hold: a process that lost it cannot overwrite its successor's place. */
export interface LogStateFence {
  lease: string;
  holder: string;
}

export class LogLeaseLostError extends Error {
  constructor() {
    super('the log-triggers lease is held by another process: this state was not saved');
  }
}

export class DbLogState implements LogStateStore {
  constructor(
    private readonly db: Db,
    private readonly fence?: LogStateFence,
  ) {}

  async load(): Promise<LogState | undefined> {
    const [row] = await this.db.query<{ value: string }>('select value from log_state where key = $1', [KEY]);
    return row ? (JSON.parse(row.value) as LogState) : undefined;
  }

  async save(state: LogState): Promise<void> {
    // With a fence, written only while the lease is this process's, in the same statement that checks it.
    const saved = await this.db.query(
      `insert into log_state (key, value)
         select $1, $2 where $3::text is null or exists (
           select 1 from leases where name = $3 and holder = $4 and expires_at >= now())
       on conflict (key) do update set value = excluded.value, updated_at = now()
       returning key`,
      [KEY, JSON.stringify(state), this.fence?.lease ?? null, this.fence?.holder ?? null],
    );
    if (saved.length === 0) throw new LogLeaseLostError();
  }
}
