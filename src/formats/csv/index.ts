/** CSV extracts: datasets named by their header, and a streaming reader with physical line numbers. */
export { CSV_DATASETS, detectDataset } from './datasets.ts';
export type { CsvDatasetName, CsvColumn, CsvProblem, DatasetDetection } from './datasets.ts';
export { readCsvExtract } from './reader.ts';
export type { CsvRow, CsvEvent, CsvSource } from './reader.ts';
