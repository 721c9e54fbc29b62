// secrets.rotateAppSecret and secrets.removeAppSecret: replace an Entra app registration's client
// secret as Microsoft's compromised-application playbook says: add the new credential first, then
// (once systems switched over) remove every old password and certificate on the application and on
// its service principals in this tenant. addPassword is not idempotent, so the new credential is
// tagged with incident and step and looked for before adding; its text goes only to the secret store.
// Certificates are removed by writing the whole keyCredentials list without them (addKey/removeKey
// need a proof token signed by a current certificate, which Reflex does not hold).
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { activitiesOf, defineAction, structured } from '../action';
import { guidSchema, isNotFound, listAll, odataString, withGraph, type GraphDeps } from '../entra/graph';
import { SecretStoreError, type SecretStore } from './stores';

const application = guidSchema.describe("the application's object id");

export const rotateArgsSchema = z
  .object({
    application,
    /** A configured secret store. */
    store: z.string().min(1),
    /** The store's name for the secret. */
    secretName: z.string().min(1).max(200),
    /** Validity of the new secret in days. @default 180 */
    validDays: z.number().int().min(1).max(730).default(180),
  })
  .strict();

const keyIdsSchema = z.array(z.string().min(1).max(100)).max(200);
const servicePrincipalCredentialsSchema = z
  .array(
    z
      .object({
        id: guidSchema,
        passwordKeyIds: keyIdsSchema.default([]),
        certificateKeyIds: keyIdsSchema.default([]),
      })
      .strict(),
  )
  .max(20);

export const removeArgsSchema = z
  .object({
    application,
    /** The old passwords to remove (from the rotate step's output `oldKeyIds`). */
    keyIds: keyIdsSchema,
    /** The old certificates to remove (`oldCertificateKeyIds`). @default none */
    certificateKeyIds: keyIdsSchema.default([]),
    /** The service principals' old credentials (`servicePrincipals`). @default none */
    servicePrincipals: structured(servicePrincipalCredentialsSchema).default([]),
  })
  .strict();

interface PasswordCredential {
  keyId: string;
  displayName?: string | null;
  hint?: string | null;
  endDateTime?: string;
}

/** A certificate credential; `key` is returned only when keyCredentials is selected on one object. */
interface KeyCredential {
  keyId: string;
  key?: string | null;
  [property: string]: unknown;
}

interface Credentials {
  passwordCredentials: PasswordCredential[];
  keyCredentials: KeyCredential[];
}

export interface SecretsDeps extends GraphDeps {
  stores: ReadonlyMap<string, SecretStore>;
}

const APPLICATION_PERMISSION = {
  needs: ['Application.ReadWrite.OwnedBy'],
  orElse: 'Application.ReadWrite.All',
};
const action = defineAction<SecretsDeps>();

const appPath = (id: string) => `/applications/${encodeURIComponent(id)}`;
const spPath = (id: string) => `/servicePrincipals/${encodeURIComponent(id)}`;

/** An application's or service principal's credentials (certificates with their key, to write back). */
async function credentialsOf(c: Client, path: string): Promise<Credentials> {
  const found = (await c
    .api(path)
    .select(['passwordCredentials', 'keyCredentials'])
    .get()) as Partial<Credentials>;
  return { passwordCredentials: found.passwordCredentials ?? [], keyCredentials: found.keyCredentials ?? [] };
}

/**
 * Removes the listed passwords and certificates of an application or service principal that are
 * still there; what is already gone counts as done, so a retry is safe.
 */
async function removeCredentials(
  c: Client,
  path: string,
  passwordKeyIds: readonly string[],
  certificateKeyIds: readonly string[],
): Promise<{ removedPasswords: string[]; removedCertificates: string[] }> {
  const now = await credentialsOf(c, path);
  const present = new Set(now.passwordCredentials.map((p) => p.keyId));
  const removedPasswords: string[] = [];
  for (const keyId of passwordKeyIds.filter((k) => present.has(k))) {
    await c.api(`${path}/removePassword`).post({ keyId });
    removedPasswords.push(keyId);
  }
  const drop = new Set(certificateKeyIds);
  const removedCertificates = now.keyCredentials.filter((k) => drop.has(k.keyId)).map((k) => k.keyId);
  if (removedCertificates.length > 0) {
    // The whole list, as Graph takes it: the certificates kept go back with their key.
    await c.api(path).patch({ keyCredentials: now.keyCredentials.filter((k) => !drop.has(k.keyId)) });
  }
  return { removedPasswords, removedCertificates };
}

