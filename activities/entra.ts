// Entra ID containment through Microsoft Graph. Every call is idempotent (revoke, PATCH to a state,
// confirm) so a retry after a crash is safe; every action has a dry-run path for drills.
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { userArgsSchema } from './catalog';
import { graphFailure } from './graph-errors';
import type { ActionInput } from './types';

/** The least-privilege application permission of each action (docs/PERMISSIONS.md). */
export const ENTRA_PERMISSIONS = {
  'entra.revokeSessions': 'User.RevokeSessions.All',
  'entra.disableAccount': 'User.EnableDisableAccount.All (with User.Read.All)',
  'entra.enableAccount': 'User.EnableDisableAccount.All (with User.Read.All)',
  'entra.forcePasswordChange': 'User-PasswordProfile.ReadWrite.All',
  'entra.confirmCompromised': 'IdentityRiskyUser.ReadWrite.All (with User.Read.All)',
  'entra.dismissCompromised': 'IdentityRiskyUser.ReadWrite.All (with User.Read.All)',
  'entra.lookupUser': 'User.Read.All',
} as const;

type EntraAction = keyof typeof ENTRA_PERMISSIONS;

export interface DryRun {
  dryRun: true;
  /** Exactly what would be called, and nothing was. */
  wouldCall: Array<{ method: string; path: string; body?: unknown }>;
}

export interface EntraDeps {
  /** The Graph client, or undefined when Entra ID is not configured (then only drills work). */
  graph: Client | undefined;
}

function userOf(input: ActionInput, action: EntraAction): string {
  const parsed = userArgsSchema.safeParse(input.args);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `${action}: with.user: ${parsed.error.issues[0]!.message}`,
      'InvalidArguments',
    );
  }
  return parsed.data.user;
}

const userPath = (user: string) => `/users/${encodeURIComponent(user)}`;

export function createEntraActivities({ graph }: EntraDeps) {
  /** Runs `calls` against Graph, or describes them in a drill. */
  async function perform<T>(
    action: EntraAction,
    input: ActionInput,
    what: string,
    plan: Array<{ method: string; path: string; body?: unknown }>,
    run: (client: Client) => Promise<T>,
  ): Promise<T | DryRun> {
    if (input.drill) return { dryRun: true, wouldCall: plan };
    if (!graph) {
      throw ApplicationFailure.nonRetryable(
        `${action}: Entra ID is not configured: set entra.tenantId, entra.clientId and entra.clientSecret (or ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)`,
        'EntraNotConfigured',
      );
    }
    try {
      return await run(graph);
    } catch (err) {
      throw graphFailure(err, { what, permission: ENTRA_PERMISSIONS[action] });
    }
  }

  /** confirmCompromised and dismiss take object ids: a UPN is looked up first. */
  async function objectId(client: Client, user: string): Promise<string> {
    if (/^[0-9a-f-]{36}$/i.test(user)) return user;
    const found = (await client.api(userPath(user)).select('id').get()) as { id: string };
    return found.id;
  }

  return {
    async 'entra.revokeSessions'(input: ActionInput) {
      const user = userOf(input, 'entra.revokeSessions');
      const path = `${userPath(user)}/revokeSignInSessions`;
      return perform(
        'entra.revokeSessions',
        input,
        `revoke the sessions of ${user}`,
        [{ method: 'POST', path }],
        async (c) => {
          await c.api(path).post({});
          return { user, sessionsRevoked: true };
        },
      );
    },

    async 'entra.disableAccount'(input: ActionInput) {
      const user = userOf(input, 'entra.disableAccount');
      const body = { accountEnabled: false };
      return perform(
        'entra.disableAccount',
        input,
        `disable ${user}`,
        [{ method: 'PATCH', path: userPath(user), body }],
        async (c) => {
          await c.api(userPath(user)).patch(body);
          return { user, accountEnabled: false };
        },
      );
    },

    async 'entra.enableAccount'(input: ActionInput) {
      const user = userOf(input, 'entra.enableAccount');
      const body = { accountEnabled: true };
      return perform(
        'entra.enableAccount',
        input,
        `re-enable ${user}`,
        [{ method: 'PATCH', path: userPath(user), body }],
        async (c) => {
          await c.api(userPath(user)).patch(body);
          return { user, accountEnabled: true };
        },
      );
    },

    async 'entra.forcePasswordChange'(input: ActionInput) {
      const user = userOf(input, 'entra.forcePasswordChange');
      const plan = [
        {
          method: 'PATCH',
          path: userPath(user),
          body: {
            passwordProfile: { password: '(random, never stored)', forceChangePasswordNextSignIn: true },
          },
        },
      ];
      return perform(
        'entra.forcePasswordChange',
        input,
        `force a password change for ${user}`,
        plan,
        async (c) => {
          // App-only calls must set a password: a random one nobody knows, replaced by the user at sign-in.
          const password = `${randomBytes(24).toString('base64url')}aA1!`;
          await c
            .api(userPath(user))
            .patch({ passwordProfile: { password, forceChangePasswordNextSignIn: true } });
          return { user, forceChangePasswordNextSignIn: true };
        },
      );
    },

    async 'entra.confirmCompromised'(input: ActionInput) {
      const user = userOf(input, 'entra.confirmCompromised');
      const path = '/identityProtection/riskyUsers/confirmCompromised';
      return perform(
        'entra.confirmCompromised',
        input,
        `confirm ${user} compromised`,
        [{ method: 'POST', path, body: { userIds: [user] } }],
        async (c) => {
          const id = await objectId(c, user);
          await c.api(path).post({ userIds: [id] });
          return { user, userId: id, confirmedCompromised: true };
        },
      );
    },

    async 'entra.dismissCompromised'(input: ActionInput) {
      const user = userOf(input, 'entra.dismissCompromised');
      const path = '/identityProtection/riskyUsers/dismiss';
      return perform(
        'entra.dismissCompromised',
        input,
        `dismiss the risk of ${user}`,
        [{ method: 'POST', path, body: { userIds: [user] } }],
        async (c) => {
          const id = await objectId(c, user);
          await c.api(path).post({ userIds: [id] });
          return { user, userId: id, riskDismissed: true };
        },
      );
    },

    async 'entra.lookupUser'(input: ActionInput) {
      const user = userOf(input, 'entra.lookupUser');
      const plan = [
        { method: 'GET', path: userPath(user) },
        { method: 'GET', path: `${userPath(user)}/manager` },
      ];
      return perform('entra.lookupUser', input, `look up ${user}`, plan, async (c) => {
        const found = (await c
          .api(userPath(user))
          .select(['id', 'displayName', 'userPrincipalName', 'accountEnabled'])
          .get()) as { id: string; displayName: string; userPrincipalName: string; accountEnabled: boolean };
        let manager: { displayName?: string; mail?: string } | undefined;
        try {
          manager = (await c
            .api(`${userPath(user)}/manager`)
            .select(['displayName', 'mail'])
            .get()) as typeof manager;
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 404) throw err; // no manager is an answer
        }
        return {
          ...found,
          manager: manager ? { displayName: manager.displayName, mail: manager.mail } : null,
        };
      });
    },
  };
}
