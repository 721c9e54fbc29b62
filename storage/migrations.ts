// The one set of migrations, run by both PostgreSQL and the embedded PGlite. Append only.
export interface Migration {
  version: number;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      // One row per hash chain (an incident, or `intake` for deliveries that made no incident).
      `create table audit_chain_heads (
         chain_id text primary key,
         seq bigint not null,
         hash text not null
       )`,
      // Append-only events. `content` is the canonical JSON text the hash covers, kept byte for byte.
      `create table audit_events (
         chain_id text not null,
         seq bigint not null,
         event_id text not null unique,
         at text not null,
         kind text not null,
         actor text not null,
         content text not null,
         prev_hash text not null,
         hash text not null,
         primary key (chain_id, seq)
       )`,
      `create index audit_events_kind on audit_events (kind)`,
    ],
  },
  {
    version: 2,
    statements: [
      // One row per e-mailed approval link. Only a hash of the token is kept: a database leak
      // yields no usable link.
      `create table approval_links (
         token_hash text primary key,
         incident_id text not null,
         step_id text not null,
         approver text not null,
         expires_at timestamptz not null,
         created_at timestamptz not null default now(),
         claimed_at timestamptz,
         used_at timestamptz,
         used_ip text,
         used_user_agent text,
         decision text,
         closed_at timestamptz,
         outcome text
       )`,
      `create index approval_links_step on approval_links (incident_id, step_id)`,
    ],
  },
  {
    version: 3,
    statements: [
      // The incident list, projected from the audit events in the same transaction that writes
      // them. Not part of any chain: it can be rebuilt from the events at any time.
      `create table incidents (
         id text primary key,
         playbook_id text not null,
         playbook_version integer not null,
         playbook_title text not null,
         drill boolean not null,
         status text not null,
         alert_title text,
         severity text,
         source text,
         started_at text not null,
         first_contained_at text,
         contained_at text,
         closed_at text,
         alert_count integer not null default 1
       )`,
      `create index incidents_started on incidents (started_at)`,
    ],
  },
  {
    version: 4,
    statements: [
      // Delivery ids seen per source: a replayed id is refused, a sender's retry after a 503 is not
      // (a failed delivery's row is removed). Pruned after a week.
      `create table webhook_deliveries (
         source text not null,
         delivery_id text not null,
         received_at timestamptz not null default now(),
         incident_id text,
         primary key (source, delivery_id)
       )`,
      `create index webhook_deliveries_received on webhook_deliveries (received_at)`,
    ],
  },
  {
    version: 5,
    statements: [
      // Log triggers' durable state: file checkpoints and rule state, saved together after each
      // delivered batch.
      `create table log_state (
         key text primary key,
         value text not null,
         updated_at timestamptz not null default now()
       )`,
    ],
  },
  {
    version: 6,
    statements: [
      // Browser sessions, by the hash of their random id, bound to the hash of the token they were
      // opened with: signing out deletes the row; rotating or removing the token orphans it.
      `create table sessions (
         id_hash text primary key,
         token_hash text not null,
         expires_at timestamptz not null,
         created_at timestamptz not null default now()
       )`,
      `create index sessions_expires on sessions (expires_at)`,
    ],
  },
  {
    version: 7,
    statements: [
      // A sign-in with Microsoft is bound to the identity its ID token gave (JSON), not to a token.
      `alter table sessions alter column token_hash drop not null`,
      `alter table sessions add column identity text`,
    ],
  },
  {
    version: 8,
    statements: [
      // Each watched source's last delivery (flushed from memory every few seconds, never on the
      // intake path) and, while it is silent, since when: one server claims telling on-call.
      `create table source_activity (
         source text primary key,
         first_expected_at timestamptz not null default now(),
         last_seen_at timestamptz,
         silent_since timestamptz
       )`,
    ],
  },
  {
    version: 9,
    statements: [
      // One reminder per incident without a breach decision near its 72-hour deadline: the insert is
      // the claim, so of several workers exactly one e-mails the DPO.
      `create table breach_reminders (
         incident_id text primary key,
         sent_at timestamptz not null default now()
       )`,
    ],
  },
  {
    version: 10,
    statements: [
      // What became of every webhook delivery, counted per day, source and outcome (flushed from
      // memory every few seconds): with the audit record, the board's "every alert accounted for".
      `create table delivery_counts (
         day text not null,
         source text not null,
         outcome text not null,
         count bigint not null,
         primary key (day, source, outcome)
       )`,
    ],
  },
  {
    version: 11,
    statements: [
      // Each readiness problem (by check and message) from when it was first found until it was gone:
      // the quarterly report says how long each stayed open.
      `create table readiness_findings (
         check_name text not null,
         message text not null,
         fix text,
         first_seen timestamptz not null,
         last_seen timestamptz not null,
         resolved_at timestamptz,
         primary key (check_name, message, first_seen)
       )`,
    ],
  },
  {
    version: 12,
    statements: [
      // Which process does what only one may do (reading the logs, with several servers): storage/leases.ts.
      `create table leases (
         name text primary key,
         holder text not null,
         expires_at timestamptz not null
       )`,
    ],
  },
  {
    version: 13,
    statements: [
      // Budgets shared by several servers (storage/rate-limits.ts): rate-limiter-flexible's own layout.
      `create table rate_limits (
         key varchar(255) primary key,
         points integer not null default 0,
         expire bigint
       )`,
    ],
  },
  {
    version: 14,
    statements: [
      // The intake journal (docs/decisions/004-intake-journal.md): an accepted alert until its incidents
      // are opened. lease_until: when a drainer may take it (its current attempt is presumed dead).
      `create table intake_journal (
         id bigserial primary key,
         source text not null,
         alert text not null,
         drill boolean not null,
         playbooks text not null,
         incident_id text not null,
         state text not null default 'pending',
         attempts integer not null default 0,
         lease_until timestamptz not null,
         received_at timestamptz not null default now(),
         opened_at timestamptz,
         error text
       )`,
      `create index intake_journal_pending on intake_journal (id) where state = 'pending'`,
    ],
  },
  {
    version: 15,
    statements: [
      // Accepted alerts given up on: counted by the readiness check, kept until `reflex alerts retry`.
      `create index intake_journal_failed on intake_journal (received_at) where state = 'failed'`,
    ],
  },
];
