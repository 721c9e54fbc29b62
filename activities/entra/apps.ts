// Evicting an application an attacker got consented: disable its service principal (never delete it:
// a deleted app comes back the next time someone consents), and revoke what it was granted, keeping
// a copy of every grant so a false positive can put them back. After Microsoft's app-consent
// incident-response playbook.
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { activitiesOf, defineAction, structured } from '../action';
import {
  encodedFilter,
  isGuid,
  isNotFound,
  listAll,
  odataString,
  plannedRemovals,
  removeIfPresent,
  userObjectId,
  userRefSchema,
  withGraph,
  type GraphDeps,
} from './graph';

/** An application: its service principal's object id, its application (client) id, or its exact display name. */
export const appRefSchema = z
  .string()
  .min(1)
  .max(256)
  .describe("the service principal's object id, the application (client) id, or the exact display name");

const appArgsSchema = z.object({ app: appRefSchema }).strict();
type AppArgs = z.infer<typeof appArgsSchema>;

/**
 * Tenants whose applications are Microsoft's own (Office 365, Teams, Graph Explorer …): disabling one
 * would switch off a service for the whole organisation, so Reflex refuses and a person decides.
 */
const MICROSOFT_TENANTS = new Set([
  'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
  '72f988bf-86f1-41af-91ab-2d7cd011db47',
]);

interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  accountEnabled: boolean;
  appOwnerOrganizationId?: string | null;
}

const SP_FIELDS = ['id', 'appId', 'displayName', 'accountEnabled', 'appOwnerOrganizationId'];
const spPath = (id: string) => `/servicePrincipals/${encodeURIComponent(id)}`;

/** The service principal `app` names; a display name must name exactly one (an attacker can copy names). */
async function servicePrincipal(c: Client, app: string): Promise<ServicePrincipal> {
  if (isGuid(app)) {
    try {
      return (await c.api(spPath(app)).select(SP_FIELDS).get()) as ServicePrincipal;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const byAppId = (await c
      .api('/servicePrincipals')
      .filter(encodedFilter(`appId eq ${odataString(app)}`))
      .select(SP_FIELDS)
      .get()) as { value: ServicePrincipal[] };
    if (byAppId.value[0]) return byAppId.value[0];
    throw ApplicationFailure.nonRetryable(
      `no application in this tenant has the id ${app}`,
      'ApplicationNotFound',
    );
  }
  const named = (await c
    .api('/servicePrincipals')
    .filter(encodedFilter(`displayName eq ${odataString(app)}`))
    .select(SP_FIELDS)
    .top(5)
    .get()) as { value: ServicePrincipal[] };
  if (named.value.length === 1) return named.value[0]!;
  throw ApplicationFailure.nonRetryable(
    named.value.length === 0
      ? `no application in this tenant is named ${JSON.stringify(app)}`
      : `${named.value.length} applications are named ${JSON.stringify(app)} (ids ${named.value.map((s) => s.appId).join(', ')}): a person must say which; name it by its id`,
    named.value.length === 0 ? 'ApplicationNotFound' : 'ApplicationAmbiguous',
  );
}

const SP_PERMISSION = {
  needs: ['Application.ReadWrite.All'],
  calls: '`GET /servicePrincipals`, `PATCH /servicePrincipals/{id}` `{"accountEnabled": …}`',
};
const action = defineAction<GraphDeps>();
const named = (o: unknown) =>
  o && typeof o === 'object' && typeof (o as { displayName?: unknown }).displayName === 'string'
    ? (o as { displayName: string }).displayName
    : 'the application';

export const disableServicePrincipal = action({
  name: 'entra.disableServicePrincipal',
  description: 'Disable the application in this tenant (nobody can sign in to it or use its access)',
  input: appArgsSchema,
  permission: SP_PERMISSION,
  mutates: true,
  containment: true,
  undo: 'entra.enableServicePrincipal',
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ app }: AppArgs) => [
    { method: 'GET', path: `/servicePrincipals (the one named ${JSON.stringify(app)})` },
    { method: 'PATCH', path: '/servicePrincipals/{id}', body: { accountEnabled: false } },
  ],
  reports: (o, locale) =>
    locale === 'nl'
      ? `${named(o)} is uitgeschakeld (niet verwijderd).`
      : `${named(o)} is disabled (not deleted).`,
  async run(deps, { app }, ctx) {
    return withGraph(deps, ctx.action, `disable the application ${app}`, async (c) => {
      const sp = await servicePrincipal(c, app);
      if (sp.appOwnerOrganizationId && MICROSOFT_TENANTS.has(sp.appOwnerOrganizationId)) {
        throw ApplicationFailure.nonRetryable(
          `${sp.displayName} (${sp.appId}) is one of Microsoft's own applications; disabling it would switch it off for everyone, so Reflex leaves it to a person`,
          'FirstPartyApplication',
        );
      }
      await c.api(spPath(sp.id)).patch({ accountEnabled: false });
      return {
        servicePrincipalId: sp.id,
        appId: sp.appId,
        displayName: sp.displayName,
        wasEnabled: sp.accountEnabled,
        accountEnabled: false,
      };
    });
  },
});

