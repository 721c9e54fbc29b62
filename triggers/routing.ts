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

/** Why each playbook would, or would not, take the alert: for `reflex alerts test`. */
export function explainRoute(
  alert: Alert,
  playbooks: readonly LoadedPlaybook[],
): { chosen: LoadedPlaybook[]; reasons: Array<{ playbook: string; takes: boolean; why: string }> } {
  const context = { alert, entities: alert.entities };
  const reasons = playbooks.map((p) => {
    const why = p.definition.triggers.map((t, i) => {
      const n = p.definition.triggers.length > 1 ? `trigger ${i + 1}: ` : '';
      if (t.source !== '*' && t.source !== alert.source)
        return { ok: false, text: `${n}only from source ${t.source}` };
      if (t.types && !t.types.includes(alert.type))
        return { ok: false, text: `${n}types ${t.types.join(', ')}` };
      if (severityRank(alert.severity) < severityRank(t.minSeverity))
        return { ok: false, text: `${n}severity ${t.minSeverity} or higher` };
      if (!evaluate(t.match, context)) return { ok: false, text: `${n}its match condition does not hold` };
      return {
        ok: true,
        text: `${n}${t.types ? `type ${alert.type}` : 'any type'}, severity ${alert.severity} ≥ ${t.minSeverity}${t.match ? ', match holds' : ''}`,
      };
    });
    const taken = why.find((w) => w.ok);
    return {
      playbook: p.definition.id,
      takes: Boolean(taken),
      why: taken ? taken.text : `needs ${why.map((w) => w.text).join('; or ')}`,
    };
  });
  return { chosen: route(alert, playbooks), reasons };
}
