// Which playbooks an alert starts (the incident id its dedup key gives is the gateway's: temporal/).
import type { Alert } from '../workflows/model/alert';
import { severityRank } from '../workflows/model/alert';
import type { LoadedPlaybook } from '../playbooks/load';
import { evaluate } from '../workflows/model/conditions';

/** Whether one of the playbook's triggers admits the alert. */
export function admits(playbook: LoadedPlaybook, alert: Alert): boolean {
  const context = { alert, entities: alert.entities };
  return playbook.definition.triggers.some(
    (t) =>
      (t.source === '*' || t.source === alert.source) &&
      (!t.types || t.types.includes(alert.type)) &&
      severityRank(alert.severity) >= severityRank(t.minSeverity) &&
      evaluate(t.match, context),
  );
}

/** The playbooks whose triggers match the alert; fallback playbooks only when no other one does. */
export function route(alert: Alert, playbooks: readonly LoadedPlaybook[]): LoadedPlaybook[] {
  const matching = playbooks.filter((p) => admits(p, alert));
  const specific = matching.filter((p) => !p.definition.fallback);
  return specific.length > 0 ? specific : matching;
}
