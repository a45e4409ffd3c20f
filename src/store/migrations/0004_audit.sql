-- The audit log: append-only, hash-chained, partitioned by month, with signed checkpoints.
-- Written by src/audit/ only. The chain itself (hashes, verification) lives in the application;
-- the database's part is to refuse changes: UPDATE, DELETE and TRUNCATE raise, except the one
-- sanctioned path (retention purge and partition upkeep set ohc.audit_purge for their transaction).
-- On PostgreSQL the application should also run as a role without UPDATE/DELETE/TRUNCATE on these
-- tables (see src/audit/roles.ts); the triggers are the floor that holds even for the owner.

-- Every column of the hashed event, nothing else; seq order is the chain's order. The primary key
-- includes the partition key (PostgreSQL requires it); seq stays unique because only the append
-- path, under the chain-head lock, assigns it, and the verifier catches any duplicate.
create table audit_events (
  seq bigint not null,
  time timestamptz not null,
  actor_kind text not null,
  actor_id text not null,
  actor_org text,
  actor_role text,
  action text not null,
  person_id uuid,
  purpose text,
  outcome text not null,
  details jsonb not null,
  prev_hash text not null,
  hash text not null,
  primary key (seq, time)
) partition by range (time);

-- Catches any time no monthly partition covers (far past or future); upkeep moves rows out of it.
create table audit_events_default partition of audit_events default;

create index audit_events_person on audit_events (person_id, seq) where person_id is not null;
create index audit_events_actor on audit_events (actor_id, seq);
create index audit_events_org on audit_events (actor_org, seq);

-- One row: where the chain stands. Appenders lock it FOR UPDATE, so concurrent transactions and
-- server processes take seq and prevHash from it one at a time, in commit order.
create table audit_chain_head (
  id boolean primary key default true check (id),
  seq bigint not null,
  hash text not null
);
insert into audit_chain_head (id, seq, hash) values (true, 0, repeat('0', 64));

-- Signed checkpoints: periodic ones (also recorded in the log as 'checkpoint' events) and the
-- purge boundary each retention purge leaves, from which the verifier starts.
create table audit_checkpoints (
  id bigserial primary key,
  kind text not null check (kind in ('periodic', 'purge-boundary', 'on-demand')),
  seq bigint not null,
  hash text not null,
  time timestamptz not null,
  key_id text not null,
  signature text not null,
  recorded_at timestamptz not null default now()
);
create index audit_checkpoints_seq on audit_checkpoints (kind, seq);

-- Public halves of every key that has signed a checkpoint, so old checkpoints stay verifiable
-- after the key changes. Publish them (and checkpoints) elsewhere to make a rewrite detectable
-- even by someone who controls this database.
create table audit_keys (
  key_id text primary key,
  public_key_pem text not null,
  created_at timestamptz not null default now()
);

create function audit_refuse_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and tg_table_name like 'audit_events%'
     and coalesce(current_setting('ohc.audit_purge', true), '') = 'on' then
    return old;
  end if;
  raise exception 'the audit log is append-only: % on % is refused', tg_op, tg_table_name
    using errcode = 'insufficient_privilege';
end;
$$;

-- Row triggers on the partitioned table are cloned onto every partition, present and future.
create trigger audit_events_append_only before update or delete on audit_events
  for each row execute function audit_refuse_change();
-- Statement triggers are not cloned: each partition gets its own TRUNCATE guard when created.
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_refuse_change();
create trigger audit_events_default_no_truncate before truncate on audit_events_default
  for each statement execute function audit_refuse_change();

create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
  for each row execute function audit_refuse_change();
create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
  for each statement execute function audit_refuse_change();
create trigger audit_keys_append_only before update or delete on audit_keys
  for each row execute function audit_refuse_change();
create trigger audit_keys_no_truncate before truncate on audit_keys
  for each statement execute function audit_refuse_change();

-- The head only moves forward: cutting the log's tail and winding the head back is refused.
create function audit_head_forward_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and new.id and new.seq >= old.seq then
    return new;
  end if;
  raise exception 'the audit chain head only moves forward: % is refused', tg_op
    using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_chain_head_forward before update or delete on audit_chain_head
  for each row execute function audit_head_forward_only();
create trigger audit_chain_head_no_truncate before truncate on audit_chain_head
  for each statement execute function audit_head_forward_only();

-- Creates the monthly partitions covering p_months months from the month of p_from (UTC), named
-- audit_events_yYYYYmMM. Rows already caught by the default partition for such a month are moved
-- into the new partition first (PostgreSQL refuses to create it over them). Returns how many
-- partitions were created.
create function audit_ensure_partitions(p_from timestamptz, p_months integer) returns integer
language plpgsql as $$
declare
  lo timestamptz;
  hi timestamptz;
  part text;
  made integer := 0;
  moved boolean;
begin
  for i in 0 .. greatest(p_months, 1) - 1 loop
    lo := (date_trunc('month', p_from at time zone 'UTC') + make_interval(months => i)) at time zone 'UTC';
    hi := (date_trunc('month', p_from at time zone 'UTC') + make_interval(months => i + 1)) at time zone 'UTC';
    part := 'audit_events_y' || to_char(lo at time zone 'UTC', 'YYYY') || 'm' || to_char(lo at time zone 'UTC', 'MM');
    if to_regclass(part) is not null then
      continue;
    end if;
    -- Serialise with appenders and other upkeep: partitions change the parent's catalog.
    perform 1 from audit_chain_head where id for update;
    select exists (select 1 from audit_events_default where time >= lo and time < hi) into moved;
    if moved then
      execute format('create table %I (like audit_events including defaults including constraints)', part);
      execute format('insert into %I select * from audit_events_default where time >= $1 and time < $2', part) using lo, hi;
      perform set_config('ohc.audit_purge', 'on', true);
      delete from audit_events_default where time >= lo and time < hi;
      perform set_config('ohc.audit_purge', 'off', true);
      execute format('alter table audit_events attach partition %I for values from (%L) to (%L)', part, lo, hi);
    else
      execute format('create table %I partition of audit_events for values from (%L) to (%L)', part, lo, hi);
    end if;
    execute format('create trigger %I before truncate on %I for each statement execute function audit_refuse_change()',
      part || '_no_truncate', part);
    made := made + 1;
  end loop;
  return made;
end;
$$;

select audit_ensure_partitions(now(), 3);
