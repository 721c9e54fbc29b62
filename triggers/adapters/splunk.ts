// Splunk's webhook alert action: `{ result: {first result row}, sid, results_link, search_name, owner, app }`.
// The row's field names follow Splunk's CIM where they can (user, src, dest, app, file_name).
import { z } from 'zod';
import type { Alert } from '../../workflows/model/alert';
import { classify, EntityList, ipFields, kind, severityOf, text, timeOf } from './common';

const splunkSchema = z
  .object({
    sid: z.string().min(1),
    search_name: z.string().min(1),
    results_link: z.string().optional(),
    app: z.string().optional(),
    owner: z.string().optional(),
    result: z.record(z.string(), z.unknown()).default({}),
  })
  .loose();

export function fromSplunk(source: string, body: unknown, receivedAt: Date): Alert {
  const s = splunkSchema.parse(body);
  const r = s.result;
  const entities = new EntityList()
    .add('users', r.user, r.src_user, r.user_principal_name, r.UserId, r.userPrincipalName)
    .add('ips', r.src, r.clientip, ...ipFields(r))
    .add('hosts', r.host, r.dest, r.dest_host)
    .add('apps', r.app_name, r.appDisplayName)
    .add('files', r.file_name, r.SourceFileName);
  return {
    source,
    // The search id names one run of the alert; repeats of the same run are the same alert.
    externalId: s.sid,
    ...kind(
      classify({
        explicit: [r.reflex_type],
        // Splunk ES's annotations, or a field the search adds.
        techniques: [r.mitre_technique_id, r.mitre_technique, r.technique_id, r.annotations],
        words: [s.search_name, r.title],
      }),
    ),
    title: text(r.title) ?? text(s.search_name)!,
    severity: severityOf(r.severity ?? r.urgency),
    occurredAt: timeOf(r._time, receivedAt),
    receivedAt: receivedAt.toISOString(),
    entities: entities.toEntities(),
    raw: body,
  };
}
