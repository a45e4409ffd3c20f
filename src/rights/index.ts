/**
 * Rights requests: the legal clock (pure), routing each request to the organisations that originated
 * the person's data, the cases their access-to-records teams work, and the access export.
 */
export * from './clock.ts';
export {
  accessExport, casesForOrganisation, changePart, logRightsRequest, openCaseForTeam, organisationsHoldingData, receiptNumber, rightsActor,
  RightsError, RIGHTS_CASE_KINDS, RIGHTS_ERROR_CODES, MAX_DESCRIPTION, MAX_NOTE,
  type AccessExport, type CaseEvent, type CasePartSummary, type HoldingOrganisation, type LoggedCase, type PartChange, type RightsActor,
  type RightsCaseKind, type RightsErrorCode, type RightsRequest, type RoutedPart, type ScopeRow, type TeamCaseView,
} from './cases.ts';
export { liftForCase, restrictForCase, restrictionView, RESTRICTABLE_KINDS, type OwnEntry, type RestrictionInForce, type RestrictionView } from './restrict.ts';
