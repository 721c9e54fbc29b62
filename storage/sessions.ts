// Browser sessions of the board: only the hash of each session's random id is stored, with the hash of
// the token it was opened with and when it ends. Shared by every server process on the same database.
import type { Db } from './db';

export class Sessions {
  constructor(private readonly db: Db) {}

  async create(idHash: string, tokenHash: string, expiresAt: Date): Promise<void> {
    // Expired sessions go whenever a new one starts: the table stays as small as the live ones.
    await this.db.query('delete from sessions where expires_at < now()');
    await this.db.query('insert into sessions (id_hash, token_hash, expires_at) values ($1, $2, $3)', [
      idHash,
      tokenHash,
      expiresAt.toISOString(),
    ]);
  }

  async find(idHash: string): Promise<{ tokenHash: string } | undefined> {
    const [row] = await this.db.query<{ token_hash: string }>(
      'select token_hash from sessions where id_hash = $1 and expires_at > now()',
      [idHash],
    );
    return row ? { tokenHash: row.token_hash } : undefined;
  }

  async remove(idHash: string): Promise<void> {
    await this.db.query('delete from sessions where id_hash = $1', [idHash]);
  }
}
