-- Every change to a user or to an organisation, made by any process on any path (the server, a
-- command such as `ohc users suspend`, a web administration page, SQL typed by hand), tells
-- listeners on channel ohc_users_changed once its transaction commits. The server keeps the users
-- rows its read path needs (src/access/userCache.ts) and forgets them all on each notification,
-- so a suspension takes effect at once without the row being read on every request. One
-- notification a statement (a transaction's identical notifications arrive once); the payload
-- names the table, for those who look.
create or replace function ohc_users_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('ohc_users_changed', tg_table_name);
  return null;
end;
$$;
create trigger users_changed_notify after insert or update or delete or truncate on users
  for each statement execute function ohc_users_changed();
create trigger organisations_changed_notify after insert or update or delete or truncate on organisations
  for each statement execute function ohc_users_changed();
