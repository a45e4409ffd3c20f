-- One row for each transaction that filed blocking keys (src/mpi/link.ts): its xid (filed_by) and
-- the earliest snapshot its records looked for candidates with (seen_below, the least of its
-- claims'). The recheck (src/mpi/recheck.ts) looks under a record's keys only for records filed by
-- a transaction that may have run at the same moment as the record's own: filed at or after it
-- looked (filed_by >= its seen_below) without looking after it was filed (seen_below <= its
-- filed_by). Most records of a quiet index have no such transaction, and asking this small table
-- first spares them the index probes of each of their keys, which were the recheck's whole cost
-- (a sixth of the match bench's time at 10,000 persons, though it finds nothing unless workers overlap).
create table mpi_filings (
  filed_by xid8 primary key,
  -- Null when some key of the transaction has none (filed before migration 0013): always a candidate.
  seen_below xid8
);
-- Transactions that filed keys before this migration.
insert into mpi_filings (filed_by, seen_below)
select filed_by, case when bool_or(seen_below is null) then null else min(seen_below) end
  from mpi_blocking_keys
 where filed_by is not null
 group by filed_by;
-- Keys filed before migration 0010 carry no filed_by: the recheck reads their blocks whole, and
-- asks this (usually empty) index whether there are any before it skips a record.
create index mpi_blocking_keys_unfiled on mpi_blocking_keys (key) where filed_by is null;
-- Pairs and recheck entries are written only with their records, by the transaction that claimed
-- them (or, for a pair's other record, after reading it), and mpi_records rows are never deleted
-- (as for blocking keys in migration 0016): each foreign key only cost a look-up and a key-share
-- lock of the record for every row written — two per pair, one per record queued, about two
-- hundred a worker batch, the locks dirtying pages of records filed long before (and contended by
-- workers pairing with the same record). Deleting a record must delete its pairs and entries itself.
alter table mpi_pairs drop constraint mpi_pairs_a_fkey, drop constraint mpi_pairs_b_fkey;
alter table mpi_recheck drop constraint mpi_recheck_record_id_fkey;
