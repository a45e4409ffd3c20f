-- Keys the server makes for itself on first start (token signing, audit checkpoint signing), kept in
-- the database so every server process of one deployment shares them.
create table server_secrets (
  name text primary key,
  value text not null,
  created_at timestamptz not null default now()
);
