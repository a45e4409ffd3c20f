-- mpi_filings (migration 0018) gains one row a worker batch and is pruned by the recheck
-- (src/mpi/recheck.ts, pruneFilings). A filing is needed only while some record may still be
-- rechecked against it: one queued in mpi_recheck, or one that a transaction running now will
-- queue. The first are in the queue with their seen_below. The second are not visible, so the
-- pruning works in two steps: it marks the moment (the oldest transaction then running, and its
-- own id, greater than any given before); once every transaction that had an id at the mark has
-- finished, each transaction still running looked for its candidates after the mark (linking gives
-- a transaction its id before its first look: see noJit), so with a seen_below no older than the
-- mark's oldest.
create table mpi_filings_mark (
  only_row boolean primary key default true check (only_row),
  -- pg_snapshot_xmin at the mark.
  oldest xid8 not null,
  -- The id of the transaction that set the mark: the mark is usable once the oldest running
  -- transaction is past it (a snapshot's xmax would not do: ids given since the last transaction
  -- finished lie at or beyond it).
  next xid8 not null
);
