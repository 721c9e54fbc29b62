// Which playbooks an alert starts, and the incident id its dedup key gives.
import { createHash } from 'node:crypto';
import type { Alert } from './alert';
import { severityRank } from './alert';
import type { LoadedPlaybook } from '../playbooks/load';
import { render } from '../workflows/template';

/** The playbooks whose triggers match the alert. */
export function route(alert: Alert, playbooks: readonly LoadedPlaybook[]): LoadedPlaybook[] {
  return playbooks.filter(({ definition }) =>
    definition.triggers.some(
      (t) =>
        (t.source === '*' || t.source === alert.source) &&
        (!t.types || t.types.includes(alert.type)) &&
        severityRank(alert.severity) >= severityRank(t.minSeverity),
    ),
  );
}

/**
 * The incident id for `alert` under `playbook`: the playbook id plus a digest of its rendered
 * dedup key, so the same key always lands on the same workflow id.
 */
export function incidentIdFor(alert: Alert, playbook: LoadedPlaybook): string {
  const key = String(render(playbook.definition.dedup.key, { alert, entities: alert.entities }));
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 20);
  return `${playbook.definition.id}-${digest}`;
}
