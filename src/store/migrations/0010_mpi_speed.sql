-- Which transaction filed each record's current matching form (filed_by), and below which
-- transaction id every transaction had finished when it looked for its candidates (seen_below).
-- Two records compared each other unless neither saw the other's filing: only such a pair, the
-- race of two workers filing records of one new person at the same moment, is what the recheck
-- (mpi_recheck) has to score again. Null (records filed before this column): assume unseen.
alter table mpi_records add column filed_by xid8, add column seen_below xid8;
-- The same filed_by on each blocking key (keys are filed with their record): the recheck can pass
-- over keys filed long before a record looked for candidates without reading their records.
alter table mpi_blocking_keys add column filed_by xid8;