export const enableServicePrincipal = action({
  name: 'entra.enableServicePrincipal',
  description: 'Enable the application in this tenant again',
  input: appArgsSchema,
  permission: SP_PERMISSION,
  mutates: true,
  undo: 'entra.disableServicePrincipal',
  timeoutSeconds: 30,
  maxAttempts: 8,
  dryRun: ({ app }: AppArgs) => [
    { method: 'PATCH', path: `/servicePrincipals/${app}`, body: { accountEnabled: true } },
  ],
  reports: (o, locale) =>
    locale === 'nl' ? `${named(o)} is weer ingeschakeld.` : `${named(o)} is enabled again.`,
  async run(deps, { app }, ctx) {
    return withGraph(deps, ctx.action, `enable the application ${app}`, async (c) => {
      const sp = await servicePrincipal(c, app);
      await c.api(spPath(sp.id)).patch({ accountEnabled: true });
      return {
        servicePrincipalId: sp.id,
        appId: sp.appId,
        displayName: sp.displayName,
        accountEnabled: true,
      };
    });
  },
});

/** A delegated permission grant, as Graph lists it and as it can be created again. */
const grantSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  consentType: z.string(),
  principalId: z.string().nullable().optional(),
  resourceId: z.string(),
  scope: z.string().optional(),
});
/** An app-role assignment: an application permission given to the app, or a user assigned to it. */
const assignmentSchema = z.object({
  id: z.string(),
  principalId: z.string(),
  principalType: z.string().optional(),
  principalDisplayName: z.string().nullable().optional(),
  resourceId: z.string(),
  resourceDisplayName: z.string().nullable().optional(),
  appRoleId: z.string(),
});
type Grant = z.infer<typeof grantSchema>;
type Assignment = z.infer<typeof assignmentSchema>;

export const removedGrantsSchema = z
  .object({
    /** Delegated permission grants (consents), as they were. */
    grants: z.array(grantSchema.passthrough()).default([]),
    /** Application permissions the app held. */
    appRoles: z.array(assignmentSchema.passthrough()).default([]),
    /** Users and groups assigned to the app. */
    assignedTo: z.array(assignmentSchema.passthrough()).default([]),
  })
  .strict();

const revokeArgsSchema = z
  .object({
    app: appRefSchema,
    /** Only this user's consent and assignment; without it, everything the app was granted. */
    user: userRefSchema.optional(),
  })
  .strict();

const GRANT_PERMISSION = {
  needs: [
    'DelegatedPermissionGrant.ReadWrite.All',
    'AppRoleAssignment.ReadWrite.All',
    'Application.Read.All',
  ],
  calls:
    '`GET`/`DELETE /oauth2PermissionGrants`, `GET`/`DELETE /servicePrincipals/{id}/appRoleAssignments` and `…/appRoleAssignedTo`',
};

