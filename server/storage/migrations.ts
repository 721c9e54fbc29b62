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
];
