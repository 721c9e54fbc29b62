// What the chaos suites (test/chaos.test.ts on one machine's processes, test/cluster.test.ts on the
// cluster topology) share: a sender that retries as a SIEM does, a storm of them, and the count of
// what every alert led to (accounts signed out, on-call told) once the kills are over.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DemoMailbox } from '../../mail/demo-mailbox';
import { alertBody, signedHeaders } from './reflex';
import { CLIENT_ID, CLIENT_SECRET, EntraFake, TENANT } from '../fakes/entra-fake';

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const readyAt = async (url: string) => {
  const status = await fetch(`${url}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  return status === 200 ? Date.now() : undefined;
};

/**
 * A SIEM sending one alert: the same delivery id and signature on every attempt, retried (every
 * 250 ms) on a refused connection or a 5xx, until a 202, or a 409 that names the incident it went to.
 */
export async function send(
  url: () => string,
  user: string,
): Promise<{ attempts: number; incidentId: string }> {
  const body = JSON.stringify(alertBody({ type: 'chaos-test', entities: { users: [user] } }));
  const headers = signedHeaders(body, { id: `chaos-${randomUUID()}` });
  let unsettled = 0;
  for (let attempts = 1; ; attempts++) {
    const answer = await fetch(`${url()}/hooks/siem`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(15_000),
    }).then(
      async (r) => ({
        status: r.status,
        body: (await r.json().catch(() => ({}))) as { incidentId?: string },
      }),
      () => ({ status: 0, body: {} as { incidentId?: string } }),
    );
    if (answer.status === 202 && answer.body.incidentId)
      return { attempts, incidentId: answer.body.incidentId };
    if (answer.status === 409 && answer.body.incidentId)
      return { attempts, incidentId: answer.body.incidentId };
    if (answer.status !== 0 && answer.status < 500 && answer.status !== 409 && answer.status !== 429)
      throw new Error(`alert for ${user} refused: ${answer.status} ${JSON.stringify(answer.body)}`);
    // A 409 without an incident: the id is claimed but no incident was ever opened for it.
    if (answer.status === 409 && ++unsettled > 40)
      throw new Error(`alert for ${user} lost: its delivery id is claimed, but it never opened an incident`);
    if (attempts > 2000) throw new Error(`alert for ${user} never accepted (last ${answer.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sends one alert per user at `rate` a second; resolves when all were accepted. */
export function storm(url: () => string, users: string[], rate: number) {
  let accepted = 0;
  const done = (async () => {
    const pending: Array<Promise<{ attempts: number; incidentId: string }>> = [];
    for (const [i, user] of users.entries()) {
      pending.push(send(url, user).then((r) => (accepted++, r)));
      if (i < users.length - 1) await new Promise((r) => setTimeout(r, 1000 / rate));
    }
    return Promise.all(pending);
  })();
  return { done, accepted: () => accepted };
}

/** What the fake and the mailbox saw per user and incident, once every alert has done its work. */
export async function outcome(fake: EntraFake, relay: DemoMailbox, users: string[], incidents: string[]) {
  const revokes = (user: string) =>
    fake
      .graphCalls()
      .filter(
        (c) =>
          c.method === 'POST' &&
          c.status === 200 &&
          decodeURIComponent(c.path).endsWith(`/users/${user}/revokeSignInSessions`),
      ).length;
  const mails = (incident: string) =>
    relay
      .list()
      .filter(
        (m) => m.headers['x-reflex-incident'] === incident && m.headers['x-reflex-template'] !== undefined,
      ).length;
  await until(
    'every account signed out and on-call told',
    () => (users.every((u) => revokes(u) > 0) && incidents.every((i) => mails(i) > 0) ? true : undefined),
    180_000,
  ).catch(() => undefined);
  const notSignedOut = users.filter((u) => revokes(u) === 0);
  const notTold = incidents.filter((i) => mails(i) === 0);
  return {
    incidentsLost: notSignedOut.length + notTold.length,
    graphMutationsDuplicated: users.reduce((n, u) => n + Math.max(0, revokes(u) - 1), 0),
    emailsDuplicated: incidents.reduce((n, i) => n + Math.max(0, mails(i) - 1), 0),
    /** What is missing, by name, so that a failure says which accounts and incidents (empty when none). */
    missing: { notSignedOut, onCallNotTold: notTold },
  };
}

export async function setting(kind: string, count: number) {
  const fake = await new EntraFake().start();
  const relay = await DemoMailbox.start();
  const suffix = randomUUID().slice(0, 6);
  const users = Array.from(
    { length: count },
    (_, i) => fake.addUser({ userPrincipalName: `${kind}-${suffix}-${i}@chaos.example` }).userPrincipalName,
  );
  const dir = mkdtempSync(join(process.env.REFLEX_TEST_ROOT!, `chaos-${kind}-`));
  const config = join(dir, 'reflex.yaml');
  return { fake, relay, users, dir, config };
}

export function configText(extra: string, fake: EntraFake) {
  return (
    `sources:\n  - name: siem\n    auth:\n      scheme: standard-webhooks\n      secrets: ['\${SIEM_SECRET}']\n` +
    `playbooks:\n  shipped: false\n  dirs: [${JSON.stringify(join(__dirname, '../fixtures/playbooks-chaos'))}]\n` +
    `contacts:\n  onCall: [oncall@chaos.example]\n` +
    `entra:\n  tenantId: ${TENANT}\n  clientId: ${CLIENT_ID}\n  clientSecret: ${CLIENT_SECRET}\n  authorityHost: ${fake.url}\n  graphBaseUrl: ${fake.url}\n` +
    extra
  );
}
