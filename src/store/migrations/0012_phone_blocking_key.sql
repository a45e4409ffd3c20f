-- The phone blocking key now carries the year of birth (src/mpi/match/blocking.ts): a number shared
-- by many people made blocks that grew with the county. Records filed before are re-keyed the same
-- way, so new records still meet them.
update mpi_blocking_keys k
   set key = k.key || ':' || (r.prepared -> 'birthDate' ->> 'year')
  from mpi_records r
 where r.id = k.record_id
   and k.key like 'ph:%'
   and r.prepared -> 'birthDate' ->> 'year' is not null;
