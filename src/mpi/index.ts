/**
 * The master patient index in the database: linking as records arrive (link.ts, called by
 * ingestion), the review queue, merges and unmerges by authorised users, derived demographics,
 * parameter estimation and evaluation. The pure matching core is in match/.
 */
export { linkSourceRecord, personForSubject, applySourceMerge, usableNhsNumber, type LinkResult } from './link.ts';
export { mergePersons, unmergePersons, currentPerson, type AuditSink, type ActingUser, type OperationOptions, type LinkChange } from './operations.ts';
export { listReviewQueue, acceptReview, rejectReview, type ReviewQueueItem, type ReviewSide } from './review.ts';
export { listLinks, personDemographics, evaluateLinks, type SourceRecordLink, type PersonDemographics, type TruthRecord, type LinkEvaluation } from './query.ts';
export { currentParameters, estimateStoredParameters } from './parameters.ts';
export { MpiError } from './resolve.ts';
export { recheckAlone, type RecheckSummary } from './recheck.ts';
