// Webhook intake: authenticate, normalise, route, and hand the alert to Temporal. The answer is
// given only after Temporal has durably accepted the start; nothing else sits on this path.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SourceConfig } from '../server/config/schema';
import type { LoadedPlaybook } from '../playbooks/load';
import type { Contacts, IncidentInput, Organisation } from '../workflows/types';
import { attachAlertUpdate } from '../workflows/messages';
import { ADAPTERS } from './adapters';
import { AuthError, verifyDelivery } from './auth';
import { incidentIdFor, route } from './routing';
import type { Alert } from './alert';

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
  /** Called for deliveries refused for their credentials; must not throw. */
  onRejected?: (source: string, reason: string) => void;
  /** Called for authenticated alerts that match no playbook; must not throw. */
  onUnrouted?: (alert: Alert) => void;
}

export interface IncidentRef {
  incidentId: string;
  playbook: string;
  deduplicated: boolean;
  /** For a duplicate: whether it was joined onto the running incident's timeline. */
  joined?: boolean;
}

export interface IntakeResult {
  /** The first incident (most senders need just one id). */
  incidentId?: string;
  deduplicated: boolean;
  incidents: IncidentRef[];
  routed: boolean;
}

export interface Delivery {
  source: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  receivedAt?: Date;
  drill?: boolean;
}

export function createIntake(deps: IntakeDeps) {
  const sources = new Map(deps.sources.map((s) => [s.name, s]));

  return async function receive(delivery: Delivery): Promise<IntakeResult> {
    const source = sources.get(delivery.source);
    if (!source) throw new UnknownSourceError(delivery.source);
    try {
      verifyDelivery(source.auth, delivery.rawBody, delivery.headers);
    } catch (err) {
      if (err instanceof AuthError) deps.onRejected?.(source.name, err.reason);
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(delivery.rawBody.toString('utf8'));
    } catch (err) {
      throw new MalformedBodyError((err as Error).message);
    }
    const alert = ADAPTERS[source.format](source.name, body, delivery.receivedAt ?? new Date());
    const matches = route(alert, deps.playbooks());
    if (matches.length === 0) {
      deps.onUnrouted?.(alert);
      return { deduplicated: false, incidents: [], routed: false };
    }
    const incidents = await Promise.all(
      matches.map((playbook) =>
        startIncident(deps, playbook, alert, source.drill || (delivery.drill ?? false)),
      ),
    );
    return {
      incidentId: incidents[0]!.incidentId,
      deduplicated: incidents.every((i) => i.deduplicated),
      incidents,
      routed: true,
    };
  };
}

/** Starts the playbook's workflow for `alert`; a running incident with the same id is reported as a duplicate. */
export async function startIncident(
  deps: Pick<IntakeDeps, 'client' | 'taskQueue' | 'contacts' | 'organisation'>,
  playbook: LoadedPlaybook,
  alert: Alert,
  drill: boolean,
): Promise<IncidentRef> {
  const incidentId = incidentIdFor(alert, playbook);
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
        memo: { playbookId: playbook.resolved.id, playbookVersion: playbook.resolved.version, drill },
        // Same process as the worker: the first workflow task comes back in the start response.
        requestEagerStart: true,
      }),
    );
    return { incidentId, playbook: playbook.resolved.id, deduplicated: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        incidentId,
        playbook: playbook.resolved.id,
        deduplicated: true,
        joined: await join(deps.client, incidentId, alert),
      };
    }
    // Anything else means the alert is not durably recorded: the sender must retry (503), never a 2xx.
    throw new TemporalUnavailableError(err);
  }
}

/** Puts a repeat alert on the running incident's timeline. A closed incident refuses it (false). */
async function join(client: Client, incidentId: string, alert: Alert): Promise<boolean> {
  try {
    await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      client.workflow.getHandle(incidentId).executeUpdate(attachAlertUpdate, { args: [alert] }),
    );
    return true;
  } catch {
    // The start already answered for this alert; the join is best effort (issue 4 adds windows).
    return false;
  }
}
