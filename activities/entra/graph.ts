// Calling Microsoft Graph from an action: the client the worker built (or none, when Entra ID is not
// configured), and every failure classified where it is born (graph-errors.ts).
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { permissionText, type GraphPermission, type Licence } from '../action';
import { graphFailure } from './graph-errors';

export interface GraphDeps {
  /** The Graph client, or undefined when Entra ID is not configured (then only drills work). */
  graph: Client | undefined;
}

/** A Microsoft Entra user: object id (GUID) or user principal name. */
export const userRefSchema = z
  .string()
  .regex(
    /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^\s@/]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$/i,
    'a user object id (GUID) or user principal name (name@domain)',
  );

/** An object id in Entra ID. */
export const guidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'an object id (a GUID)');

/** Runs `fn` against Graph; a failure becomes a typed Temporal failure naming what and which permission. */
export async function withGraph<T>(
  deps: GraphDeps,
  action: { name: string; permission?: GraphPermission; licence?: Licence },
  what: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  if (!deps.graph) {
    throw ApplicationFailure.nonRetryable(
      `${action.name}: Entra ID is not configured: set entra.tenantId, entra.clientId and entra.clientSecret (or ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)`,
      'EntraNotConfigured',
    );
  }
  try {
    return await fn(deps.graph);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw graphFailure(err, {
      what,
      permission: action.permission ? permissionText(action.permission) : '',
      licence: action.licence,
    });
  }
}
