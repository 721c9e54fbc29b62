// A Microsoft Sentinel incident, as a Logic App's HTTP action sends it (the incident trigger's body):
// `object.properties.{title, severity, incidentNumber, createdTimeUtc, relatedEntities[], …}`.
import { z } from 'zod';
import type { Alert } from '../../workflows/model/alert';
import { classify, EntityList, kind, severityOf, text, timeOf } from './common';

const entitySchema = z
  .object({ kind: z.string(), properties: z.record(z.string(), z.unknown()).default({}) })
  .loose();

const sentinelSchema = z
  .object({
    object: z
      .object({
        id: z.string().min(1),
        name: z.string().optional(),
        properties: z
          .object({
            title: z.string().min(1),
            description: z.string().optional(),
            severity: z.string(),
            status: z.string().optional(),
            incidentNumber: z.number().optional(),
            incidentUrl: z.string().optional(),
            createdTimeUtc: z.string().optional(),
            firstActivityTimeUtc: z.string().optional(),
            labels: z.array(z.object({ labelName: z.string() }).loose()).default([]),
            relatedEntities: z.array(entitySchema).default([]),
            additionalData: z
              .object({ alertProductNames: z.array(z.string()).default([]) })
              .loose()
              .prefault({}),
          })
          .loose(),
      })
      .loose(),
  })
  .loose();

export function fromSentinel(source: string, body: unknown, receivedAt: Date): Alert {
  const { object } = sentinelSchema.parse(body);
  const p = object.properties;
  const entities = new EntityList();
  for (const entity of p.relatedEntities) {
    const e = entity.properties;
    switch (entity.kind) {
      case 'Account': {
        const upn =
          typeof e.accountName === 'string' && typeof e.upnSuffix === 'string'
            ? `${e.accountName}@${e.upnSuffix}`
            : undefined;
        entities.add('users', upn ?? e.aadUserId ?? e.accountName);
        break;
      }
      case 'Ip':
        entities.add('ips', e.address);
        break;
      case 'Host':
        entities.add(
          'hosts',
          typeof e.hostName === 'string' && typeof e.dnsDomain === 'string'
            ? `${e.hostName}.${e.dnsDomain}`
            : e.hostName,
        );
        break;
      case 'CloudApplication':
        entities.add('apps', e.appDisplayName ?? e.appId ?? e.instanceName);
        break;
      case 'File':
        entities.add('files', e.fileName);
        break;
      case 'MailMessage':
        entities.add('users', e.recipient);
        break;
    }
  }
  const labelType = p.labels.map((l) => /^reflex:type=(.+)$/.exec(l.labelName)?.[1]).find(Boolean);
  return {
    source,
    externalId: object.name ?? object.id,
    ...kind(
      classify({
        explicit: [labelType],
        techniques: (p.additionalData as Record<string, unknown>).techniques,
        words: [p.title, p.description],
      }),
    ),
    title: text(p.title)!,
    severity: severityOf(p.severity),
    occurredAt: timeOf(p.firstActivityTimeUtc ?? p.createdTimeUtc, receivedAt),
    receivedAt: receivedAt.toISOString(),
    entities: entities.toEntities(),
    raw: body,
  };
}
