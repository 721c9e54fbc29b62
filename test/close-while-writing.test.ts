// Closing an incident while one of its audit writes is still in flight: the write lands, the close
// gets through, and the record is whole. The write is held up for real: a second PostgreSQL session
// locks the audit table while the playbook waits for an approval and sends its reminder.
import { Client } from 'pg';
import { alertBody, postSigned } from './helpers/reflex';
import { started, useEntraFake } from './helpers/bootstrap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabaseUrl } from './helpers/postgres';
import { startTestReflex } from './helpers/reflex';
import { step, waitForState } from './helpers/incidents';

// Sign out, then wait for an approval that reminds every 2 s: the reminder is written from inside
// the running steps, which is what closing cancels.
function playbookDir(): string {
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, 'closing-'));
  writeFileSync(
    join(dir, 'remind.yaml'),
    `id: remind
version: 1
title: Sign out, then ask with reminders
description: A test playbook. Signs the account out, then asks on-call to block it, reminding every two seconds.
triggers:
  - types: [closing-test]
steps:
  - id: revoke-sessions
    description: Sign the account out
    action: entra.revokeSessions
    with: { user: '{{entities.users.0}}' }
  - id: disable-account
    description: Block the account
    action: entra.disableAccount
    with: { user: '{{entities.users.0}}' }
    approval:
      approvers: [on-call]
      timeout: 90s
      remindEvery: 2s
      onTimeout: skip
`,
  );
  return dir;
}

const fake = useEntraFake();
let databaseUrl = '';
beforeAll(async () => {
  databaseUrl = await freshDatabaseUrl('closing');
});
const reflex = started(
  () =>
    startTestReflex({
      databaseUrl,
      entraUrl: fake.url,
      playbooksDir: playbookDir(),
    }),
  (r) => r.stop(),
);

test('a false positive called while an audit write waits on the database closes the incident, with nothing lost', async () => {
  fake.addUser({ userPrincipalName: 'frank@museum.example' });
  const response = await postSigned(
    reflex.url,
    alertBody({
      type: 'closing-test',
      severity: 'medium',
      entities: { users: ['frank@museum.example'] },
    }),
  );
  expect(response.body.incidents).toEqual([expect.objectContaining({ playbook: 'remind' })]);
  const id = response.body.incidentId as string;
  await waitForState(reflex.gateway, id, (s) => step(s, 'disable-account').status === 'awaiting-approval');
  await reflex.gateway.get(id); // the start is on the record before the lock

  const locker = new Client({ connectionString: databaseUrl });
  await locker.connect();
  const waiting = async () =>
    Number(
      (
        await locker.query<{ n: string }>(
          "select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'",
        )
      ).rows[0]!.n,
    );
  try {
    // Lock the audit table until one of the approval's reminders (every 2 s, written from inside
    // the running steps) waits on it. A round without one is let go and tried again.
    let held = false;
    for (let round = 0; round < 5 && !held; round++) {
      await locker.query('begin');
      await locker.query('lock table audit_events in access exclusive mode');
      for (let i = 0; i < 50 && !held; i++) {
        held = (await waiting()) > 0;
        if (!held) await new Promise((r) => setTimeout(r, 100));
      }
      if (!held) await locker.query('commit');
    }
    expect(held).toBe(true);

    const closing = reflex.gateway.resolve(id, { as: 'false-positive', by: 'oncall@museum.example' });
    await new Promise((r) => setTimeout(r, 1_000));
    await locker.query('commit');
    const closed = await closing;
    expect(closed.status).toBe('false-positive');
  } finally {
    await locker.end();
  }
  const kinds = (await reflex.audit.events(id)).map((e) => e.kind);
  expect(kinds).toEqual(expect.arrayContaining(['approval.reminded', 'incident.closed']));
  expect(kinds.at(-1)).toBe('incident.closed');
  expect((await reflex.audit.verify(id)).ok).toBe(true);
}, 90_000);