type Removal = { kind: 'grant'; item: Grant } | { kind: 'appRole' | 'assignedTo'; item: Assignment };

const counted = (o: unknown) => {
  const parsed = z
    .object({ displayName: z.string(), removed: removedGrantsSchema })
    .passthrough()
    .safeParse(o);
  return parsed.success ? parsed.data : undefined;
};

export const revokeAppGrants = action({
  name: 'entra.revokeAppGrants',
  description: "Revoke the application's consents and role assignments (a copy is kept to restore them)",
  input: revokeArgsSchema,
  // In a drill the app was not really disabled, so the id a real run reads from that step is missing.
  drillInput: revokeArgsSchema.extend({ app: z.string().optional() }) as unknown as typeof revokeArgsSchema,
  permission: GRANT_PERMISSION,
  mutates: true,
  containment: true,
  undo: 'entra.restoreAppGrants',
  timeoutSeconds: 60,
  maxAttempts: 8,
  dryRun: ({ app, user }) => [
    { method: 'GET', path: `/oauth2PermissionGrants?$filter=clientId eq '{id of ${app}}'` },
    { method: 'DELETE', path: `/oauth2PermissionGrants/{id}${user ? ` (those of ${user})` : ''}` },
    { method: 'DELETE', path: '/servicePrincipals/{id}/appRoleAssignments/{id}' },
    { method: 'DELETE', path: '/servicePrincipals/{id}/appRoleAssignedTo/{id}' },
  ],
  reports: (o, locale) => {
    const r = counted(o);
    if (!r) return undefined;
    const { grants, appRoles, assignedTo } = r.removed;
    return locale === 'nl'
      ? `Van ${r.displayName} ingetrokken: ${grants.length} toestemming(en), ${appRoles.length} toepassingsrecht(en), ${assignedTo.length} toewijzing(en); een kopie is bewaard.`
      : `Revoked from ${r.displayName}: ${grants.length} consent(s), ${appRoles.length} application permission(s), ${assignedTo.length} assignment(s); a copy is kept.`;
  },
  async run(deps, { app, user }, ctx) {
    return withGraph(deps, ctx.action, `revoke what the application ${app} was granted`, async (c) => {
      const sp = await servicePrincipal(c, app);
      const principal = user ? await userObjectId(c, user) : undefined;
      const mine = (a: { principalId?: string | null }) => !principal || a.principalId === principal;
      const grants = (
        await listAll<Grant>(c, '/oauth2PermissionGrants', `clientId eq ${odataString(sp.id)}`)
      ).filter((g) => (principal ? g.consentType === 'Principal' && g.principalId === principal : true));
      // The app's own application permissions are everyone's: only revoked when no user is named.
      const appRoles = principal ? [] : await listAll<Assignment>(c, `${spPath(sp.id)}/appRoleAssignments`);
      const assignedTo = (await listAll<Assignment>(c, `${spPath(sp.id)}/appRoleAssignedTo`)).filter(mine);
      const plan = plannedRemovals<Removal>(
        [
          ...grants.map((item): Removal => ({ kind: 'grant', item })),
          ...appRoles.map((item): Removal => ({ kind: 'appRole', item })),
          ...assignedTo.map((item): Removal => ({ kind: 'assignedTo', item })),
        ],
        (r) => `${r.kind}:${r.item.id}`,
      );
      for (const removal of plan) {
        const path =
          removal.kind === 'grant'
            ? `/oauth2PermissionGrants/${encodeURIComponent(removal.item.id)}`
            : `${spPath(sp.id)}/${removal.kind === 'appRole' ? 'appRoleAssignments' : 'appRoleAssignedTo'}/${encodeURIComponent(removal.item.id)}`;
        await removeIfPresent(() => c.api(path).delete());
      }
      const of = <K extends Removal['kind']>(kind: K) =>
        plan.filter((r) => r.kind === kind).map((r) => r.item);
      return {
        servicePrincipalId: sp.id,
        appId: sp.appId,
        displayName: sp.displayName,
        user: user ?? null,
        removed: {
          grants: of('grant') as Grant[],
          appRoles: of('appRole') as Assignment[],
          assignedTo: of('assignedTo') as Assignment[],
        },
      };
    });
  },
});

