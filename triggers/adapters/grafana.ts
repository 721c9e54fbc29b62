// Grafana alerting's webhook contact point: a group of alerts with labels and annotations. One
// delivery is one Alert: the first firing alert names it, every alert's labels add entities. A
// "resolved" notification needs no incident and is acknowledged without one.
import { z } from 'zod';
import type { Alert } from '../../workflows/model/alert';
import { classify, EntityList, ipFields, kind, severityOf, text, timeOf } from './common';

const labels = z.record(z.string(), z.string()).default({});
const grafanaSchema = z
  .object({
    receiver: z.string().optional(),
    status: z.enum(['firing', 'resolved']),
    groupKey: z.string().min(1),
    title: z.string().optional(),
    commonLabels: labels,
    commonAnnotations: labels,
    alerts: z
      .array(
        z
          .object({
            status: z.enum(['firing', 'resolved']),
            labels,
            annotations: labels,
            startsAt: z.string().optional(),
            fingerprint: z.string().default(''),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();

export function fromGrafana(source: string, body: unknown, receivedAt: Date): Alert | undefined {
  const g = grafanaSchema.parse(body);
  const firing = g.alerts.filter((a) => a.status === 'firing');
  if (g.status === 'resolved' || firing.length === 0) return undefined;
  const first = firing[0]!;
  const l = { ...g.commonLabels, ...first.labels };
  const entities = new EntityList();
  for (const a of firing) {
    const x = a.labels;
    entities
      .add('users', x.user, x.userPrincipalName, x.upn, x.account)
      .add('ips', ...ipFields(x))
      .add('hosts', x.host, x.instance, x.hostname)
      .add('apps', x.app, x.application)
      .add('files', x.file);
  }
  const title = text(first.annotations.summary) ?? text(l.alertname) ?? text(g.title) ?? 'Grafana alert';
  return {
    source,
    externalId: `${g.groupKey}:${first.fingerprint}:${first.startsAt ?? ''}`,
    ...kind(
      classify({
        explicit: [l.reflex_type],
        techniques: [l.mitre_technique, l.mitre_technique_id, l.technique, first.annotations.mitre_technique],
        words: [l.alertname, first.annotations.summary, first.annotations.description],
      }),
    ),
    title,
    severity: severityOf(l.severity),
    occurredAt: timeOf(first.startsAt, receivedAt),
    receivedAt: receivedAt.toISOString(),
    entities: entities.toEntities(),
    raw: body,
  };
}
