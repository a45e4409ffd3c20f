/**
 * Secondary use: anonymised aggregate statistics for reviewing services, with small-number
 * suppression and rounding, excluding people who objected. Never record-level data.
 */
export * from './disclosure.ts';
export {
  anonymisedStatistics, discloseCounts, STATISTICS_MAX_AGE_MINUTES, organisationKindLabel, StatisticsRefused, STATISTICS,
  type AgeSexRow, type AnonymisedStatistics, type EntriesRow, type LabelledCount, type MonthRow, type StatisticName, type StatisticsActor,
} from './statistics.ts';
