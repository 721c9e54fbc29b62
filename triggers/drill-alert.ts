// The alert a drill runs on: a sample that the playbook's first trigger admits, or one the responder
// wrote in Reflex's generic alert schema (docs/ALERT-SCHEMA.md).
import { randomBytes } from 'node:crypto';
import type { LoadedPlaybook } from '../playbooks/load';
import type { Alert } from '../workflows/model/alert';
import { fromGeneric } from './adapters/generic';

/** A sample alert a playbook's first trigger admits, for drills without an alert of their own. */
export function sampleAlert(playbook: LoadedPlaybook): Alert {
  const trigger = playbook.definition.triggers[0]!;
  return fromGeneric(
    trigger.source === '*' ? 'drill' : trigger.source,
    {
      id: `drill-${randomBytes(6).toString('hex')}`,
      type: trigger.types?.[0] ?? 'drill',
      title: `Drill: ${playbook.definition.title}`,
      severity: 'high',
      entities: {
        users: ['drill.user@museum.example'],
        ips: ['192.0.2.10'],
        hosts: ['drill-pc-01'],
        // An app registration's object id, as secret rotation expects.
        apps: ['11111111-1111-4111-8111-111111111111'],
      },
    },
    new Date(),
  );
}

/** The drill's alert: the given generic-schema body, or a sample; throws a ZodError on a malformed body. */
export function drillAlert(playbook: LoadedPlaybook, body?: unknown): Alert {
  return body === undefined ? sampleAlert(playbook) : fromGeneric('drill', body, new Date());
}
