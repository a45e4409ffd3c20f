/**
 * The synthetic county generator: the test bed every other capability is exercised against.
 */
export { generateCounty, type GenerateOptions, type GenerateSummary, type FeedSummary } from './generateCounty.ts';
export { DEFAULT_FAULTS, FAULT_KINDS, type FaultRates, type FaultKind } from './faults.ts';
export { countyPartners, countyFeeds, gpPractices, practiceCount, type CountyPartner, type FeedSpec, type FeedFormat, type PartnerKind, type GpPractice } from './partners.ts';
