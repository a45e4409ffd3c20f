/** The combined record: assembly (pure), access obligations, loading and reading one person's record, finding persons. */
export * from './types.ts';
export { assembleRecord, compareItems } from './assemble.ts';
export { applyAccess, ukDay } from './access.ts';
export { groupSameFacts } from './dedupe.ts';
export { clinicalDate, codingsOf, factSpan, instantRange, isOngoing, labelOf, mainCodes, sourceLastUpdated, statusOf } from './facts.ts';
export { SECTION_TITLES, sectionOf } from './sections.ts';
export { loadPerson, loadPersonWithFacts, resolvePersonId, type LoadedPerson } from './load.ts';
export { readRecord, type ReadRecord } from './read.ts';
export { nameMatches, personsByDemographics, personsByNhsNumber, type DemographicQuery } from './find.ts';
