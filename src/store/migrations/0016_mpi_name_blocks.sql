-- Names are now filed only with part of the date of birth (src/mpi/match/blocking.ts): the name
-- pair with the year of birth (nmy) and with the birthday (nmd), instead of three blocks of a name
-- alone (fy: family name and year, gmd: given name and birthday, nm: the name pair) that grew with
-- the county and were read whole for every new record. A pair that shared two of the old blocks
-- shares one of the new ones, so records filed before are re-keyed the same way (from their own
-- old keys: a record with a name pair and a date of birth had all three) and still meet new ones.
insert into mpi_blocking_keys (key, record_id, filed_by, seen_below)
select 'nmy:' || substr(nm.key, 4) || ':' || regexp_replace(fy.key, '^.*:', ''), nm.record_id, nm.filed_by, nm.seen_below
  from mpi_blocking_keys nm
  join mpi_blocking_keys fy on fy.record_id = nm.record_id and fy.key like 'fy:%'
 where nm.key like 'nm:%'
union all
select 'nmd:' || substr(nm.key, 4) || ':' || regexp_replace(gmd.key, '^.*:', ''), nm.record_id, nm.filed_by, nm.seen_below
  from mpi_blocking_keys nm
  join mpi_blocking_keys gmd on gmd.record_id = nm.record_id and gmd.key like 'gmd:%'
 where nm.key like 'nm:%';
delete from mpi_blocking_keys where key like 'fy:%' or key like 'gmd:%' or key like 'nm:%';
-- Blocking keys are written only with their record, in the transaction that claimed it (the claim
-- inserts or locks the mpi_records row first), and mpi_records rows are never deleted: the foreign
-- key only cost a look-up of the record for each of the six or so keys of every record filed
-- (a quarter of the filing statement). Deleting a record must delete its keys itself.
alter table mpi_blocking_keys drop constraint mpi_blocking_keys_record_id_fkey;
