// Webhook intake: authenticate, normalise, route, and hand the alert to Temporal. The answer is
// given only after Temporal has durably accepted the start; nothing else sits on this path.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SourceConfig } from '../config/schema';
import type { LoadedPlaybook } from '../playbooks/load';
import type { Contacts, IncidentInput, Organisation } from '../workflows/model/incident';
import { alertJoinedSignal } from '../workflows/messages';
import { toMs } from '../workflows/model/durations';
import { ADAPTERS } from './adapters';
import { AuthError, verifyDelivery } from './auth';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { incidentIdFor, route } from './routing';
import type { Alert } from '../workflows/model/alert';

export class UnknownSourceError extends Error {
  constructor(readonly source: string) {
    super(`unknown source "${source}"`);
    this.name = 'UnknownSourceError';
  }
}

export class MalformedBodyError extends Error {
  constructor(reason: string) {
    super(`malformed JSON: ${reason}`);
    this.name = 'MalformedBodyError';
  }
}

/** Temporal could not be reached: the sender must retry. */
export class TemporalUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super('the workflow service is unavailable; retry later');
    this.name = 'TemporalUnavailableError';
  }
}

/** How long a start may take before the sender is told to retry. */
export const START_DEADLINE_MS = 5_000;

export interface IntakeDeps {
  sources: readonly SourceConfig[];
  playbooks: () => readonly LoadedPlaybook[];
  contacts: Contacts;
  organisation: Organisation;
  client: Client;
  taskQueue: string;
  /** Records a delivery refused for its credentials (awaited before the 401 goes out). */
  onRejected?: (source: string, reason: string, ip?: string) => Promise<void> | void;
  /** Records an authenticated alert that matches no playbook (awaited before the 202 goes out). */
  onUnrouted?: (alert: Alert) => Promise<void> | void;
  /** Refuses replayed delivery ids; absent, replays are only folded by de-duplication. */
  deliveries?: DeliveryLog;
}

export interface IncidentRef {
  incidentId: string;
  playbook: string;
  deduplicated: boolean;
  /** For a duplicate: joined onto the running incident's timeline (always, when answered). */
  joined?: boolean;
}

export interface IntakeResult {
  /** The first incident (most senders need just one id). */
  incidentId?: string;
  deduplicated: boolean;
  incidents: IncidentRef[];
  routed: boolean;
  /** The sender said something that needs no incident (e.g. Grafana's "resolved"). */
  ignored?: true;
}

export interface Delivery {
  source: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  receivedAt?: Date;
  drill?: boolean;
  /** The sender's address, for the record of refused deliveries. */
  ip?: string;
  /** From `POST /hooks/{source}/{secret}`. */
  urlSecret?: string;
}

