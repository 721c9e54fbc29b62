// Entra ID containment of a user through Microsoft Graph. Every call is idempotent (revoke, PATCH to a
// state, confirm), so a retry after a crash is safe; every action has a dry-run path for drills.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { activitiesOf, defineAction } from '../action';
import { userObjectId, userPath, userRefSchema, withGraph, type GraphDeps } from './graph';

export const userArgsSchema = z.object({ user: userRefSchema }).strict();
type UserArgs = z.infer<typeof userArgsSchema>;

const action = defineAction<GraphDeps>();

const ENABLE_DISABLE = {
  needs: ['User.EnableDisableAccount.All', 'User.Read.All'],
  calls: '`PATCH /users/{id}` `{"accountEnabled": …}`',
};
const RISKY_USERS = { needs: ['IdentityRiskyUser.ReadWrite.All', 'User.Read.All'] };

export const revokeSessions = action({
  name: 'entra.revokeSessions',
  description: 'Sign the user out everywhere (revoke all sessions and refresh tokens)',
  input: userArgsSchema,
  permission: { needs: ['User.RevokeSessions.All'], calls: '`POST /users/{id}/revokeSignInSessions`' },
  mutates: true,
  containment: true,
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [{ method: 'POST', path: `${userPath(user)}/revokeSignInSessions` }],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `revoke the sessions of ${user}`, async (c) => {
      await c.api(`${userPath(user)}/revokeSignInSessions`).post({});
      return { user, sessionsRevoked: true };
    });
  },
});

export const disableAccount = action({
  name: 'entra.disableAccount',
  description: 'Block the account from signing in',
  input: userArgsSchema,
  permission: ENABLE_DISABLE,
  mutates: true,
  containment: true,
  undo: 'entra.enableAccount',
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [
    { method: 'PATCH', path: userPath(user), body: { accountEnabled: false } },
  ],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `disable ${user}`, async (c) => {
      await c.api(userPath(user)).patch({ accountEnabled: false });
      return { user, accountEnabled: false };
    });
  },
});

export const enableAccount = action({
  name: 'entra.enableAccount',
  description: 'Allow the account to sign in again',
  input: userArgsSchema,
  permission: ENABLE_DISABLE,
  mutates: true,
  undo: 'entra.disableAccount',
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [{ method: 'PATCH', path: userPath(user), body: { accountEnabled: true } }],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `re-enable ${user}`, async (c) => {
      await c.api(userPath(user)).patch({ accountEnabled: true });
      return { user, accountEnabled: true };
    });
  },
});

export const forcePasswordChange = action({
  name: 'entra.forcePasswordChange',
  description: 'Make the user choose a new password at the next sign-in',
  input: userArgsSchema,
  permission: {
    needs: ['User-PasswordProfile.ReadWrite.All'],
    calls: '`PATCH /users/{id}` `passwordProfile`',
  },
  mutates: true,
  containment: true,
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [
    {
      method: 'PATCH',
      path: userPath(user),
      body: { passwordProfile: { password: '(random, never stored)', forceChangePasswordNextSignIn: true } },
    },
  ],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `force a password change for ${user}`, async (c) => {
      // App-only calls must set a password: a random one nobody knows, replaced by the user at sign-in.
      const password = `${randomBytes(24).toString('base64url')}aA1!`;
      await c
        .api(userPath(user))
        .patch({ passwordProfile: { password, forceChangePasswordNextSignIn: true } });
      return { user, forceChangePasswordNextSignIn: true };
    });
  },
});

export const confirmCompromised = action({
  name: 'entra.confirmCompromised',
  description: 'Mark the user as compromised in Entra ID Protection',
  input: userArgsSchema,
  permission: { ...RISKY_USERS, calls: '`POST /identityProtection/riskyUsers/confirmCompromised`' },
  licence: {
    needs: 'Entra ID P2',
    meaning:
      'the user is not marked compromised in Entra ID Protection, so risk-based policies will not act on them; the other containment steps (sign-out, block) are not affected.',
  },
  mutates: true,
  containment: true,
  undo: 'entra.dismissCompromised',
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [
    { method: 'POST', path: '/identityProtection/riskyUsers/confirmCompromised', body: { userIds: [user] } },
  ],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `confirm ${user} compromised`, async (c) => {
      const id = await userObjectId(c, user);
      await c.api('/identityProtection/riskyUsers/confirmCompromised').post({ userIds: [id] });
      return { user, userId: id, confirmedCompromised: true };
    });
  },
});

export const dismissCompromised = action({
  name: 'entra.dismissCompromised',
  description: "Clear the user's risk in Entra ID Protection",
  input: userArgsSchema,
  permission: { ...RISKY_USERS, calls: '`POST /identityProtection/riskyUsers/dismiss`' },
  licence: { needs: 'Entra ID P2', meaning: "the user's risk in Entra ID Protection is left as it was." },
  mutates: true,
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [
    { method: 'POST', path: '/identityProtection/riskyUsers/dismiss', body: { userIds: [user] } },
  ],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `dismiss the risk of ${user}`, async (c) => {
      const id = await userObjectId(c, user);
      await c.api('/identityProtection/riskyUsers/dismiss').post({ userIds: [id] });
      return { user, userId: id, riskDismissed: true };
    });
  },
});

export const lookupUser = action({
  name: 'entra.lookupUser',
  description: "Look up the user's name and manager",
  input: userArgsSchema,
  permission: { needs: ['User.Read.All'], calls: '`GET /users/{id}`, `GET /users/{id}/manager`' },
  mutates: false,
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ user }: UserArgs) => [
    { method: 'GET', path: userPath(user) },
    { method: 'GET', path: `${userPath(user)}/manager` },
  ],
  async run(deps, { user }, ctx) {
    return withGraph(deps, ctx.action, `look up ${user}`, async (c) => {
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
      return { ...found, manager: manager ? { displayName: manager.displayName, mail: manager.mail } : null };
    });
  },
});

export const ENTRA_USER_ACTIONS = [
  revokeSessions,
  disableAccount,
  enableAccount,
  forcePasswordChange,
  confirmCompromised,
  dismissCompromised,
  lookupUser,
] as const;

export function createEntraActivities(deps: GraphDeps) {
  return activitiesOf(ENTRA_USER_ACTIONS, deps);
}
