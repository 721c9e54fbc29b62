// A period at a glance: how many incidents, how fast they were contained against the 10-minute window
// an attack like Odido's needs, and what is still open.
import type { IncidentSummary } from '../../storage/incident-index';
import { ATTACK_WINDOW_MS } from './timeline';

export interface Bucket {
  label: string;
  /** Upper bound in minutes (exclusive); undefined for the last bucket. */
  underMinutes?: number;
  count: number;
  /** Whether the bucket lies within the attack window. */
  withinWindow: boolean;
}

export interface PeriodSummary {
  from?: string;
  to?: string;
  total: number;
  real: number;
  drills: number;
  byStatus: Record<string, number>;
  /** Incidents with a containment action, and how many of those were contained inside 10 minutes. */
  withContainment: number;
  containedWithinWindow: number;
  distribution: Bucket[];
  /** Incidents not yet closed, oldest first. */
  open: IncidentSummary[];
}

const EDGES = [1, 2, 5, 10, 30, 60];

export function buildSummary(
  incidents: readonly IncidentSummary[],
  from?: string,
  to?: string,
): PeriodSummary {
  const byStatus: Record<string, number> = {};
  const distribution: Bucket[] = EDGES.map((edge, i) => ({
    label: `${i === 0 ? '0' : EDGES[i - 1]}–${edge}`,
    underMinutes: edge,
    count: 0,
    withinWindow: edge * 60_000 <= ATTACK_WINDOW_MS,
  }));
  distribution.push({ label: `${EDGES[EDGES.length - 1]}+`, count: 0, withinWindow: false });
  let withContainment = 0;
  let containedWithinWindow = 0;
  for (const incident of incidents) {
    byStatus[incident.status] = (byStatus[incident.status] ?? 0) + 1;
    if (!incident.firstContainedAt) continue;
    withContainment += 1;
    const ms = Date.parse(incident.firstContainedAt) - Date.parse(incident.startedAt);
    if (ms <= ATTACK_WINDOW_MS) containedWithinWindow += 1;
    const bucket = distribution.find((b) => b.underMinutes === undefined || ms < b.underMinutes * 60_000)!;
    bucket.count += 1;
  }
  const open = incidents
    .filter((i) => i.status === 'running' || i.status === 'contained')
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
  return {
    from,
    to,
    total: incidents.length,
    real: incidents.filter((i) => !i.drill).length,
    drills: incidents.filter((i) => i.drill).length,
    byStatus,
    withContainment,
    containedWithinWindow,
    distribution,
    open,
  };
}
