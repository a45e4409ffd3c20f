-- An access-to-records team working a restriction or rectification request can restrict the
-- contested information while it is considered, and lift the restriction: both are steps in the
-- case's history.
alter table rights_case_events drop constraint rights_case_events_action_check;
alter table rights_case_events add constraint rights_case_events_action_check
  check (action in ('logged', 'routed', 'extended', 'completed', 'exported', 'restricted', 'lifted'));
