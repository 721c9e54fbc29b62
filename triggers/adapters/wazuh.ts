// A Wazuh alert, as integrations/wazuh/custom-reflex forwards it: `rule.{id, level, description,
// groups}`, `timestamp`, `id`, `agent`, `data`, `full_log`.
import { z } from 'zod';
import type { Alert } from '../../workflows/model/alert';
import { classify, EntityList, kind, severityOf, text, timeOf } from './common';

const wazuhSchema = z
  .object({
    id: z.string().min(1),
    timestamp: z.string().optional(),
    rule: z
      .object({
        id: z.union([z.string(), z.number()]),
        level: z.number().int().min(0).max(16),
        description: z.string().min(1),
        groups: z.array(z.string()).default([]),
      })
      .loose(),
    agent: z
      .object({ id: z.string().optional(), name: z.string().optional(), ip: z.string().optional() })
      .loose()
      .optional(),
    data: z.record(z.string(), z.unknown()).default({}),
    full_log: z.string().optional(),
  })
  .loose();

const pick = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    o,
  );

export function fromWazuh(source: string, body: unknown, receivedAt: Date): Alert {
  const w = wazuhSchema.parse(body);
  const d = w.data;
  const entities = new EntityList()
    .add(
      'users',
      d.srcuser,
      d.dstuser,
      pick(d, 'office365', 'UserId'),
      pick(d, 'win', 'eventdata', 'targetUserName'),
      pick(d, 'ms-graph', 'userPrincipalName'),
    )
    .add(
      'ips',
      d.srcip,
      pick(d, 'office365', 'ClientIP'),
      pick(d, 'win', 'eventdata', 'ipAddress'),
      pick(d, 'ms-graph', 'ipAddress'),
    )
    .add('hosts', w.agent?.name)
    .add('files', pick(d, 'office365', 'SourceFileName'), pick(d, 'syscheck', 'path'));
  return {
    source,
    externalId: w.id,
    ...kind(
      classify({
        techniques: pick(w.rule, 'mitre', 'id'),
        words: [w.rule.description, w.rule.groups.join(' ')],
      }),
    ),
    title: text(w.rule.description)!,
    severity: severityOf(w.rule.level),
    occurredAt: timeOf(w.timestamp, receivedAt),
    receivedAt: receivedAt.toISOString(),
    entities: entities.toEntities(),
    raw: body,
  };
}