/** The sender sends faster than its source allows. */
export class RateLimitedError extends Error {
  constructor(
    readonly source: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`rate limit for source "${source}" reached; retry after ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}

/** A delivery id that was accepted before: a replay (or a retry whose first answer was lost). */
export class ReplayedDeliveryError extends Error {
  constructor(readonly incidentId?: string) {
    super('replayed delivery: this delivery id was already received');
    this.name = 'ReplayedDeliveryError';
  }
}

/** The replay and idempotency record of delivery ids (server/storage/deliveries.ts). */
export interface DeliveryLog {
  claim(source: string, deliveryId: string): Promise<{ first: true } | { first: false; incidentId?: string }>;
  settle(source: string, deliveryId: string, incidentId: string | undefined): Promise<void>;
  release(source: string, deliveryId: string): Promise<void>;
}

/** Limits on the parsed body beyond its size: a deeply nested or huge JSON document is refused. */
export const JSON_LIMITS = { depth: 32, values: 20_000 };

/** Throws {@link MalformedBodyError} when `value` nests deeper or holds more values than {@link JSON_LIMITS}. */
export function checkJsonShape(value: unknown): void {
  let values = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    values += 1;
    if (values > JSON_LIMITS.values) throw new MalformedBodyError(`more than ${JSON_LIMITS.values} values`);
    if (node && typeof node === 'object') {
      if (depth > JSON_LIMITS.depth)
        throw new MalformedBodyError(`nested deeper than ${JSON_LIMITS.depth} levels`);
      for (const child of Object.values(node)) stack.push([child, depth + 1]);
    }
  }
}

export function createIntake(deps: IntakeDeps) {
  const sources = new Map(deps.sources.map((s) => [s.name, s]));
  const limiters = new Map(
    deps.sources.map((s) => [s.name, new RateLimiterMemory({ points: s.ratePerMinute, duration: 60 })]),
  );

  return async function receive(delivery: Delivery): Promise<IntakeResult> {
    const source = sources.get(delivery.source);
    if (!source) throw new UnknownSourceError(delivery.source);
    let verified;
    try {
      verified = verifyDelivery(source.auth, delivery);
    } catch (err) {
      if (err instanceof AuthError) await deps.onRejected?.(source.name, err.reason, delivery.ip);
      throw err;
    }
    // After authentication, so forged floods cannot use up a real sender's budget.
    try {
      await limiters.get(source.name)!.consume(source.name);
    } catch (res) {
      if (res instanceof Error) throw res;
      throw new RateLimitedError(
        source.name,
        Math.max(1, Math.ceil((res as RateLimiterRes).msBeforeNext / 1000)),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(delivery.rawBody.toString('utf8'));
    } catch (err) {
      throw new MalformedBodyError((err as Error).message);
    }
    checkJsonShape(body);
    const receivedAt = delivery.receivedAt ?? new Date();
    const alert = ADAPTERS[source.format](source.name, body, receivedAt, verified.deliveryId);
    if (!alert) return { deduplicated: false, incidents: [], routed: false, ignored: true };

    const deliveryId = deps.deliveries ? verified.deliveryId : undefined;
    if (deliveryId) {
      const claim = await deps.deliveries!.claim(source.name, deliveryId);
      if (!claim.first) throw new ReplayedDeliveryError(claim.incidentId);
    }
    try {
      const result = await deliverAlert(deps, alert, source.drill || (delivery.drill ?? false));
      if (deliveryId && result.incidentId) {
        // Informational (which incident the id went to); not worth holding the answer for.
        void deps.deliveries!.settle(source.name, deliveryId, result.incidentId).catch(() => undefined);
      }
      return result;
    } catch (err) {
      // Not accepted: the sender's retry with the same id must get through.
      if (deliveryId) await deps.deliveries!.release(source.name, deliveryId).catch(() => undefined);
      throw err;
    }
  };
}

/**
 * Routes an authenticated alert (from a webhook or a log rule) and starts or joins its incidents;
 * an alert no playbook takes is recorded as unrouted. Resolves only once Temporal has it.
 */
export async function deliverAlert(
  deps: Pick<IntakeDeps, 'client' | 'taskQueue' | 'contacts' | 'organisation' | 'playbooks' | 'onUnrouted'>,
  alert: Alert,
  drill: boolean,
): Promise<IntakeResult> {
  const matches = route(alert, deps.playbooks());
  if (matches.length === 0) {
    await deps.onUnrouted?.(alert);
    return { deduplicated: false, incidents: [], routed: false };
  }
  const incidents = await Promise.all(matches.map((playbook) => startIncident(deps, playbook, alert, drill)));
  return {
    incidentId: incidents[0]!.incidentId,
    deduplicated: incidents.every((i) => i.deduplicated),
    incidents,
    routed: true,
  };
}

/** Starts the playbook's workflow for `alert`; a running incident with the same id is reported as a duplicate. */
export async function startIncident(
  deps: Pick<IntakeDeps, 'client' | 'taskQueue' | 'contacts' | 'organisation'>,
  playbook: LoadedPlaybook,
  alert: Alert,
  drill: boolean,
): Promise<IncidentRef> {
  const base = incidentIdFor(alert, playbook);
  const windowMs = toMs(playbook.resolved.dedupWindow);
  // The first incident for a dedup key has the plain id; once its window has passed while it still
  // runs, a repeat opens the next one (`-2`, `-3`, …), which then takes in repeats for its own window.
  for (let n = 1; n <= MAX_INCIDENTS_PER_KEY; n++) {
    const incidentId = n === 1 ? base : `${base}-${n}`;
    const openedAt = new Date().toISOString();
    const input: IncidentInput = {
      incidentId,
      playbook: playbook.resolved,
      alert,
      contacts: deps.contacts,
      organisation: deps.organisation,
      drill,
    };
    try {
      // A bounded wait: a sender gets a prompt 503 rather than a hung request when Temporal is down.
      await deps.client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        deps.client.workflow.start('runPlaybook', {
          workflowId: incidentId,
          taskQueue: deps.taskQueue,
          args: [input],
          // openedAt travels through continue-as-new (memos are carried over): the window's start.
          memo: {
            playbookId: playbook.resolved.id,
            playbookVersion: playbook.resolved.version,
            drill,
            openedAt,
          },
          // Same process as the worker: the first workflow task comes back in the start response.
          requestEagerStart: true,
        }),
      );
      rememberOpened(incidentId, Date.parse(openedAt));
      return { incidentId, playbook: playbook.resolved.id, deduplicated: false };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        // Anything else means the alert is not durably recorded: the sender must retry (503), never a 2xx.
        throw new TemporalUnavailableError(err);
      }
    }
    if (Date.now() - (await openedAtOf(deps.client, incidentId)) <= windowMs) {
      return {
        incidentId,
        playbook: playbook.resolved.id,
        deduplicated: true,
        joined: await join(deps.client, incidentId, alert),
      };
    }
  }
  throw new TemporalUnavailableError(
    new Error(`more than ${MAX_INCIDENTS_PER_KEY} open incidents for one dedup key`),
  );
}

/** Open incidents one dedup key may have side by side (each past the previous one's window). */
const MAX_INCIDENTS_PER_KEY = 50;

/** When running incidents were opened, learned at start or from their memo (one describe per incident). */
const opened = new Map<string, number>();

function rememberOpened(incidentId: string, at: number): void {
  opened.set(incidentId, at);
  if (opened.size > 10_000) opened.delete(opened.keys().next().value!);
}

async function openedAtOf(client: Client, incidentId: string): Promise<number> {
  const known = opened.get(incidentId);
  if (known !== undefined) return known;
  let description;
  try {
    description = await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      client.workflow.getHandle(incidentId).describe(),
    );
  } catch (err) {
    throw new TemporalUnavailableError(err);
  }
  // Incidents opened before the memo carried openedAt: their run's start time.
  const memo = description.memo?.openedAt;
  const at = typeof memo === 'string' ? Date.parse(memo) : description.startTime.getTime();
  rememberOpened(incidentId, at);
  return at;
}

/**
 * Puts a repeat alert on the running incident's timeline with a signal, which Temporal writes to the
 * incident's history before it answers. Anything but acceptance (Temporal slow or down, or the
 * incident finished a moment ago) throws, so the sender retries: a 2xx always means the alert is on record.
 */
async function join(client: Client, incidentId: string, alert: Alert): Promise<true> {
  try {
    await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      client.workflow.getHandle(incidentId).signal(alertJoinedSignal, alert),
    );
    return true;
  } catch (err) {
    throw new TemporalUnavailableError(err);
  }
}
