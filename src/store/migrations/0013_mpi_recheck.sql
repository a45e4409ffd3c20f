-- Blocking keys carry the seen_below of their record too (keys are filed with their record, so
-- filed_by and seen_below are the record's), and the key index holds what the two look-ups by key
-- need, so neither visits the table:
-- - linking (src/mpi/link.ts) reads every record under a key; with only the key in the index each
--   one cost a visit to the table on a page of its own (a block's keys are filed at different
--   times), and blocks grow with the county;
-- - the recheck (src/mpi/recheck.ts) wants only the records under a key that neither saw its record
--   being filed nor were seen by it: those filed at or after it looked for candidates (a range of
--   the index on filed_by) that did not look after it was filed (seen_below, in the index). It used
--   to read every block whole, and at 100,000 persons took longer than the linking itself.
-- Keys filed before this migration have no seen_below: the recheck reads their records instead.
alter table mpi_blocking_keys add column seen_below xid8;
drop index mpi_blocking_keys_key;
create index mpi_blocking_keys_key on mpi_blocking_keys (key, filed_by) include (record_id, seen_below);
