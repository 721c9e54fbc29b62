// secrets.rotateAppSecret and secrets.removeAppSecret: replace an Entra app registration's client
// secret. addPassword is not idempotent, so the new credential is tagged with incident and step and
// looked for before adding; its text goes only to the secret store.
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { graphFailure } from './graph-errors';
import { SecretStoreError, type SecretStore } from './secret-stores';
import type { ActionInput } from './types';
import type { DryRun } from './entra';

export const APP_PERMISSION = 'Application.ReadWrite.OwnedBy (or Application.ReadWrite.All)';

const guid = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    "the application's object id (a GUID)",
  );

export const rotateArgsSchema = z
  .object({
    application: guid,
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
    application: guid,
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

export interface SecretsDeps {
  graph: Client | undefined;
  stores: ReadonlyMap<string, SecretStore>;
}

function parse<T>(schema: z.ZodType<T>, input: ActionInput, action: string): T {
  const parsed = schema.safeParse(input.args);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `${action}: ${parsed.error.issues.map((i) => `with.${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'InvalidArguments',
    );
  }
  return parsed.data;
}

export function createSecretActivities({ graph, stores }: SecretsDeps) {
  const client = (action: string): Client => {
    if (!graph) {
      throw ApplicationFailure.nonRetryable(
        `${action}: Entra ID is not configured: set entra.tenantId, entra.clientId and entra.clientSecret`,
        'EntraNotConfigured',
      );
    }
    return graph;
  };
  const credentials = async (c: Client, application: string): Promise<PasswordCredential[]> =>
    (
      (await c.api(`/applications/${application}`).select('passwordCredentials').get()) as {
        passwordCredentials: PasswordCredential[];
      }
    ).passwordCredentials;

  return {
    async 'secrets.rotateAppSecret'(input: ActionInput) {
      const args = parse(rotateArgsSchema, input, 'secrets.rotateAppSecret');
      // The tag makes a retried rotation recognisable: one incident step makes at most one live secret.
      const tag = `reflex ${input.incidentId} ${input.stepId}`;
      if (input.drill) {
        const plan: DryRun = {
          dryRun: true,
          wouldCall: [
            { method: 'GET', path: `/applications/${args.application}` },
            {
              method: 'POST',
              path: `/applications/${args.application}/addPassword`,
              body: { passwordCredential: { displayName: tag } },
            },
            {
              method: 'PUT',
              path: `secret store "${args.store}"${stores.has(args.store) ? '' : ' (not configured!)'}: ${args.secretName}`,
            },
          ],
        };
        return plan;
      }
      const store = stores.get(args.store);
      if (!store) {
        throw ApplicationFailure.nonRetryable(
          `secrets.rotateAppSecret: with.store: no secret store "${args.store}" (configured: ${[...stores.keys()].join(', ') || 'none'})`,
          'InvalidArguments',
        );
      }
      const c = client('secrets.rotateAppSecret');
      const what = `rotate the secret of application ${args.application}`;
      try {
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
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw graphFailure(err, { what, permission: APP_PERMISSION });
      }
    },

    async 'secrets.removeAppSecret'(input: ActionInput) {
      if (input.drill) {
        // In a drill the rotation only described itself, so there are no real key ids to name.
        const args = parse(
          removeArgsSchema.extend({ keyIds: z.array(z.string()).optional() }),
          input,
          'secrets.removeAppSecret',
        );
        const keyIds = args.keyIds ?? ['(the old secrets the rotation found)'];
        const plan: DryRun = {
          dryRun: true,
          wouldCall: keyIds.map((keyId) => ({
            method: 'POST',
            path: `/applications/${args.application}/removePassword`,
            body: { keyId },
          })),
        };
        return plan;
      }
      const args = parse(removeArgsSchema, input, 'secrets.removeAppSecret');
      const c = client('secrets.removeAppSecret');
      try {
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
      } catch (err) {
        throw graphFailure(err, {
          what: `remove old secrets of application ${args.application}`,
          permission: APP_PERMISSION,
        });
      }
    },
  };
}
