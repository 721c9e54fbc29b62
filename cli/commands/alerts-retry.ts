// `reflex alerts retry`: hands the accepted alerts the intake journal gave up on (their playbook was
// gone, or Temporal refused them for an hour) back to the servers, which open them within seconds. The
// readiness check (`reflex doctor`, /board/readiness) says when there are any and why.
import { join, resolve } from 'node:path';
import type { ReflexConfig } from '../../config/schema';
import { DatabaseInUseError, openDb } from '../../storage/db';
import { IntakeJournalStore } from '../../storage/intake-journal';
import type { Output } from './playbooks';

export async function alertsRetryCommand(config: ReflexConfig, io: Output): Promise<number> {
  let db;
  try {
    db = await openDb({ url: config.database.url, embeddedDir: join(resolve(config.dataDir), 'db') });
  } catch (err) {
    if (!(err instanceof DatabaseInUseError)) throw err;
    io.err(`reflex alerts retry: ${err.message}`);
    return 1;
  }
  try {
    const journal = new IntakeJournalStore(db);
    const handedBack = await journal.requeueFailed();
    const { pending } = await journal.backlog();
    io.out(
      handedBack === 0
        ? 'no accepted alert was given up on: nothing to retry'
        : `${handedBack} accepted alert(s) handed back to the servers (${pending} waiting in all); a running server opens them within seconds`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
