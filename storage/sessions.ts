// Browser sessions of the board: only the hash of each session's random id is stored, with what it is
// bound to — the hash of the token it was opened with, or the identity a sign-in with Microsoft gave —
// and when it ends. Shared by every server process on the same database.
import type { Db } from './db';

/** What a session stands for: a token (by its hash), or a signed-in identity. */
export type SessionBinding = { tokenHash: string } | { identity: unknown };

export class Sessions {
  constructor(private readonly db: Db) {}

  async create(idHash: string, binding: SessionBinding, expiresAt: Date): Promise<void> {
    // Expired sessions go whenever a new one starts: the table stays as small as the live ones.
    await this.db.query('delete from sessions where expires_at < now()');
    await this.db.query(
      'insert into sessions (id_hash, token_hash, identity, expires_at) values ($1, $2, $3, $4)',
      [
        idHash,
        'tokenHash' in binding ? binding.tokenHash : null,
        'identity' in binding ? JSON.stringify(binding.identity) : null,
        expiresAt.toISOString(),
      ],
    );
  }

  async find(idHash: string): Promise<SessionBinding | undefined> {
    const [row] = await this.db.query<{ token_hash: string | null; identity: string | null }>(
      'select token_hash, identity from sessions where id_hash = $1 and expires_at > now()',
      [idHash],
    );
    if (!row) return undefined;
    if (row.token_hash) return { tokenHash: row.token_hash };
    return row.identity ? { identity: JSON.parse(row.identity) as unknown } : undefined;
  }

  async remove(idHash: string): Promise<void> {
    await this.db.query('delete from sessions where id_hash = $1', [idHash]);
  }
}
