-- Rights requests (UK GDPR Articles 15-21 and complaints): each request logged by PALS or GP practice
-- staff is a case about an NHS number (what the person gives them), split into parts, one for each
-- organisation that originated data about the person, each worked by that organisation's
-- access-to-records team against the legal clock. Keyed like the objection register: by NHS
-- number, with the person the number led to when the case was logged. Small tables (a few thousand
-- rows a year for a county): reference-like on Citus, not distributed by person.

create table rights_cases (
  -- Opaque id: the only thing about a case that appears in a URL.
  id uuid primary key default gen_random_uuid(),
  -- The receipt number given to the person (RR-000123).
  reference bigserial not null unique,
  kind text not null check (kind in ('access', 'rectification', 'restriction', 'objection', 'complaint')),
  nhs_number text not null check (nhs_number ~ '^[0-9]{10}$'),
  -- The person the NHS number led to when the case was logged; null when no data had arrived.
  person_id uuid,
  description text not null default '' check (length(description) <= 2000),
  -- The day enough information arrived to verify identity and locate the data: the clock starts here.
  received_on date not null,
  channel text not null check (channel in ('pals', 'gp')),
  logged_by uuid not null references users (id),
  logged_by_org text not null references organisations (ods_code),
  logged_at timestamptz not null
);
create index rights_cases_nhs on rights_cases (nhs_number);

create table rights_case_parts (
  id bigserial primary key,
  case_id uuid not null references rights_cases (id),
  organisation_ods text not null references organisations (ods_code),
  -- holds-data: the organisation originated data about the person. no-data-held: nothing was found,
  -- so the logging organisation answers the person (the clock runs all the same).
  basis text not null check (basis in ('holds-data', 'no-data-held')),
  status text not null default 'open' check (status in ('open', 'done')),
  extension_months integer not null default 0 check (extension_months between 0 and 2),
  extension_reason text check (extension_reason is null or length(extension_reason) between 1 and 1000),
  completed_at timestamptz,
  completed_by uuid references users (id),
  outcome_note text check (outcome_note is null or length(outcome_note) <= 1000),
  unique (case_id, organisation_ods),
  check ((status = 'done') = (completed_at is not null)),
  check ((extension_months = 0) = (extension_reason is null))
);
create index rights_case_parts_org on rights_case_parts (organisation_ods, status);

-- Append-only history of every case: who logged, routed, extended, completed or exported what, when.
create table rights_case_events (
  id bigserial primary key,
  case_id uuid not null references rights_cases (id),
  part_id bigint references rights_case_parts (id),
  action text not null check (action in ('logged', 'routed', 'extended', 'completed', 'exported')),
  by_user_id uuid not null references users (id),
  organisation_ods text not null,
  at timestamptz not null,
  note text check (note is null or length(note) <= 1000)
);
create index rights_case_events_case on rights_case_events (case_id, id);

create function rights_case_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'rights_case_events is append-only';
end $$;
create trigger rights_case_events_no_change before update or delete on rights_case_events
  for each row execute function rights_case_events_append_only();
