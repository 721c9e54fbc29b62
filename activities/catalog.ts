// The action catalog: every action a playbook may name, with its input schema, whether it changes
// anything, what undoes it, and one plain-language line for timelines.
import { z } from 'zod';
import { emailArgsSchema } from './notify-email';
import { removeArgsSchema, rotateArgsSchema } from './secrets';
import { httpArgsSchema } from './http-request';

/** A Microsoft Entra user: object id (GUID) or user principal name. */
export const userRefSchema = z
  .string()
  .regex(
    /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^\s@/]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$/i,
    'a user object id (GUID) or user principal name (name@domain)',
  );

export const userArgsSchema = z.object({ user: userRefSchema }).strict();

export interface CatalogEntry {
  /** One plain-language line, used on timelines. */
  description: string;
  /** Whether the action changes anything outside Reflex (drills take its dry-run path). */
  mutates: boolean;
  /** Validates the step's arguments (at load time for literal values, at run time for all). */
  input: z.ZodType;
  /** The action that undoes this one, when there is one. */
  undo?: string;
  /** Stops the attacker (timelines measure time to containment by these). */
  containment?: true;
  /** Default per-attempt timeout in seconds. */
  timeoutSeconds: number;
  /** Default attempts. */
  maxAttempts: number;
}

export const ACTION_CATALOG = {
  'notify.email': {
    description: 'Send an e-mail',
    mutates: false,
    input: emailArgsSchema,
    timeoutSeconds: 30,
    maxAttempts: 10,
  },
  'entra.revokeSessions': {
    containment: true,
    description: 'Sign the user out everywhere (revoke all sessions and refresh tokens)',
    mutates: true,
    input: userArgsSchema,
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'entra.disableAccount': {
    containment: true,
    description: 'Block the account from signing in',
    mutates: true,
    input: userArgsSchema,
    undo: 'entra.enableAccount',
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'entra.enableAccount': {
    description: 'Allow the account to sign in again',
    mutates: true,
    input: userArgsSchema,
    undo: 'entra.disableAccount',
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'entra.forcePasswordChange': {
    containment: true,
    description: 'Make the user choose a new password at the next sign-in',
    mutates: true,
    input: userArgsSchema,
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'entra.confirmCompromised': {
    containment: true,
    description: 'Mark the user as compromised in Entra ID Protection',
    mutates: true,
    input: userArgsSchema,
    undo: 'entra.dismissCompromised',
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'entra.dismissCompromised': {
    description: "Clear the user's risk in Entra ID Protection",
    mutates: true,
    input: userArgsSchema,
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'entra.lookupUser': {
    description: "Look up the user's name and manager",
    mutates: false,
    input: userArgsSchema,
    timeoutSeconds: 30,
    maxAttempts: 8,
  },
  'secrets.rotateAppSecret': {
    containment: true,
    description: "Replace the application's client secret and hand the new one to the secret store",
    mutates: true,
    input: rotateArgsSchema,
    timeoutSeconds: 60,
    maxAttempts: 6,
  },
  'secrets.removeAppSecret': {
    containment: true,
    description: "Remove the application's old client secrets",
    mutates: true,
    input: removeArgsSchema,
    timeoutSeconds: 60,
    maxAttempts: 6,
  },
  'http.request': {
    description: 'Call an external system over HTTPS',
    mutates: true,
    input: httpArgsSchema,
    timeoutSeconds: 30,
    maxAttempts: 5,
  },
} as const satisfies Record<string, CatalogEntry>;

export type ActionName = keyof typeof ACTION_CATALOG;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTION_CATALOG, name);
}
