// "No alert went unhandled": for a period, every webhook delivery and what became of it (the intake's
// ledger), beside what the audit record holds (alerts that opened or joined an incident, unrouted,
// refused), by source. The ledger's outcomes add up to the deliveries received by construction; the
// record column is exact and outlives any process.

/** The ledger's outcomes, grouped as the board reads them. */
export const OUTCOME_GROUPS = {
  handled: ['accepted', 'deduplicated', 'journalled', 'unrouted', 'ignored'],
  refused: ['rejected', 'invalid', 'unknown_source'],
  retried: ['rate_limited', 'unavailable'],
  replayed: ['replayed'],
  failed: ['error'],
} as const;

export interface SourceAccount {
  source: string;
  /** A configured webhook source (else a log source, Reflex itself, or a drill: record only). */
  webhook: boolean;
  /** Deliveries by outcome (webhooks). */
  deliveries: Record<string, number>;
  received: number;
  /** The audit record: opened, joined, unrouted, rejected. */
  recorded: Record<'opened' | 'joined' | 'unrouted' | 'rejected', number>;
}

export interface Accounting {
  from: string;
  to: string;
  sources: SourceAccount[];
  totals: {
    received: number;
    handled: number;
    refused: number;
    retried: number;
    replayed: number;
    failed: number;
  };
  recorded: SourceAccount['recorded'];
  /** Every delivery answered 5xx-other-than-503 ("error") is a bug: none means none went unhandled. */
  unhandled: number;
}

export function buildAccounting(
  period: { from: string; to: string },
  webhookSources: readonly string[],
  ledger: ReadonlyArray<{ source: string; outcome: string; count: number }>,
  recorded: ReadonlyArray<{ source: string; kind: keyof SourceAccount['recorded']; count: number }>,
): Accounting {
  const accounts = new Map<string, SourceAccount>();
  const account = (source: string) => {
    let a = accounts.get(source);
    if (!a) {
      a = {
        source,
        webhook: webhookSources.includes(source),
        deliveries: {},
        received: 0,
        recorded: { opened: 0, joined: 0, unrouted: 0, rejected: 0 },
      };
      accounts.set(source, a);
    }
    return a;
  };
  for (const s of webhookSources) account(s);
  for (const row of ledger) {
    const a = account(row.source);
    a.deliveries[row.outcome] = (a.deliveries[row.outcome] ?? 0) + row.count;
    a.received += row.count;
  }
  for (const row of recorded) account(row.source).recorded[row.kind] += row.count;
  const sources = [...accounts.values()].sort(
    (a, b) => Number(b.webhook) - Number(a.webhook) || a.source.localeCompare(b.source),
  );
  const sum = (outcomes: readonly string[]) =>
    sources.reduce((n, a) => n + outcomes.reduce((m, o) => m + (a.deliveries[o] ?? 0), 0), 0);
  const totals = {
    received: sources.reduce((n, a) => n + a.received, 0),
    handled: sum(OUTCOME_GROUPS.handled),
    refused: sum(OUTCOME_GROUPS.refused),
    retried: sum(OUTCOME_GROUPS.retried),
    replayed: sum(OUTCOME_GROUPS.replayed),
    failed: sum(OUTCOME_GROUPS.failed),
  };
  const total = (k: keyof SourceAccount['recorded']) => sources.reduce((n, a) => n + a.recorded[k], 0);
  return {
    ...period,
    sources,
    totals,
    recorded: {
      opened: total('opened'),
      joined: total('joined'),
      unrouted: total('unrouted'),
      rejected: total('rejected'),
    },
    unhandled: totals.failed,
  };
}