const removedSchema = z
  .object({
    removed: z.array(z.string()),
    removedCertificates: z.array(z.string()).default([]),
    servicePrincipals: z
      .array(z.object({ removedPasswords: z.array(z.string()), removedCertificates: z.array(z.string()) }))
      .default([]),
  })
  .passthrough();

/** The tag that makes a retried rotation recognisable: one incident step makes at most one live secret. */
const tagOf = (ctx: { incidentId: string; stepId: string }) => `reflex ${ctx.incidentId} ${ctx.stepId}`;

export const rotateAppSecret = action({
  name: 'secrets.rotateAppSecret',
  description: "Replace the application's client secret and hand the new one to the secret store",
  input: rotateArgsSchema,
  permission: {
    ...APPLICATION_PERMISSION,
    calls:
      '`GET /applications/{id}`, `GET /servicePrincipals?$filter=appId eq …`, `POST /applications/{id}/addPassword` (and `removePassword` for its own leftovers)',
  },
  mutates: true,
  containment: true,
  timeoutSeconds: 60,
  maxAttempts: 6,
  dryRun: (args, ctx, { stores }) => [
    { method: 'GET', path: `/applications/${args.application}` },
    { method: 'GET', path: `/servicePrincipals?$filter=appId eq '(the application's appId)'` },
    {
      method: 'POST',
      path: `/applications/${args.application}/addPassword`,
      body: { passwordCredential: { displayName: tagOf(ctx) } },
    },
    {
      method: 'PUT',
      path: `secret store "${args.store}"${stores.has(args.store) ? '' : ' (not configured!)'}: ${args.secretName}`,
    },
  ],
  async run(deps, args, ctx) {
    const store = deps.stores.get(args.store);
    if (!store) {
      throw ApplicationFailure.nonRetryable(
        `secrets.rotateAppSecret: with.store: no secret store "${args.store}" (configured: ${[...deps.stores.keys()].join(', ') || 'none'})`,
        'InvalidArguments',
      );
    }
    const tag = tagOf(ctx);
    return withGraph(deps, ctx.action, `rotate the secret of application ${args.application}`, async (c) => {
      const registration = (await c
        .api(appPath(args.application))
        .select(['appId', 'passwordCredentials', 'keyCredentials'])
        .get()) as Partial<Credentials> & { appId?: string };
      const before = registration.passwordCredentials ?? [];
      // A credential with our tag is left from an earlier attempt that may not have reached the
      // store (Graph shows a secret's text only once): replace it rather than trust it.
      for (const stale of before.filter((p) => p.displayName === tag)) {
        await c.api(`${appPath(args.application)}/removePassword`).post({ keyId: stale.keyId });
      }
      const oldKeyIds = before.filter((p) => p.displayName !== tag).map((p) => p.keyId);
      // Attackers also add credentials to the service principal (the app's identity in this tenant).
      const servicePrincipals = registration.appId
        ? (
            await listAll<Partial<Credentials> & { id: string }>(
              c,
              '/servicePrincipals',
              `appId eq ${odataString(registration.appId)}`,
            )
          ).map((sp) => ({
            id: sp.id,
            passwordKeyIds: (sp.passwordCredentials ?? []).map((p) => p.keyId),
            certificateKeyIds: (sp.keyCredentials ?? []).map((k) => k.keyId),
          }))
        : [];
      const endDateTime = new Date(Date.now() + args.validDays * 86_400_000).toISOString();
      const added = (await c
        .api(`${appPath(args.application)}/addPassword`)
        .post({ passwordCredential: { displayName: tag, endDateTime } })) as PasswordCredential & {
        secretText: string;
      };
      try {
        await store.put({
          name: args.secretName,
          value: added.secretText,
          keyId: added.keyId,
          application: args.application,
          expiresAt: endDateTime,
        });
      } catch (err) {
        const message =
          err instanceof SecretStoreError ? err.message : `secret store ${store.describe} failed`;
        // Retried: the next attempt replaces the tagged credential, so exactly one new secret remains.
        throw ApplicationFailure.create({
          type: 'SecretStoreFailed',
          message,
          nonRetryable: err instanceof SecretStoreError && !err.retryable,
        });
      }
      return {
        application: args.application,
        newKeyId: added.keyId,
        hint: added.hint ?? null,
        oldKeyIds,
        oldCertificateKeyIds: (registration.keyCredentials ?? []).map((k) => k.keyId),
        servicePrincipals,
        deliveredTo: store.describe,
        secretName: args.secretName,
        expiresAt: endDateTime,
      };
    });
  },
});

