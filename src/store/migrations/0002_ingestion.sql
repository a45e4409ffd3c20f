-- Ingestion: feeds, the durable inbox, dead letters; persons, their source records and the
-- resources each source holds about them (with provenance). Person-scoped tables carry person_id,
-- the distribution key on Citus.

create table feeds (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  organisation_ods text not null references organisations (ods_code),
  format text not null check (format in ('hl7v2', 'fhir', 'csv')),
  name text,
  -- MLLP: where one organisation has several HL7 feeds, MSH-3 picks the feed.
  sending_application text,
  -- CSV: each upload is a full snapshot; rows absent from it are removed from view.
  snapshot boolean not null default false,
  received bigint not null default 0,
  accepted bigint not null default 0,
  rejected bigint not null default 0,
  dead_lettered bigint not null default 0,
  last_success_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index feeds_hl7_sender on feeds (organisation_ods, coalesce(sending_application, '')) where format = 'hl7v2';

-- Stored before acknowledged; workers claim pending rows with FOR UPDATE SKIP LOCKED.
create table inbox (
  id bigserial primary key,
  feed_id text not null references feeds (id),
  -- The source's own message id (HL7 MSH-10; FHIR Bundle id or content hash; CSV file hash + chunk):
  -- the same message from the same feed twice is stored once.
  message_id text not null,
  kind text not null check (kind in ('hl7v2', 'fhir-bundle', 'csv-rows', 'csv-snapshot-end')),
  content text not null,
  -- What the feed counters count: 1 for an HL7 message, entries for a bundle, rows for a CSV chunk.
  units integer not null default 1,
  received_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'held', 'done', 'failed')),
  attempts integer not null default 0,
  last_error text,
  processed_at timestamptz,
  unique (feed_id, message_id)
);
create index inbox_pending on inbox (id) where status = 'pending';

create table dead_letters (
  id bigserial primary key,
  feed_id text references feeds (id),
  received_at timestamptz not null default now(),
  kind text not null,
  content text not null,
  error_code text not null,
  error_message text not null,
  error_where jsonb not null default '{}'::jsonb,
  status text not null default 'open' check (status in ('open', 'replayed', 'discarded')),
  replayed_at timestamptz,
  replay_result text
);
create index dead_letters_open on dead_letters (feed_id, id) where status = 'open';

create table persons (
  id uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now(),
  -- Set when this person was merged into another; the merge can be undone.
  merged_into uuid references persons (id)
);

create table source_records (
  feed_id text not null references feeds (id),
  local_id text not null,
  person_id uuid not null references persons (id),
  nhs_number text,
  nhs_number_verified boolean not null default false,
  demographics jsonb not null,
  data_quality jsonb not null default '[]'::jsonb,
  source_version text not null,
  link_how text not null check (link_how in ('nhs-number', 'probabilistic', 'manual', 'merge', 'new-person', 'review')),
  link_score double precision,
  linked_at timestamptz not null default now(),
  -- A40 at the source: this local record was merged into another local record of the same feed.
  retired_into text,
  updated_at timestamptz not null default now(),
  primary key (feed_id, local_id)
);
create index source_records_person on source_records (person_id);
create index source_records_nhs on source_records (nhs_number) where nhs_number is not null;

create table resources (
  id uuid primary key default gen_random_uuid(),
  person_id uuid not null references persons (id),
  feed_id text not null references feeds (id),
  resource_type text not null,
  source_id text not null,
  source_version text not null,
  subject_local_id text not null,
  source_org text not null,
  resource jsonb not null,
  -- Removed from view at the source (A11, FHIR DELETE, absent from a snapshot); kept as a tombstone
  -- so an older copy arriving later cannot bring it back.
  deleted boolean not null default false,
  sensitive_categories text[] not null default '{}',
  received_at timestamptz not null default now(),
  unique (feed_id, resource_type, source_id)
);
create index resources_person on resources (person_id, resource_type) where not deleted;
create index resources_subject on resources (feed_id, subject_local_id);

-- Resources a source holds that belong to no one person (Practitioner, Organization), and
-- deletions of resources never seen: small, reference-like, not distributed by person.
create table shared_resources (
  feed_id text not null references feeds (id),
  resource_type text not null,
  source_id text not null,
  source_version text not null,
  source_org text not null,
  resource jsonb not null,
  deleted boolean not null default false,
  received_at timestamptz not null default now(),
  primary key (feed_id, resource_type, source_id)
);
