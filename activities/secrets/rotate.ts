// secrets.rotateAppSecret and secrets.removeAppSecret: replace an Entra app registration's client
// secret. addPassword is not idempotent, so the new credential is tagged with incident and step and
// looked for before adding; its text goes only to the secret store.
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { activitiesOf, defineAction } from '../action';
import { guidSchema, withGraph, type GraphDeps } from '../entra/graph';
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

export const removeArgsSchema = z
  .object({
    application,
    /** The old credentials to remove (from the rotate step's output). */
    keyIds: z.array(z.string().min(1)),
  })
  .strict();

interface PasswordCredential {
  keyId: string;
  displayName?: string | null;
  hint?: string | null;
  endDateTime?: string;
}

export interface SecretsDeps extends GraphDeps {
  stores: ReadonlyMap<string, SecretStore>;
}

const APPLICATION_PERMISSION = {
  needs: ['Application.ReadWrite.OwnedBy'],
  orElse: 'Application.ReadWrite.All',
};
const action = defineAction<SecretsDeps>();

const credentials = async (c: Client, app: string): Promise<PasswordCredential[]> =>
  (
    (await c.api(`/applications/${app}`).select('passwordCredentials').get()) as {
      passwordCredentials: PasswordCredential[];
    }
  ).passwordCredentials;

/** The tag that makes a retried rotation recognisable: one incident step makes at most one live secret. */
const tagOf = (ctx: { incidentId: string; stepId: string }) => `reflex ${ctx.incidentId} ${ctx.stepId}`;

export const rotateAppSecret = action({
  name: 'secrets.rotateAppSecret',
  description: "Replace the application's client secret and hand the new one to the secret store",
  input: rotateArgsSchema,
  permission: {
    ...APPLICATION_PERMISSION,
    calls:
      '`GET /applications/{id}`, `POST /applications/{id}/addPassword` (and `removePassword` for its own leftovers)',
  },
  mutates: true,
  containment: true,
  timeoutSeconds: 60,
  maxAttempts: 6,
  dryRun: (args, ctx, { stores }) => [
    { method: 'GET', path: `/applications/${args.application}` },
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
      const before = await credentials(c, args.application);
      // A credential with our tag is left from an earlier attempt that may not have reached the
      // store (Graph shows a secret's text only once): replace it rather than trust it.
      for (const stale of before.filter((p) => p.displayName === tag)) {
        await c.api(`/applications/${args.application}/removePassword`).post({ keyId: stale.keyId });
      }
      const oldKeyIds = before.filter((p) => p.displayName !== tag).map((p) => p.keyId);
      const endDateTime = new Date(Date.now() + args.validDays * 86_400_000).toISOString();
      const added = (await c
        .api(`/applications/${args.application}/addPassword`)
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
        deliveredTo: store.describe,
        secretName: args.secretName,
        expiresAt: endDateTime,
      };
    });
  },
});

export const removeAppSecret = action({
  name: 'secrets.removeAppSecret',
  description: "Remove the application's old client secrets",
  input: removeArgsSchema,
  // In a drill the rotation only described itself, so there are no real key ids to name.
  drillInput: removeArgsSchema.extend({
    keyIds: z.array(z.string()).optional(),
  }) as unknown as typeof removeArgsSchema,
  permission: {
    ...APPLICATION_PERMISSION,
    calls: '`GET /applications/{id}`, `POST /applications/{id}/removePassword`',
  },
  mutates: true,
  containment: true,
  timeoutSeconds: 60,
  maxAttempts: 6,
  dryRun: (args) =>
    (args.keyIds ?? ['(the old secrets the rotation found)']).map((keyId) => ({
      method: 'POST',
      path: `/applications/${args.application}/removePassword`,
      body: { keyId },
    })),
  async run(deps, args, ctx) {
    return withGraph(deps, ctx.action, `remove old secrets of application ${args.application}`, async (c) => {
      // Look first: removing a credential that is already gone is success, so a retry is safe.
      const present = new Set((await credentials(c, args.application)).map((p) => p.keyId));
      const removed: string[] = [];
      for (const keyId of args.keyIds.filter((k) => present.has(k))) {
        await c.api(`/applications/${args.application}/removePassword`).post({ keyId });
        removed.push(keyId);
      }
      return {
        application: args.application,
        removed,
        alreadyGone: args.keyIds.filter((k) => !present.has(k)),
      };
    });
  },
});

export const SECRET_ACTIONS = [rotateAppSecret, removeAppSecret] as const;

export function createSecretActivities(deps: SecretsDeps) {
  return activitiesOf(SECRET_ACTIONS, deps);
}
