// Calling Microsoft Graph from an action: the client the worker built (or none, when Entra ID is not
// configured), and every failure classified where it is born (graph-errors.ts).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { permissionText, type GraphPermission, type Licence } from '../action';
import { retryAfterSeconds } from '../../common/retry-after';
import { graphFailure } from './graph-errors';
import type { GraphThrottle } from './throttle';

export interface GraphDeps {
  /** The Graph client, or undefined when Entra ID is not configured (then only drills work). */
  graph: Client | undefined;
  /** The worker's throttle gate: shared by every Graph call, so one 429 holds them all back. */
  throttle?: GraphThrottle;
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
  deps.throttle?.check(what);
  try {
    return await fn(deps.graph);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const { statusCode, headers } = err as { statusCode?: number; headers?: Headers };
    const wait = statusCode === 429 ? retryAfterSeconds(headers?.get('Retry-After')) : undefined;
    if (wait !== undefined) deps.throttle?.close(wait);
    throw graphFailure(err, {
      what,
      permission: action.permission ? permissionText(action.permission) : '',
      licence: action.licence,
    });
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is an object id (GUID). */
export const isGuid = (value: string): boolean => GUID.test(value);

export const userPath = (user: string) => `/users/${encodeURIComponent(user)}`;

/** The object id of a user named by object id or UPN (a UPN is looked up). */
export async function userObjectId(client: Client, user: string): Promise<string> {
  if (isGuid(user)) return user;
  const found = (await client.api(userPath(user)).select('id').get()) as { id: string };
  return found.id;
}

/**
 * The Graph client joins `$filter` into the URL as it is given: an `&` or `#` in an attacker's app
 * name would end the filter and start another query parameter. Every filter goes through here.
 */
export const encodedFilter = (filter: string): string => encodeURIComponent(filter);

/** A value inside an OData string literal: `'` is doubled, so an attacker's name cannot end the literal. */
export const odataString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Whether a Graph call failed because what it addressed is already gone. */
export const isNotFound = (err: unknown): boolean => (err as { statusCode?: number }).statusCode === 404;

/** Every item of a Graph collection (optionally `$filter`ed), following `@odata.nextLink` (at most `maxPages` pages). */
export async function listAll<T>(client: Client, path: string, filter?: string, maxPages = 50): Promise<T[]> {
  const items: T[] = [];
  let request = filter ? client.api(path).filter(encodedFilter(filter)) : client.api(path);
  for (let page = 0; page < maxPages; page++) {
    const answer = (await request.get()) as { value?: T[]; '@odata.nextLink'?: string };
    items.push(...(answer.value ?? []));
    const next = answer['@odata.nextLink'];
    if (!next) break;
    request = client.api(next);
  }
  return items;
}

/**
 * What an action that removes things will remove, kept across its attempts: the items this attempt
 * finds, plus those an earlier attempt planned (and may already have removed), recorded as the
 * attempt's first heartbeat before anything is removed. So a retry after a partial removal still
 * reports, and can restore, everything it removed. (Temporal sends an attempt's first heartbeat at
 * once; later ones are throttled.)
 */
export function plannedRemovals<T>(found: readonly T[], key: (item: T) => string): T[] {
  let earlier: T[] = [];
  let context: Context | undefined;
  try {
    context = Context.current();
    const details: unknown = context.info.heartbeatDetails;
    if (Array.isArray(details)) earlier = details as T[];
  } catch {
    context = undefined; // outside an activity (a unit under test): nothing carried over
  }
  const plan = new Map(earlier.map((item) => [key(item), item]));
  for (const item of found) if (!plan.has(key(item))) plan.set(key(item), item);
  const all = [...plan.values()];
  context?.heartbeat(all);
  return all;
}

/** Runs a removal; a 404 means it is already gone, which counts as done. */
export async function removeIfPresent(fn: () => Promise<unknown>): Promise<'removed' | 'already gone'> {
  try {
    await fn();
    return 'removed';
  } catch (err) {
    if (isNotFound(err)) return 'already gone';
    throw err;
  }
}
