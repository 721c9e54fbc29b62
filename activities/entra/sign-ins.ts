// The account's successful sign-ins since a time, from the Entra sign-in log: what a verify step
// reads to tell whether a sign-out took. Sign-in logs need Entra ID P1 or P2; without one the step
// is skipped and says so.
import { z } from 'zod';
import { activitiesOf, defineAction } from '../action';
import { listAll, odataString, userObjectId, userRefSchema, withGraph, type GraphDeps } from './graph';

const argsSchema = z
  .object({
    user: userRefSchema,
    /** Sign-ins at or after this time (ISO 8601). */
    since: z.iso.datetime({ offset: true }),
    /** Addresses whose sign-ins are expected (the office). */
    allowIps: z.array(z.string().max(64)).max(100).default([]),
  })
  .strict();

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
    return withGraph(deps, ctx.action, `read the sign-ins of ${user}`, async (c) => {
      const id = await userObjectId(c, user);
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
  },
});

export const SIGN_IN_ACTIONS = [signInsSince] as const;

export function createSignInActivities(deps: GraphDeps) {
  return activitiesOf(SIGN_IN_ACTIONS, deps);
}
