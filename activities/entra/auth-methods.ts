// Sign-in methods an attacker registered to keep access after a password reset (a phone number, an
// Authenticator app, a security key). Listing changes nothing; removing always needs a person's
// approval (the compiler refuses the step without one): removing the owner's real method locks
// them out, and a removed security key cannot be put back by Reflex.
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { activitiesOf, defineAction } from '../action';
import {
  listAll,
  plannedRemovals,
  removeIfPresent,
  userPath,
  userRefSchema,
  withGraph,
  type GraphDeps,
} from './graph';

/** The method types Graph can delete, and the path segment that deletes each. */
const REMOVABLE: Readonly<Record<string, { segment: string; label: string }>> = {
  '#microsoft.graph.phoneAuthenticationMethod': { segment: 'phoneMethods', label: 'phone' },
  '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': {
    segment: 'microsoftAuthenticatorMethods',
    label: 'Microsoft Authenticator',
  },
  '#microsoft.graph.fido2AuthenticationMethod': { segment: 'fido2Methods', label: 'security key (FIDO2)' },
  '#microsoft.graph.softwareOathAuthenticationMethod': {
    segment: 'softwareOathMethods',
    label: 'authenticator app (code)',
  },
  '#microsoft.graph.emailAuthenticationMethod': { segment: 'emailMethods', label: 'e-mail' },
  '#microsoft.graph.temporaryAccessPassAuthenticationMethod': {
    segment: 'temporaryAccessPassMethods',
    label: 'temporary access pass',
  },
  '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': {
    segment: 'windowsHelloForBusinessMethods',
    label: 'Windows Hello',
  },
};

interface Method {
  '@odata.type': string;
  id: string;
  displayName?: string | null;
  createdDateTime?: string | null;
  phoneNumber?: string | null;
}

/** A method in the words and fields the timeline shows. */
interface Listed {
  id: string;
  type: string;
  kind: string;
  name: string | null;
  registeredAt: string | null;
}

const argsSchema = z
  .object({
    user: userRefSchema,
    /** Methods registered at or after this time (ISO 8601), e.g. `{{alert.firstSeen}}`. */
    since: z.iso.datetime({ offset: true }),
  })
  .strict();

const methodsPath = (user: string) => `${userPath(user)}/authentication/methods`;

/** The user's methods, sorted into registered since `since`, older, and those Graph gives no date for. */
async function sortedMethods(
  c: Client,
  user: string,
  since: string,
): Promise<{ recent: Listed[]; older: Listed[]; undated: Listed[] }> {
  const methods = await listAll<Method>(c, methodsPath(user));
  const sinceMs = Date.parse(since);
  const listed = methods
    .filter((m) => REMOVABLE[m['@odata.type']])
    .map((m): Listed => ({
      id: m.id,
      type: m['@odata.type'],
      kind: REMOVABLE[m['@odata.type']]!.label,
      name: m.displayName ?? m.phoneNumber ?? null,
      registeredAt: m.createdDateTime ?? null,
    }));
  return {
    recent: listed.filter((m) => m.registeredAt && Date.parse(m.registeredAt) >= sinceMs),
    older: listed.filter((m) => m.registeredAt && Date.parse(m.registeredAt) < sinceMs),
    // Phone and e-mail methods carry no registration time in Graph: a person must judge them.
    undated: listed.filter((m) => !m.registeredAt),
  };
}

const PERMISSION_READ = {
  needs: ['UserAuthenticationMethod.Read.All'],
  calls: '`GET /users/{id}/authentication/methods`',
};
const action = defineAction<GraphDeps>();
const words = (list: Listed[]) => list.map((m) => `${m.kind}${m.name ? ` "${m.name}"` : ''}`).join(', ');
const resultOf = (o: unknown) => {
  const r = z
    .object({
      user: z.string(),
      since: z.string(),
      recent: z.array(z.any()).optional(),
      removed: z.array(z.any()).optional(),
      undated: z.array(z.any()),
    })
    .passthrough()
    .safeParse(o);
  return r.success ? r.data : undefined;
};

