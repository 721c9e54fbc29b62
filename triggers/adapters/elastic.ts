// An Elastic Kibana webhook connector, sending the body of integrations/kibana/webhook-body.mustache:
// rule id and name, the alert id, the date, the severity and entity lists filled from the alerts.
import { z } from 'zod';
import type { Alert } from '../../workflows/model/alert';
import { classify, EntityList, kind, severityOf, text, timeOf } from './common';

const list = z.array(z.string()).default([]);
const elasticSchema = z
  .object({
    rule: z
      .object({
        id: z.string().min(1),
        name: z.string().min(1),
        tags: z.union([z.string(), z.array(z.string())]).optional(),
      })
      .loose(),
    alert: z
      .object({ id: z.string().default(''), uuid: z.string().default('') })
      .loose()
      .prefault({}),
    date: z.string().optional(),
    severity: z.string().optional(),
    reason: z.string().optional(),
    reflex_type: z.string().optional(),
    threat: z.unknown().optional(),
    techniques: z.unknown().optional(),
    users: list,
    ips: list,
    hosts: list,
    apps: list,
    files: list,
  })
  .loose();

export function fromElastic(source: string, body: unknown, receivedAt: Date): Alert {
  const e = elasticSchema.parse(body);
  const tags = Array.isArray(e.rule.tags) ? e.rule.tags : (e.rule.tags ?? '').split(',');
  const tagType = tags.map((t) => /^reflex:type=(.+)$/.exec(t.trim())?.[1]).find(Boolean);
  return {
    source,
    // Kibana's alert uuid names one alert; without it, the rule and the alert id (its group).
    externalId: e.alert.uuid || `${e.rule.id}:${e.alert.id || timeOf(e.date, receivedAt)}`,
    ...kind(
      classify({
        explicit: [e.reflex_type, tagType],
        // The rule's `threat` (technique ids), as the body template sends it.
        techniques: [e.threat, e.techniques],
        words: [e.rule.name, e.reason],
      }),
    ),
    title: text(e.rule.name)!,
    severity: severityOf(e.severity),
    occurredAt: timeOf(e.date, receivedAt),
    receivedAt: receivedAt.toISOString(),
    // The template leaves a trailing "" in each list (mustache cannot drop the last comma).
    entities: new EntityList()
      .add('users', ...e.users)
      .add('ips', ...e.ips)
      .add('hosts', ...e.hosts)
      .add('apps', ...e.apps)
      .add('files', ...e.files)
      .toEntities(),
    raw: body,
  };
}
