// The account's successful sign-ins since a time, from the Entra sign-in log: what a verify step
// reads to tell whether a sign-out took. Sign-in logs need Entra ID P1 or P2; without one the step
// is skipped and says so.
import { isIP } from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { activitiesOf, defineAction } from '../action';
import {
  isGuid,
  listAll,
  odataString,
  userObjectId,
  userRefSchema,
  withGraph,
  type GraphDeps,
} from './graph';

const argsSchema = z
  .object({
    user: userRefSchema,
    /** Sign-ins at or after this time (ISO 8601). */
    since: z.iso.datetime({ offset: true }),
    /** Addresses whose sign-ins are expected (the office). */
    allowIps: z.array(z.string().max(64)).max(100).default([]),
  })
  .strict();

/** What a watch's first look keeps for the next: the account's object id. */
const keptUserSchema = z.object({ user: z.string(), id: z.string().refine(isGuid) });

interface SignInRecord {
  createdDateTime: string;
  ipAddress?: string | null;
  appDisplayName?: string | null;
  status?: { errorCode?: number } | null;
  location?: { city?: string | null; countryOrRegion?: string | null } | null;
}

/** A sign-in that got in, in the fields a timeline shows. */
export interface SignIn {
  at: string;
  ip: string | null;
  app: string | null;
  place: string | null;
}

const action = defineAction<GraphDeps>();

export const signInsSince = action({
  name: 'entra.signInsSince',
  description: "Read the account's successful sign-ins since a time",
  input: argsSchema,
  permission: {
    needs: ['AuditLog.Read.All', 'User.Read.All'],
    calls: "`GET /auditLogs/signIns?$filter=userId eq '{id}' and createdDateTime ge {time}`",
  },
  licence: {
    needs: 'Entra ID P1',
    meaning:
      'Reflex cannot read sign-in logs in this tenant, so it could not verify that the sign-out took: check the sign-ins of the account in the Entra admin center.',
  },
  mutates: false,
  timeoutSeconds: 30,
  maxAttempts: 5,
  dryRun: ({ user, since }) => [
    {
      method: 'GET',
      path: `/auditLogs/signIns?$filter=userId eq '{id of ${user}}' and createdDateTime ge ${since}`,
    },
  ],
  async run(deps, { user, since, allowIps }, ctx) {
    const read = await withGraph(deps, ctx.action, `read the sign-ins of ${user}`, async (c) => {
      // A watch looks the account up once: its later looks (attempts) read the id the first one kept.
      const kept = keptUserSchema.safeParse(ctx.kept);
      const known = kept.success && kept.data.user === user ? kept.data.id : undefined;
      const id = known ?? (await userObjectId(c, user));
      if (ctx.watch && known === undefined) ctx.keep({ user, id });
      const records = await listAll<SignInRecord>(
        c,
        '/auditLogs/signIns',
        `userId eq ${odataString(id)} and createdDateTime ge ${new Date(since).toISOString()}`,
        5,
      );
      const allowed = new Set(allowIps);
      const signIns: SignIn[] = records
        .filter((r) => (r.status?.errorCode ?? 0) === 0 && !(r.ipAddress && allowed.has(r.ipAddress)))
        .map((r) => ({
          at: r.createdDateTime,
          ip: r.ipAddress ?? null,
          app: r.appDisplayName ?? null,
          place: [r.location?.city, r.location?.countryOrRegion].filter(Boolean).join(', ') || null,
        }))
        .sort((a, b) => (a.at < b.at ? -1 : 1))
        .slice(0, 10);
      return { user, since, signIns };
    });
    // A watch (a verify step): nothing yet, and time left, is a failure Temporal retries `every`
    // later. Each read covers everything since the sign-out, so a read that fails loses nothing: the
    // next one sees it too. Between reads nothing runs, and the workflow's history does not grow.
    const { watch } = ctx;
    const left = watch ? Date.parse(watch.until) - Date.now() : 0;
    if (watch && read.signIns.length === 0 && left > 0) {
      throw ApplicationFailure.create({
        type: 'NoSignInYet',
        message: `no sign-in of ${user} since ${since} yet: looking again until ${watch.until}`,
        nextRetryDelay: Math.min(watch.everySeconds * 1000, left),
        category: 'BENIGN', // logged at debug level, not counted as a failure
      });
    }
    return read;
  },
});

