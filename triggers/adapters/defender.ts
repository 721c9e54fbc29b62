// Microsoft Defender XDR alerts (Graph security `alert` v2) and Entra ID Protection risk detections
// (Graph `riskDetection`), as a Logic App or a Graph change notification relays them. One per delivery;
// a Graph list (`{ value: [...] }`) with exactly one item is accepted too.
import { z } from 'zod';
import type { Alert } from '../../workflows/model/alert';
import { classify, EntityList, kind, severityOf, text, timeOf } from './common';

const riskDetectionSchema = z
  .object({
    id: z.string().min(1),
    riskEventType: z.string().min(1),
    riskLevel: z.string().optional(),
    riskState: z.string().optional(),
    activityDateTime: z.string().optional(),
    detectedDateTime: z.string().optional(),
    ipAddress: z.string().optional(),
    userPrincipalName: z.string().optional(),
    userId: z.string().optional(),
    userDisplayName: z.string().optional(),
    location: z
      .object({ city: z.string().optional(), countryOrRegion: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

const evidenceSchema = z.object({ '@odata.type': z.string().default('') }).loose();
const alertV2Schema = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
    severity: z.string(),
    category: z.string().optional(),
    description: z.string().optional(),
    createdDateTime: z.string().optional(),
    firstActivityDateTime: z.string().optional(),
    evidence: z.array(evidenceSchema).default([]),
    mitreTechniques: z.array(z.string()).default([]),
  })
  .loose();

/** Entra ID Protection's risk event types, as Reflex's alert types. */
const RISK_TYPES: Record<string, string> = {
  unlikelyTravel: 'impossible-travel',
  impossibleTravel: 'impossible-travel',
  newCountry: 'impossible-travel',
  passwordSpray: 'password-spray-success',
  leakedCredentials: 'leaked-credentials',
  suspiciousInboxForwarding: 'inbox-rule',
  maliciousIPAddress: 'risky-sign-in',
  anonymizedIPAddress: 'risky-sign-in',
  unfamiliarFeatures: 'risky-sign-in',
  tokenIssuerAnomaly: 'risky-sign-in',
  anomalousToken: 'risky-sign-in',
  attackerinTheMiddle: 'risky-sign-in',
  adminConfirmedUserCompromised: 'risky-sign-in',
  investigationsThreatIntelligence: 'risky-sign-in',
};

export function fromDefender(source: string, body: unknown, receivedAt: Date): Alert {
  let item = body;
  if (body && typeof body === 'object' && Array.isArray((body as { value?: unknown }).value)) {
    const list = (body as { value: unknown[] }).value;
    if (list.length !== 1) {
      throw new z.ZodError([
        {
          code: 'custom',
          path: ['value'],
          message: `send one detection per delivery, not ${list.length}`,
          input: list,
        },
      ]);
    }
    item = list[0];
  }
  if (item && typeof item === 'object' && 'riskEventType' in item)
    return fromRiskDetection(source, item, receivedAt, body);
  return fromAlertV2(source, item, receivedAt, body);
}

function fromRiskDetection(source: string, item: unknown, receivedAt: Date, raw: unknown): Alert {
  const d = riskDetectionSchema.parse(item);
  const where = [d.location?.city, d.location?.countryOrRegion].filter(Boolean).join(', ');
  return {
    source,
    externalId: d.id,
    type: RISK_TYPES[d.riskEventType] ?? 'risky-sign-in',
    typeReason: `Entra ID Protection's risk event ${d.riskEventType}`,
    title: `Entra ID Protection: ${d.riskEventType}${d.userPrincipalName ? ` for ${d.userPrincipalName}` : ''}${where ? ` (${where})` : ''}`,
    // Entra's risk levels are low/medium/high ("hidden" and "none" say nothing): high risk is urgent.
    severity: severityOf(d.riskLevel === 'hidden' ? 'medium' : d.riskLevel),
    occurredAt: timeOf(d.activityDateTime ?? d.detectedDateTime, receivedAt),
    receivedAt: receivedAt.toISOString(),
    entities: new EntityList()
      .add('users', d.userPrincipalName ?? d.userId)
      .add('ips', d.ipAddress)
      .toEntities(),
    raw,
  };
}

function fromAlertV2(source: string, item: unknown, receivedAt: Date, raw: unknown): Alert {
  const a = alertV2Schema.parse(item);
  const entities = new EntityList();
  for (const e of a.evidence) {
    const kind = e['@odata.type'].replace(/^#microsoft\.graph\.security\./, '');
    const x = e as Record<string, Record<string, unknown> | undefined>;
    switch (kind) {
      case 'userEvidence':
        entities.add(
          'users',
          x.userAccount?.userPrincipalName ?? x.userAccount?.azureAdUserId ?? x.userAccount?.accountName,
        );
        break;
      case 'ipEvidence':
        entities.add('ips', (e as { ipAddress?: unknown }).ipAddress);
        break;
      case 'deviceEvidence':
        entities.add('hosts', (e as { deviceDnsName?: unknown }).deviceDnsName);
        break;
      case 'fileEvidence':
        entities.add('files', x.fileDetails?.fileName);
        break;
      case 'oauthApplicationEvidence':
      case 'cloudApplicationEvidence':
        entities.add(
          'apps',
          (e as { displayName?: unknown }).displayName ?? (e as { appId?: unknown }).appId,
        );
        break;
      case 'mailboxEvidence':
        entities.add('users', (e as { primaryAddress?: unknown }).primaryAddress);
        break;
    }
  }
  return {
    source,
    externalId: a.id,
    ...kind(classify({ techniques: a.mitreTechniques, words: [a.title, a.category] })),
    title: text(a.title)!,
    severity: severityOf(a.severity),
    occurredAt: timeOf(a.firstActivityDateTime ?? a.createdDateTime, receivedAt),
    receivedAt: receivedAt.toISOString(),
    entities: entities.toEntities(),
    raw,
  };
}
