// Webhook intake: authenticate, normalise, route, and hand the alert to Temporal through the incident
// gateway. With the intake journal (triggers/journal.ts) the answer is given once the alert is durably
// journalled, and carries the incidents when Temporal accepted them within OPEN_WAIT_MS; without it,
// only after Temporal has durably accepted the start or the join.
import type { SourceConfig } from './source';
import type { LoadedPlaybook } from '../playbooks/load';
import type { Alert } from '../workflows/model/alert';
import { incidentIdFor, type IncidentGateway, type IncidentRef } from '../temporal/incident-gateway';
import {
  AuthError,
  MalformedBodyError,
  RateLimitedError,
  ReplayedDeliveryError,
  DeliveryInFlightError,
  UnknownSourceError,
  IntakeUnavailableError,
} from '../common/errors';
import { ATTEMPT_LEASE_MS, OPEN_WAIT_MS, type IntakeJournal } from './journal';
import { ADAPTERS } from './adapters';
import { verifyDelivery } from './auth';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiters, type Limiters } from '../common/rate-limits';
import { route } from './routing';

export interface IntakeDeps {
  sources: readonly SourceConfig[];
  playbooks: () => readonly LoadedPlaybook[];
  /** Starts and joins incidents. */
  incidents: Pick<IncidentGateway, 'open'>;
  /** Records a delivery refused for its credentials (awaited before the 401 goes out). */
  onRejected?: (source: string, reason: string, ip?: string) => Promise<void> | void;
  /** Records an authenticated alert that matches no playbook (awaited before the 202 goes out). */
  onUnrouted?: (alert: Alert) => Promise<void> | void;
  /** Refuses replayed delivery ids; absent, replays are only folded by de-duplication. */
  deliveries?: DeliveryLog;
  /** A delivery passed authentication: the source spoke (in memory; for silent sources). */
  onAuthenticated?: (source: string) => void;
  /** Where each source's alerts-per-minute budget is kept. @default in this process's memory */
  limiters?: Limiters;
  /** Journals routed alerts before the answer (decision 004); absent, the answer waits for Temporal. */
  journal?: IntakeJournal;
}