const addressesArgsSchema = z
  .object({
    /** The attacker's addresses (from the alert). */
    ips: z
      .array(z.string().refine((v) => isIP(v) !== 0, 'an IP address'))
      .min(1)
      .max(20),
    /** Sign-ins at or after this time, less `lookBackHours` (ISO 8601), e.g. `{{alert.occurredAt}}`. */
    since: z.iso.datetime({ offset: true }),
    /** How far before `since` to look: a spray runs for hours before anyone notices. @default 24 */
    lookBackHours: z.number().int().min(0).max(168).default(24),
    /** Accounts the alert names already: handled too, whether or not the log shows them. */
    alsoUsers: z.array(userRefSchema).max(100).default([]),
  })
  .strict();

const accountsOf = (o: unknown) => {
  const r = z
    .object({ ips: z.array(z.string()), accounts: z.array(z.string()), attempts: z.number() })
    .passthrough()
    .safeParse(o);
  return r.success ? r.data : undefined;
};

export const signInsFromAddresses = action({
  name: 'entra.signInsFromAddresses',
  description: "Find every account that signed in successfully from the attacker's addresses",
  input: addressesArgsSchema,
  permission: {
    needs: ['AuditLog.Read.All'],
    calls: "`GET /auditLogs/signIns?$filter=ipAddress eq '{ip}' and createdDateTime ge {time}`",
  },
  licence: {
    needs: 'Entra ID P1',
    meaning:
      'Reflex cannot read sign-in logs in this tenant, so only the accounts the alert names are handled: check the sign-ins from these addresses in the Entra admin center.',
  },
  mutates: false,
  timeoutSeconds: 60,
  maxAttempts: 5,
  dryRun: ({ ips }) =>
    ips.map((ip) => ({
      method: 'GET',
      path: `/auditLogs/signIns?$filter=ipAddress eq '${ip}' and createdDateTime ge …`,
    })),
  // A drill hands the alert's own accounts on, so the steps after it show what they would do.
  drillOutput: ({ ips, alsoUsers }) => ({ ips, accounts: alsoUsers, attempts: 0 }),
  reports: (o, locale) => {
    const r = accountsOf(o);
    if (!r) return undefined;
    const list = r.accounts.join(', ') || (locale === 'nl' ? 'geen' : 'none');
    return locale === 'nl'
      ? `Accounts aangemeld vanaf ${r.ips.join(', ')}: ${list} (${r.attempts} pogingen in het log).`
      : `Accounts that signed in from ${r.ips.join(', ')}: ${list} (${r.attempts} attempts in the log).`;
  },
  async run(deps, { ips, since, lookBackHours, alsoUsers }, ctx) {
    return withGraph(deps, ctx.action, `read the sign-ins from ${ips.join(', ')}`, async (c) => {
      const from = new Date(Date.parse(since) - lookBackHours * 3_600_000).toISOString();
      const accounts = new Set(alsoUsers.map((u) => u.toLowerCase()));
      let attempts = 0;
      for (const ip of ips) {
        const records = await listAll<SignInRecord & { userPrincipalName?: string | null }>(
          c,
          '/auditLogs/signIns',
          `ipAddress eq ${odataString(ip)} and createdDateTime ge ${from}`,
          20,
        );
        attempts += records.length;
        for (const r of records) {
          // Only what the log shows got in, and only names Reflex can act on.
          const upn = r.userPrincipalName?.toLowerCase();
          if ((r.status?.errorCode ?? 0) === 0 && upn && userRefSchema.safeParse(upn).success)
            accounts.add(upn);
        }
      }
      return { ips, from, accounts: [...accounts].sort().slice(0, 100), attempts };
    });
  },
});

export const SIGN_IN_ACTIONS = [signInsSince, signInsFromAddresses] as const;

export function createSignInActivities(deps: GraphDeps) {
  return activitiesOf(SIGN_IN_ACTIONS, deps);
}
