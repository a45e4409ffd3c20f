-- The partner registry: every organisation that shares data, with its governance contacts and the
-- dates of its Information Sharing Agreement membership. A reference table (small, replicated on Citus).
create table organisations (
  ods_code text primary key check (ods_code ~ '^[A-Z0-9]{3,10}$'),
  name text not null check (length(name) between 1 and 200),
  kind text not null check (kind in ('gp-practice', 'acute', 'community', 'mental-health', 'social-care', 'chc', 'ambulance', 'other')),
  ico_registration text,
  siro text,
  caldicott_guardian text,
  access_to_records_contact text,
  isa_from date,
  isa_to date,
  synthetic boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (isa_to is null or isa_from is null or isa_to >= isa_from)
);
