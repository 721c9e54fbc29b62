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
];