export const listAuthMethods = action({
  name: 'entra.listAuthMethods',
  description: 'List the sign-in methods registered on the account since the attack began',
  input: argsSchema,
  permission: PERMISSION_READ,
  mutates: false,
  timeoutSeconds: 30,
  maxAttempts: 8,
  // A drill's user does not exist, so even this read is only described.
  dryRun: ({ user }) => [{ method: 'GET', path: methodsPath(user) }],
  reports: (o, locale) => {
    const r = resultOf(o);
    if (!r?.recent) return undefined;
    const undated = r.undated.length ? words(r.undated as Listed[]) : '';
    if (locale === 'nl') {
      return `${r.recent.length ? `Sinds ${r.since} geregistreerd bij ${r.user}: ${words(r.recent as Listed[])}.` : `Geen nieuwe aanmeldmethoden bij ${r.user} sinds ${r.since}.`}${undated ? ` Zonder datum (zelf beoordelen): ${undated}.` : ''}`;
    }
    return `${r.recent.length ? `Registered on ${r.user} since ${r.since}: ${words(r.recent as Listed[])}.` : `No new sign-in methods on ${r.user} since ${r.since}.`}${undated ? ` Without a date (judge them yourself): ${undated}.` : ''}`;
  },
  async run(deps, { user, since }, ctx) {
    return withGraph(deps, ctx.action, `list the sign-in methods of ${user}`, async (c) => {
      const { recent, older, undated } = await sortedMethods(c, user, since);
      return { user, since, recent, older: older.length, undated };
    });
  },
});

export const removeAuthMethodsSince = action({
  name: 'entra.removeAuthMethodsSince',
  description: 'Remove the sign-in methods registered on the account since the attack began',
  input: argsSchema,
  permission: {
    needs: ['UserAuthenticationMethod.ReadWrite.All'],
    calls: '`GET /users/{id}/authentication/methods`, `DELETE /users/{id}/authentication/{type}Methods/{id}`',
  },
  mutates: true,
  containment: true,
  requiresApproval: true,
  timeoutSeconds: 60,
  maxAttempts: 8,
  dryRun: ({ user, since }) => [
    { method: 'GET', path: methodsPath(user) },
    {
      method: 'DELETE',
      path: `${userPath(user)}/authentication/{type}Methods/{id} (each registered since ${since})`,
    },
  ],
  reports: (o, locale) => {
    const r = resultOf(o);
    if (!r?.removed) return undefined;
    const undated = r.undated.length ? words(r.undated as Listed[]) : '';
    if (locale === 'nl') {
      return `${r.removed.length ? `Verwijderd bij ${r.user}: ${words(r.removed as Listed[])}.` : `Niets te verwijderen bij ${r.user}.`}${undated ? ` Niet aangeraakt, zonder datum: ${undated}.` : ''}`;
    }
    return `${r.removed.length ? `Removed from ${r.user}: ${words(r.removed as Listed[])}.` : `Nothing to remove from ${r.user}.`}${undated ? ` Left alone, no date: ${undated}.` : ''}`;
  },
  async run(deps, { user, since }, ctx) {
    return withGraph(
      deps,
      ctx.action,
      `remove the sign-in methods of ${user} registered since ${since}`,
      async (c) => {
        const { recent, undated } = await sortedMethods(c, user, since);
        const plan = plannedRemovals(recent, (m) => m.id);
        for (const m of plan) {
          const segment = REMOVABLE[m.type]!.segment;
          await removeIfPresent(() =>
            c.api(`${userPath(user)}/authentication/${segment}/${encodeURIComponent(m.id)}`).delete(),
          );
        }
        return { user, since, removed: plan, undated };
      },
    );
  },
});

export const AUTH_METHOD_ACTIONS = [listAuthMethods, removeAuthMethodsSince] as const;

export function createAuthMethodActivities(deps: GraphDeps) {
  return activitiesOf(AUTH_METHOD_ACTIONS, deps);
}