export interface IntakeResult {
  /** The first incident (most senders need just one id). */
  incidentId?: string;
  deduplicated: boolean;
  incidents: IncidentRef[];
  routed: boolean;
  /** The sender said something that needs no incident (e.g. Grafana's "resolved"). */
  ignored?: true;
  /** The intake journal row that holds the alert. */
  journal?: string;
  /**
   * Journalled, and its incidents open shortly (a storm, or Temporal slow): `incidents` are the ones
   * it is expected to start or join, and `deduplicated` is not known yet.
   */
  pending?: true;
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

/**
 * A delivery id's claim: the first, or one seen before, which is settled once Reflex recorded what
 * became of it (the incident, or none) and unsettled while its first attempt runs, or after that
 * attempt died (a crash between the claim and Temporal's answer).
 */
export type Claim =
  { first: true } | { first: false; settled: true; incidentId?: string } | { first: false; settled: false };

/** The replay and idempotency record of delivery ids (storage/deliveries.ts). */
export interface DeliveryLog {
  claim(source: string, deliveryId: string): Promise<Claim>;
  /** Records what the delivery became (`undefined`: accepted without an incident). */
  settle(source: string, deliveryId: string, incidentId: string | undefined): Promise<void>;
  /** Takes over an unsettled claim older than `staleMs` (its first attempt is dead); false otherwise. */
  reclaim(source: string, deliveryId: string, staleMs: number): Promise<boolean>;
  release(source: string, deliveryId: string): Promise<void>;
}

/**
 * How long a first attempt may take before a retry of the same delivery id takes over its claim: more
 * than the gateway's longest wait for Temporal (3 × 5 s).
 */
export const STALE_CLAIM_MS = 20_000;

/**
 * Claims a delivery id (a webhook's, or a log rule firing's): `first` when it is new, or when the
 * attempt that claimed it died before recording what it became (a crash between the claim and
 * Temporal's answer); `replayed` when it was delivered, with its incident; `in-flight` while another
 * attempt may still be delivering it.
 */
export async function claimDelivery(
  deliveries: DeliveryLog,
  source: string,
  deliveryId: string,
): Promise<{ state: 'first' } | { state: 'replayed'; incidentId?: string } | { state: 'in-flight' }> {
  const claim = await deliveries.claim(source, deliveryId);
  if (claim.first) return { state: 'first' };
  if (claim.settled) return { state: 'replayed', incidentId: claim.incidentId };
  return (await deliveries.reclaim(source, deliveryId, STALE_CLAIM_MS))
    ? { state: 'first' }
    : { state: 'in-flight' };
}

/** Claims a delivery id, or throws what its sender must hear: 409 for a replay, 503 while in flight. */
async function claimOrRefuse(deliveries: DeliveryLog, source: string, deliveryId: string): Promise<void> {
  const claim = await claimDelivery(deliveries, source, deliveryId);
  if (claim.state === 'replayed') throw new ReplayedDeliveryError(claim.incidentId);
  // A refusal would lose the alert: the sender is asked to retry, and once the other attempt is
  // surely dead its retry delivers it.
  if (claim.state === 'in-flight') throw new DeliveryInFlightError(Math.ceil(STALE_CLAIM_MS / 4000));
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
    deps.sources.map((s) => [
      s.name,
      (deps.limiters ?? memoryLimiters)({ name: 'alerts', points: s.ratePerMinute, durationSeconds: 60 }),
    ]),
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
    deps.onAuthenticated?.(source.name);
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
    const drill = source.drill || (delivery.drill ?? false);
    if (deps.journal) {
      const playbooks = route(alert, deps.playbooks());
      // Routed: the claim and the journal row are one statement. Unrouted: claimed and settled below.
      if (playbooks.length > 0) {
        return journalAlert(deps, deps.journal, { source: source.name, deliveryId, alert, drill, playbooks });
      }
    }
    if (deliveryId) await claimOrRefuse(deps.deliveries!, source.name, deliveryId);
    try {
      const result = await deliverAlert(deps, alert, drill);
      if (deliveryId) {
        // Recorded before the 202: a replay from now on is refused (409) and names the incident.
        // Not recorded (the database failed just now): a retry delivers it again, which joins the
        // incident it opened (the alert counted twice) rather than losing it.
        await deps.deliveries!.settle(source.name, deliveryId, result.incidentId).catch(() => undefined);
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
 * Journals a routed alert and opens its incidents: at once unless `openingsInFlight` are in flight
 * (then the drainer does). While few are in flight the answer waits for Temporal's and says what it
 * did, as without the journal; during a storm it goes out as soon as the alert is journalled.
 * Resolves once the alert is durably journalled; throws only when it is not (nothing recorded, the
 * sender retries).
 */
async function journalAlert(
  deps: Pick<IntakeDeps, 'deliveries'>,
  journal: IntakeJournal,
  delivery: {
    source: string;
    deliveryId?: string;
    alert: Alert;
    drill: boolean;
    playbooks: readonly LoadedPlaybook[];
  },
): Promise<IntakeResult> {
  const { source, deliveryId, alert, drill, playbooks } = delivery;
  if (journal.full) {
    // A replay still hears 409 (it was accepted); anything new is refused and nothing kept.
    if (deliveryId) {
      await claimOrRefuse(deps.deliveries!, source, deliveryId);
      await deps.deliveries!.release(source, deliveryId).catch(() => undefined);
    }
    throw new IntakeUnavailableError('too many alerts waiting for the workflow service');
  }
  const expected = playbooks.map((p) => ({
    incidentId: incidentIdFor(alert, p),
    playbook: p.resolved.id,
    deduplicated: false,
  }));
  const waits = journal.answerWaits;
  const immediate = journal.acquire();
  const row = {
    source,
    deliveryId,
    alert,
    drill,
    playbooks: playbooks.map((p) => p.resolved.id),
    incidentId: expected[0]!.incidentId,
    deferred: !immediate,
    leaseMs: ATTEMPT_LEASE_MS,
  };
  let id: string;
  try {
    // The usual case, one statement: the delivery id claimed, already settled, and the row.
    const first = await journal.store.append({ ...row, claim: deliveryId ? 'insert' : 'none' });
    if (first !== undefined) id = first;
    else {
      // The id was claimed before: a replay, an attempt in flight, or one that died (then taken over).
      await claimOrRefuse(deps.deliveries!, source, deliveryId!);
      try {
        id = (await journal.store.append({ ...row, claim: 'settle' }))!;
      } catch (err) {
        await deps.deliveries!.release(source, deliveryId!).catch(() => undefined);
        throw err;
      }
    }
  } catch (err) {
    if (immediate) journal.release();
    if (err instanceof ReplayedDeliveryError || err instanceof DeliveryInFlightError) throw err;
    throw new IntakeUnavailableError('the intake journal did not answer', err);
  }
  const pending: IntakeResult = {
    incidentId: expected[0]!.incidentId,
    deduplicated: false,
    incidents: expected,
    routed: true,
    journal: id,
    pending: true,
  };
  if (!immediate) {
    journal.wake();
    return pending;
  }
  const opening = journal.open({ id, alert, drill }, playbooks).finally(() => journal.release());
  // The claim was settled with the expected incident; a repeat past its dedup window opened the next
  // one (`-2`) instead, and a replay must name that one. Rare: one more statement then.
  const claimSettled = opening.then(
    (refs) =>
      deliveryId && refs[0] && refs[0].incidentId !== expected[0]!.incidentId
        ? deps.deliveries!.settle(source, deliveryId, refs[0].incidentId).catch(() => undefined)
        : undefined,
    () => undefined,
  );
  // Marked in the background: unmarked (a crash), the row is drained again and the journal id makes
  // that a no-op. Failed: the drainers take it at once.
  opening
    .then(
      (refs) =>
        Promise.all([
          journal.opened(
            id,
            refs.map((r) => r.incidentId),
          ),
          claimSettled,
        ]),
      () => journal.store.retry(id, 0).then(() => journal.wake()),
    )
    .catch(() => undefined);
  // A storm: the opening goes on, the sender is not made to wait for it.
  if (!waits) return pending;
  let timer: NodeJS.Timeout | undefined;
  const refs = await Promise.race([
    opening.catch(() => undefined),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), OPEN_WAIT_MS))),
  ]);
  clearTimeout(timer);
  if (!refs) return pending;
  await claimSettled;
  return {
    incidentId: refs[0]!.incidentId,
    deduplicated: refs.every((r) => r.deduplicated),
    incidents: refs,
    routed: true,
    journal: id,
  };
}

/**
 * Routes an authenticated alert (from a webhook or a log rule) and starts or joins its incidents;
 * an alert no playbook takes is recorded as unrouted. Resolves only once Temporal has it.
 */
export async function deliverAlert(
  deps: Pick<IntakeDeps, 'incidents' | 'playbooks' | 'onUnrouted'>,
  alert: Alert,
  drill: boolean,
): Promise<IntakeResult> {
  const matches = route(alert, deps.playbooks());
  if (matches.length === 0) {
    await deps.onUnrouted?.(alert);
    return { deduplicated: false, incidents: [], routed: false };
  }
  const incidents = await Promise.all(matches.map((playbook) => deps.incidents.open(playbook, alert, drill)));
  return {
    incidentId: incidents[0]!.incidentId,
    deduplicated: incidents.every((i) => i.deduplicated),
    incidents,
    routed: true,
  };
}