const restoreArgsSchema = z.object({ removed: structured(removedGrantsSchema) }).strict();

const sameGrant = (a: Grant, b: Grant) =>
  a.clientId === b.clientId &&
  a.consentType === b.consentType &&
  (a.principalId ?? null) === (b.principalId ?? null) &&
  a.resourceId === b.resourceId;

export const restoreAppGrants = action({
  name: 'entra.restoreAppGrants',
  description: 'Give the application back the consents and role assignments Reflex revoked',
  input: restoreArgsSchema,
  drillInput: z.object({ removed: z.unknown() }).strict() as unknown as typeof restoreArgsSchema,
  permission: {
    ...GRANT_PERMISSION,
    calls:
      '`POST /oauth2PermissionGrants`, `POST /servicePrincipals/{id}/appRoleAssignments` and `…/appRoleAssignedTo`',
  },
  mutates: true,
  undo: 'entra.revokeAppGrants',
  timeoutSeconds: 60,
  maxAttempts: 8,
  dryRun: () => [
    { method: 'POST', path: '/oauth2PermissionGrants (each revoked consent)' },
    { method: 'POST', path: '/servicePrincipals/{id}/appRoleAssignments (each revoked role)' },
  ],
  reports: (o, locale) => {
    const r = z.object({ restored: z.number() }).passthrough().safeParse(o);
    if (!r.success) return undefined;
    return locale === 'nl'
      ? `${r.data.restored} ingetrokken toestemming(en) en toewijzing(en) teruggezet.`
      : `${r.data.restored} revoked consent(s) and assignment(s) put back.`;
  },
  async run(deps, { removed }, ctx) {
    return withGraph(deps, ctx.action, 'restore the revoked application grants', async (c) => {
      let restored = 0;
      const clients = [...new Set(removed.grants.map((g) => g.clientId))];
      for (const clientId of clients) {
        // Created again only where an equal grant is not there yet: a retry does not duplicate.
        const present = await listAll<Grant>(
          c,
          '/oauth2PermissionGrants',
          `clientId eq ${odataString(clientId)}`,
        );
        for (const grant of removed.grants.filter((g) => g.clientId === clientId)) {
          if (!present.some((p) => sameGrant(p, grant))) {
            await c.api('/oauth2PermissionGrants').post({
              clientId: grant.clientId,
              consentType: grant.consentType,
              principalId: grant.principalId ?? null,
              resourceId: grant.resourceId,
              scope: grant.scope ?? '',
            });
          }
          restored++;
        }
      }
      const assign = async (path: string, a: Assignment) => {
        try {
          await c
            .api(path)
            .post({ principalId: a.principalId, resourceId: a.resourceId, appRoleId: a.appRoleId });
        } catch (err) {
          // 409: the assignment exists already (an earlier attempt made it).
          if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        }
        restored++;
      };
      for (const a of removed.appRoles) await assign(`${spPath(a.principalId)}/appRoleAssignments`, a);
      for (const a of removed.assignedTo) await assign(`${spPath(a.resourceId)}/appRoleAssignedTo`, a);
      return { restored };
    });
  },
});

export const ENTRA_APP_ACTIONS = [
  disableServicePrincipal,
  enableServicePrincipal,
  revokeAppGrants,
  restoreAppGrants,
] as const;

export function createEntraAppActivities(deps: GraphDeps) {
  return activitiesOf(ENTRA_APP_ACTIONS, deps);
}
