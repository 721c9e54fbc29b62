// The interpreter: one workflow runs any pinned playbook, then waits for a responder to close the
// incident. Its state is queryable; repeat alerts, approvals, aborts and resolutions arrive as Updates.
import {
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { ReflexActivities } from '../activities';
import { AUDIT_WRITES } from './activity-options';
import { applyDecision, validateDecision } from './approval';
import { compensate } from './compensation';
import { Incident, type CloseRequest } from './incident';
import {
  abortIncidentUpdate,
  alertJoinedSignal,
  attachAlertUpdate,
  decideApprovalUpdate,
  incidentStateQuery,
  resolveIncidentUpdate,
} from './messages';
import { runSteps } from './steps';
import type { IncidentInput, IncidentState } from './model/incident';
import type { Alert } from './model/alert';

const { 'audit.record': recordAudit } = proxyActivities<ReflexActivities>(AUDIT_WRITES);

/**
 * Runs started with this patch write the audit events of one workflow task in one batch: a one-step
 * incident makes two audit writes instead of four (docs/BENCHMARKS.md). Histories recorded before it
 * replay the old batching.
 */
export const COALESCED_AUDIT_PATCH = 'audit-batches-coalesced';

export async function runPlaybook(input: IncidentInput): Promise<IncidentState> {
  const incident = new Incident(input, recordAudit, patched(COALESCED_AUDIT_PATCH));
  const { state, audit } = incident;
  registerHandlers(incident);

  if (!input.carried) {
    if (input.drill) audit.add('drill.started', 'reflex', { note: 'DRILL: actions take their dry-run path' });
    const { alert, playbook } = input;
    audit.add('alert.received', `source:${alert.source}`, {
      externalId: alert.externalId,
      type: alert.type,
      title: alert.title,
      severity: alert.severity,
      occurredAt: alert.occurredAt,
      entities: alert.entities,
      auth: 'verified',
    });
    audit.add('incident.started', 'reflex', {
      playbook: state.playbook,
      description: playbook.description,
      ...(playbook.signOff !== undefined ? { signOff: playbook.signOff } : {}),
    });

    incident.stepsScope = new CancellationScope();
    let result: 'next' | 'abort';
    try {
      result = await incident.stepsScope.run(() => runSteps(playbook.steps, incident));
    } catch (err) {
      if (!isCancellation(err)) throw err;
      result = 'abort'; // an abort or false-positive Update cancelled the steps
    }
    if (result === 'abort' && !incident.closeRequest) {
      incident.closeRequest = { as: 'aborted', by: 'reflex', note: 'the playbook aborted' };
    }
    if (!incident.closeRequest) {
      state.containedAt = new Date().toISOString();
      audit.add('incident.contained', 'reflex', {
        steps: state.steps.map((s) => ({ id: s.id, status: s.status })),
      });
      // "contained" is shown only once the record of how it got there is written.
      await audit.drain();
      state.status = 'contained';
    }
  }

  // Contained: wait for a responder to confirm or to call it a false positive.
  while (!incident.closeRequest) {
    await condition(() => incident.closeRequest !== undefined || workflowInfo().continueAsNewSuggested);
    if (!incident.closeRequest) {
      // A long-lived incident (an alert storm) stays under Temporal's history limits.
      await condition(allHandlersFinished);
      await audit.drain();
      await continueAsNew<typeof runPlaybook>({ ...input, carried: incident.carry() });
    }
  }
  await close(incident, incident.closeRequest);
  await condition(allHandlersFinished);
  await audit.drain();
  return state;
}

async function close(incident: Incident, request: CloseRequest): Promise<void> {
  const { state, audit } = incident;
  if (request.as !== 'contained') {
    await CancellationScope.nonCancellable(() => compensate(incident, request.as));
  }
  state.status = request.as === 'contained' ? 'resolved' : request.as;
  state.closedAt = new Date().toISOString();
  state.resolution = { by: request.by, at: state.closedAt, as: request.as, note: request.note };
  audit.add('incident.closed', request.by, { status: state.status, note: request.note });
  if (state.drill) audit.add('drill.finished', 'reflex', {});
}

function registerHandlers(incident: Incident): void {
  const { state } = incident;
  setHandler(incidentStateQuery, () => state);

  setHandler(decideApprovalUpdate, (input) => applyDecision(incident, input), {
    validator: (input) => validateDecision(incident, input),
  });

  const joinAlert = (alert: Alert) => {
    incident.attach(alert);
    incident.audit.add('alert.joined', `source:${alert.source}`, {
      externalId: alert.externalId,
      title: alert.title,
      severity: alert.severity,
      alertCount: state.alertCount,
    });
    return { alertCount: state.alertCount };
  };
  // A signal is never refused: an alert that arrives while the incident closes is still on its record.
  setHandler(alertJoinedSignal, (alert, intakeId) => {
    // The same journal row again (drained a second time after a crash): already on the record.
    if (intakeId !== undefined && incident.seen(intakeId)) return;
    joinAlert(alert);
  });
  setHandler(attachAlertUpdate, joinAlert, {
    validator: (_alert) => {
      if (incident.closed || incident.closeRequest) throw new Error('the incident is closed');
    },
  });

  const requestClose = async (request: CloseRequest): Promise<IncidentState> => {
    incident.closeRequest = request;
    incident.stepsScope?.cancel();
    await condition(() => incident.closed);
    // Answer only once the closing is on the audit record.
    await incident.audit.drain();
    return state;
  };

  setHandler(
    abortIncidentUpdate,
    (input) => requestClose({ as: 'aborted', by: input.by, note: input.note }),
    {
      validator: (_input) => {
        if (incident.closed || incident.closeRequest)
          throw new Error('the incident is already closed or closing');
      },
    },
  );

  setHandler(
    resolveIncidentUpdate,
    (input) => requestClose({ as: input.as, by: input.by, note: input.note }),
    {
      validator: (input) => {
        if (incident.closed || incident.closeRequest)
          throw new Error('the incident is already closed or closing');
        if (input.as === 'contained' && state.status !== 'contained') {
          throw new Error(
            'the playbook is still running: it can be aborted or marked a false positive, not resolved',
          );
        }
      },
    },
  );
}
