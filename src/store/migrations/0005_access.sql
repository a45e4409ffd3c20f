-- Identity and access: user accounts with their credentials, web sessions, relationships declared
-- by professionals, the objection (opt-out) register and restrictions. Users are a reference table
-- (small, replicated on Citus); declarations and restrictions are person-scoped and carry person_id.
-- The objection register is keyed by NHS number, not person, so an objection recorded before any
-- data arrives applies to whichever person that data is later linked to.

create table users (
  id uuid primary key default gen_random_uuid(),
  username text not null unique check (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  name text not null check (length(name) between 1 and 200),
  organisation_ods text not null references organisations (ods_code),
  role text not null check (role in ('clinician', 'social-care-practitioner', 'pals-officer', 'gp-practice-staff',
    'access-to-records', 'ig-officer', 'caldicott-guardian', 'siro', 'system-admin', 'analyst')),
  registration_body text,
  registration_number text,
  training_valid_until date,
  status text not null default 'active' check (status in ('active', 'suspended')),
  system_wide_ig boolean not null default false,
  -- scrypt$N$r$p$salt$hash (base64url); null for accounts that only sign in through OpenID Connect.
  password_hash text,
  totp_secret text,
  -- The last TOTP time step accepted: a code for this step or an earlier one is a replay.
  totp_last_step bigint,
  failed_attempts integer not null default 0,
  last_failed_at timestamptz,
  locked_until timestamptz,
  oidc_issuer text,
  oidc_subject text,
  last_sign_in_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((registration_body is null) = (registration_number is null)),
  check ((oidc_issuer is null) = (oidc_subject is null)),
  unique (oidc_issuer, oidc_subject)
);
create index users_organisation on users (organisation_ods);

create table sessions (
  -- SHA-256 of the opaque session id: a copy of this table cannot be used to sign in.
  id_hash text primary key,
  user_id uuid not null references users (id),
  csrf_token text not null,
  mfa_satisfied boolean not null default false,
  method text not null check (method in ('password', 'oidc')),
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz,
  end_reason text check (end_reason in ('signed-out', 'idle', 'expired', 'user-suspended'))
);
create index sessions_user on sessions (user_id) where ended_at is null;

create table relationship_declarations (
  id bigserial primary key,
  person_id uuid not null references persons (id),
  user_id uuid not null references users (id),
  organisation_ods text not null,
  reason text not null check (reason in ('emergency', 'new-referral', 'present-and-consenting', 'other')),
  detail text not null,
  declared_at timestamptz not null,
  expires_at timestamptz not null,
  review_status text not null default 'pending' check (review_status in ('pending', 'appropriate', 'revoked')),
  reviewed_by uuid references users (id),
  reviewed_at timestamptz,
  review_note text,
  revoked_at timestamptz
);
create index relationship_declarations_person on relationship_declarations (person_id, user_id, declared_at);
create index relationship_declarations_review on relationship_declarations (declared_at) where review_status = 'pending';

-- Append-only history of the register: every recording and withdrawal, by whom, when, through which channel.
create table objection_events (
  id bigserial primary key,
  nhs_number text not null check (nhs_number ~ '^[0-9]{10}$'),
  action text not null check (action in ('recorded', 'withdrawn')),
  channel text not null check (channel in ('pals', 'gp')),
  by_user_id uuid not null references users (id),
  organisation_ods text not null,
  at timestamptz not null,
  -- The person the NHS number led to when the event was recorded; null when no data had arrived yet.
  person_id uuid
);
create index objection_events_nhs on objection_events (nhs_number, id);

create function objection_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'objection_events is append-only';
end $$;
create trigger objection_events_no_change before update or delete on objection_events
  for each row execute function objection_events_append_only();

-- The register as it stands: one row per NHS number that currently objects.
create table objections (
  nhs_number text primary key,
  recorded_at timestamptz not null,
  event_id bigint not null references objection_events (id)
);

create table restrictions (
  id bigserial primary key,
  person_id uuid not null references persons (id),
  scope text not null check (scope in ('whole-record', 'entry')),
  -- resources.id of the contested entry when scope = 'entry'.
  entry_id uuid,
  reason text not null check (length(reason) between 1 and 500),
  valid_from date not null,
  valid_to date,
  recorded_by uuid not null references users (id),
  recorded_at timestamptz not null,
  lifted_by uuid references users (id),
  lifted_at timestamptz,
  lift_reason text,
  check ((scope = 'entry') = (entry_id is not null)),
  check (valid_to is null or valid_to >= valid_from)
);
create index restrictions_person on restrictions (person_id) where lifted_at is null;
