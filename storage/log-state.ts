// Where log triggers keep their place: file checkpoints and rule state, saved in one transaction.
import type { Db } from './db';
import type { LogState, LogStateStore } from '../triggers/logs/runner';

const KEY = 'log-triggers';

export class DbLogState implements LogStateStore {
  constructor(private readonly db: Db) {}

  async load(): Promise<LogState | undefined> {
    const [row] = await this.db.query<{ value: string }>('select value from log_state where key = $1', [KEY]);
    return row ? (JSON.parse(row.value) as LogState) : undefined;
  }

  async save(state: LogState): Promise<void> {
    await this.db.query(
      `insert into log_state (key, value) values ($1, $2)
       on conflict (key) do update set value = excluded.value, updated_at = now()`,
      [KEY, JSON.stringify(state)],
    );
  }
}
