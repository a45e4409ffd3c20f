-- The master patient index: each source record's prepared matching form, its blocking keys, the
-- scored pairs between records (links, and uncertain pairs for review), the decisions of people
-- (manual links and merges, kept-apart separations), the estimated match parameters, and a log of
-- every link change so that each can be explained and undone.

create table mpi_records (
  id bigserial primary key,
  feed_id text not null,
  local_id text not null,
  -- Normalised names, phonetic codes, parsed dates and postcodes, computed once per version.
  prepared jsonb not null,
  -- Digest of the prepared form: a record sent again with the same matching demographics is not re-matched.
  digest text not null default '',
  gp_registration boolean not null default false,
  -- No foreign key to source_records: a new record is matched before its source record row is
  -- written (the row needs the person the matching decides).
  unique (feed_id, local_id)
);

create table mpi_blocking_keys (
  key text not null,
  record_id bigint not null references mpi_records (id) on delete cascade
);
create index mpi_blocking_keys_key on mpi_blocking_keys (key);
create index mpi_blocking_keys_record on mpi_blocking_keys (record_id);

-- One row per scored pair worth keeping; a is the record whose key sorts first.
create table mpi_pairs (
  id bigserial primary key,
  a bigint not null references mpi_records (id) on delete cascade,
  b bigint not null references mpi_records (id) on delete cascade,
  kind text not null check (kind in ('nhs-number', 'link', 'review')),
  score double precision not null,
  levels smallint[] not null,
  reason text,
  unique (a, b)
);
create index mpi_pairs_b on mpi_pairs (b);

-- Decided by a person (manual) or a source's A40 (merge): these records are one person.
create table mpi_must_links (
  a bigint not null references mpi_records (id) on delete cascade,
  b bigint not null references mpi_records (id) on delete cascade,
  how text not null check (how in ('manual', 'merge')),
  created_at timestamptz not null default now(),
  created_by text not null,
  primary key (a, b)
);
create index mpi_must_links_b on mpi_must_links (b);

-- Decided by a reviewer or an unmerge: these two groups of records are different persons.
create table mpi_separations (
  id bigserial primary key,
  a bigint[] not null,
  b bigint[] not null,
  created_at timestamptz not null default now(),
  created_by text not null
);
create index mpi_separations_a on mpi_separations using gin (a);
create index mpi_separations_b on mpi_separations using gin (b);

create table mpi_merges (
  id bigserial primary key,
  survivor_person uuid not null,
  retired_person uuid not null,
  survivor_records bigint[] not null,
  retired_records bigint[] not null,
  link_a bigint not null,
  link_b bigint not null,
  created_at timestamptz not null default now(),
  created_by text not null,
  undone_at timestamptz,
  undone_by text
);
create index mpi_merges_persons on mpi_merges (survivor_person, retired_person) where undone_at is null;

create table mpi_parameters (
  id bigserial primary key,
  digest text not null,
  parameters jsonb not null,
  created_at timestamptz not null default now()
);

create table mpi_link_events (
  id bigserial primary key,
  feed_id text not null,
  local_id text not null,
  from_person uuid,
  to_person uuid not null,
  how text not null,
  score double precision,
  at timestamptz not null,
  actor text not null
);
create index mpi_link_events_record on mpi_link_events (feed_id, local_id, id);

-- Records that were alone when filed: a record of the same person filed at the same moment by
-- another worker could not be seen; the recheck looks again once both have committed.
create table mpi_recheck (
  record_id bigint primary key references mpi_records (id) on delete cascade
);
