/** The matching core of the master patient index: comparisons, scoring, estimation, the person index, evaluation. */
export { jaro, jaroWinkler } from './jaroWinkler.ts';
export { nysiis } from './nysiis.ts';
export { areNicknames, nicknameGroups, nicknameKey, nicknamePairCount } from './nicknames.ts';
export { normaliseName, prepareName, compareFamily, compareGiven, compareNames, FAMILY_LEVELS, GIVEN_LEVELS } from './names.ts';
export type { FamilyLevel, GivenLevel, NameComparison, PreparedName } from './names.ts';
export { prepareDate, compareDates, DOB_LEVELS } from './dateOfBirth.ts';
export type { DobLevel, PreparedDate } from './dateOfBirth.ts';
export { parsePostcode, comparePostcodes, POSTCODE_LEVELS } from './postcode.ts';
export type { Postcode, PostcodeLevel } from './postcode.ts';
export { addressTokens, tokenOverlap, compareAddresses, ADDRESS_LEVELS } from './address.ts';
export type { AddressLevel } from './address.ts';
export { normalisePhone } from './phone.ts';
export { prepareRecord, sourceRecordKey, splitSourceRecordKey, nhsNumberOf } from './sourceRecord.ts';
export type { MatchDemographics, PreparedRecord, SourceRecordInput } from './sourceRecord.ts';
export { compareRecords, levelName, FIELDS, FIELD_LEVELS, FIELD_INDEX } from './comparison.ts';
export type { ComparisonVector, Field } from './comparison.ts';
export { defaultParameters, parameterProblems, Scorer } from './parameters.ts';
export type { FieldEvidence, FieldParameters, MatchParameters } from './parameters.ts';
export { decidePair, DEFAULT_POLICY } from './pairDecision.ts';
export type { MatchPolicy, PairDecision, ReviewReason } from './pairDecision.ts';
export { blockingKeys, BOUNDED_KEY_KINDS, worthComparing } from './blocking.ts';
export { estimateParameters } from './estimate.ts';
export type { EstimateOptions } from './estimate.ts';
export { PersonIndex, deriveDemographics } from './personIndex.ts';
export type {
  AddResult,
  DerivedDemographics,
  DerivedValue,
  LinkDecision,
  LinkHow,
  MergeResult,
  PersonIndexOptions,
  PersonIndexSnapshot,
  PersonView,
  Relink,
  ReviewCandidate,
  ReviewItem,
  SourceRecordRef,
} from './personIndex.ts';
export { evaluate } from './evaluate.ts';
export type { EvaluatedLink, Evaluation, TruthLink } from './evaluate.ts';
export { seededRandom, sequentialPersonIds } from './random.ts';
export { generateCounty, DEFAULT_FAULTS } from './syntheticCounty.ts';
export type { FaultRates, SyntheticCounty } from './syntheticCounty.ts';