export const removeAppSecret = action({
  name: 'secrets.removeAppSecret',
  description:
    "Remove the application's old secrets and certificates, and its service principals' credentials",
  input: removeArgsSchema,
  // In a drill the rotation only described itself, so there are no real key ids to name.
  drillInput: removeArgsSchema.extend({
    keyIds: z.array(z.string()).optional(),
    certificateKeyIds: z.array(z.string()).optional(),
    servicePrincipals: z.unknown().optional(),
  }) as unknown as typeof removeArgsSchema,
  permission: {
    ...APPLICATION_PERMISSION,
    calls:
      '`GET` and `PATCH /applications/{id}` (keyCredentials), `POST /applications/{id}/removePassword`; the same on `/servicePrincipals/{id}`',
  },
  mutates: true,
  containment: true,
  timeoutSeconds: 60,
  maxAttempts: 6,
  dryRun: (args) => [
    ...(args.keyIds ?? ['(the old secrets the rotation found)']).map((keyId) => ({
      method: 'POST',
      path: `/applications/${args.application}/removePassword`,
      body: { keyId },
    })),
    {
      method: 'PATCH',
      path: `/applications/${args.application}`,
      body: { keyCredentials: '(the certificates kept: every old one removed)' },
    },
    {
      method: 'POST',
      path: '/servicePrincipals/{id}/removePassword',
      body: { keyId: "(each of the service principal's old secrets)" },
    },
    {
      method: 'PATCH',
      path: '/servicePrincipals/{id}',
      body: { keyCredentials: '(its certificates kept: every old one removed)' },
    },
  ],
  reports: (o, locale) => {
    const parsed = removedSchema.safeParse(o);
    if (!parsed.success) return undefined;
    const { removed, removedCertificates, servicePrincipals } = parsed.data;
    const sp = servicePrincipals.reduce(
      (n, s) => n + s.removedPasswords.length + s.removedCertificates.length,
      0,
    );
    return locale === 'nl'
      ? `Verwijderd: ${removed.length} oud(e) geheim(en) en ${removedCertificates.length} certifica(a)t(en) van de applicatie, ${sp} van haar service principal(s).`
      : `Removed ${removed.length} old secret(s) and ${removedCertificates.length} certificate(s) from the application, and ${sp} credential(s) from its service principal(s).`;
  },
  async run(deps, args, ctx) {
    return withGraph(
      deps,
      ctx.action,
      `remove old credentials of application ${args.application}`,
      async (c) => {
        const own = await removeCredentials(
          c,
          appPath(args.application),
          args.keyIds,
          args.certificateKeyIds,
        );
        const servicePrincipals = [];
        for (const sp of args.servicePrincipals) {
          try {
            servicePrincipals.push({
              id: sp.id,
              ...(await removeCredentials(c, spPath(sp.id), sp.passwordKeyIds, sp.certificateKeyIds)),
            });
          } catch (err) {
            // A service principal deleted since: its credentials went with it.
            if (!isNotFound(err)) throw err;
            servicePrincipals.push({ id: sp.id, removedPasswords: [], removedCertificates: [] });
          }
        }
        return {
          application: args.application,
          removed: own.removedPasswords,
          alreadyGone: args.keyIds.filter((k) => !own.removedPasswords.includes(k)),
          removedCertificates: own.removedCertificates,
          servicePrincipals,
        };
      },
    );
  },
});

export const SECRET_ACTIONS = [rotateAppSecret, removeAppSecret] as const;

export function createSecretActivities(deps: SecretsDeps) {
  return activitiesOf(SECRET_ACTIONS, deps);
}
