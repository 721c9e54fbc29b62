// Prometheus metrics (prom-client): what the intake received and how it answered, how long it took,
// what the log rules fired, and what the readiness check found. Served at /metrics to a token with at least the board role.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a webhook delivery ended, by the error that ended it or the answer it got. */
export type DeliveryOutcome =
  | 'accepted'
  | 'deduplicated'
  | 'journalled'
  | 'unrouted'
  | 'ignored'
  | 'rejected'
  | 'replayed'
  | 'rate_limited'
  | 'invalid'
  | 'unavailable'
  | 'unknown_source'
  | 'error';

export class Metrics {
  readonly registry = new Registry();
  readonly deliveries = new Counter({
    name: 'reflex_webhook_deliveries_total',
    help: 'Webhook deliveries by source and outcome',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly intakeSeconds = new Histogram({
    name: 'reflex_webhook_intake_seconds',
    help: 'Time from receiving a webhook to answering it (Temporal has the alert when the answer is 202)',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly journalPending = new Gauge({
    name: 'reflex_intake_journal_pending',
    help: 'Alerts accepted (202) and journalled whose incidents are not opened yet',
    registers: [this.registry],
  });
  readonly journalOldestSeconds = new Gauge({
    name: 'reflex_intake_journal_oldest_seconds',
    help: 'Age of the oldest journalled alert not opened yet (0: none)',
    registers: [this.registry],
  });
  readonly ruleFirings = new Counter({
    name: 'reflex_rule_firings_total',
    help: 'Log rule firings delivered, by rule',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  readonly logRecordsLost = new Counter({
    name: 'reflex_log_records_lost_total',
    help: 'Log records not evaluated: skipped (too long, unevaluable) or dropped (queue full), by source',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  });

  readonly readinessProblems = new Gauge({
    name: 'reflex_readiness_problems',
    help: 'Problems the readiness check (reflex doctor) found at its last run, by check (0: none)',
    labelNames: ['check'] as const,
    registers: [this.registry],
  });
  readonly readinessCheckedAt = new Gauge({
    name: 'reflex_readiness_checked_timestamp_seconds',
    help: 'When the readiness check last ran',
    registers: [this.registry],
  });

  readonly sourceSilent = new Gauge({
    name: 'reflex_source_silent',
    help: 'A source with expectEvery that has been silent longer (1) or not (0), by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly sourceLastDelivery = new Gauge({
    name: 'reflex_source_last_delivery_timestamp_seconds',
    help: 'When a source last delivered something Reflex authenticated (a webhook) or read (a log), by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'reflex_' });
  }
}
