// The quarterly governance report: for a period, the drills run per playbook, the incidents and their
// time to contain against the 10-minute window, every alert accounted for, the readiness problems and
// how long each stayed open, the sources that fell silent, and the playbooks' sign-off (changed since?).
import type { IncidentSummary } from '../../storage/incident-index';
import type { FindingSpan } from '../../storage/readiness-history';
import type { Accounting } from './accounting';
import { buildSummary, type PeriodSummary } from './summary';

export interface GovernanceInputs {
  from: string;
  to: string;
  incidents: readonly IncidentSummary[];
  playbooks: ReadonlyArray<{
    id: string;
    version: number;
    title: string;
    status: 'signed-off' | 'changed' | 'unsigned';
    signOff?: { version: number; by: string; role: string; at: string };
  }>;
  accounting: Accounting;
  findings: readonly FindingSpan[];
  silences: ReadonlyArray<{ at: string; title: string }>;
}

export interface GovernanceReport extends Omit<GovernanceInputs, 'incidents' | 'findings'> {
  summary: PeriodSummary;
  drills: Array<{ playbook: string; title: string; count: number; last?: string }>;
  findings: Array<FindingSpan & { openMs: number }>;
}

export function buildGovernanceReport(inputs: GovernanceInputs): GovernanceReport {
  const real = inputs.incidents.filter((i) => !i.drill);
  const drills = inputs.playbooks.map((p) => {
    const runs = inputs.incidents.filter((i) => i.drill && i.playbook.id === p.id);
    const last = runs
      .map((r) => r.startedAt)
      .sort()
      .at(-1);
    return { playbook: p.id, title: p.title, count: runs.length, ...(last ? { last } : {}) };
  });
  const end = Math.min(Date.parse(inputs.to), Date.now());
  return {
    from: inputs.from,
    to: inputs.to,
    playbooks: inputs.playbooks,
    accounting: inputs.accounting,
    silences: inputs.silences,
    summary: buildSummary(real, inputs.from, inputs.to),
    drills,
    findings: inputs.findings.map((f) => ({
      ...f,
      openMs: (f.resolvedAt ? Date.parse(f.resolvedAt) : end) - Date.parse(f.firstSeen),
    })),
  };
}

/** The calendar quarter holding `now` (to date): the report's default period. */
export function currentQuarter(now = new Date()): { from: string; to: string } {
  const q = Math.floor(now.getUTCMonth() / 3);
  return { from: new Date(Date.UTC(now.getUTCFullYear(), q * 3, 1)).toISOString(), to: now.toISOString() };
}

/** Where the report's parts come from (the server's stores). */
export interface GovernanceSources {
  incidents: (from: string, to: string) => Promise<readonly IncidentSummary[]>;
  playbooks: () => GovernanceInputs['playbooks'];
  accounting: (from: string, to: string) => Promise<Accounting>;
  findings?: (from: string, to: string) => Promise<readonly FindingSpan[]>;
  silences?: (from: string, to: string) => Promise<GovernanceInputs['silences']>;
}

export async function collectGovernanceReport(
  sources: GovernanceSources,
  from: string,
  to: string,
): Promise<GovernanceReport> {
  const [incidents, accounting, findings, silences] = await Promise.all([
    sources.incidents(from, to),
    sources.accounting(from, to),
    sources.findings?.(from, to) ?? [],
    sources.silences?.(from, to) ?? [],
  ]);
  return buildGovernanceReport({
    from,
    to,
    incidents,
    playbooks: sources.playbooks(),
    accounting,
    findings,
    silences,
  });
}
