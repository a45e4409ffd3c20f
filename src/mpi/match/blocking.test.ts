import { describe, expect, it } from 'vitest';
import { blockingKeys } from './blocking.ts';
import { prepareRecord } from './sourceRecord.ts';
import type { SourceDemographics } from '../../ingest/sourceAction.ts';

const base: SourceDemographics = { localId: 'a', family: 'Hughes', given: ['Megan'], birthDate: '1980-03-07', postcode: 'ST4 6QG', phone: '07700 900123' };
const keysOf = (d: Partial<SourceDemographics>) => new Set(blockingKeys(prepareRecord({ feedId: 'f-one', localId: 'a', demographics: { ...base, ...d } })));
const shared = (a: Partial<SourceDemographics>, b: Partial<SourceDemographics>) => [...keysOf(a)].filter((k) => keysOf(b).has(k)).map((k) => k.split(':')[0]).sort();

describe('blocking keys', () => {
  // Two records of one person, each with a fault, and the passes through which they still meet.
  const cases: Array<[what: string, a: Partial<SourceDemographics>, b: Partial<SourceDemographics>, meetBy: string[]]> = [
    ['the same record', {}, {}, ['d', 'fy', 'gmd', 'nm', 'pc', 'ph']],
    ['day and month exchanged', {}, { birthDate: '1980-07-03' }, ['d', 'fy', 'nm', 'pc', 'ph']],
    ['a new family name and a move (marriage)', {}, { family: 'Okafor', postcode: 'WS11 1AA' }, ['d', 'gmd', 'ph']],
    ['a new name, a move and a typo in the date', {}, { family: 'Okafor', postcode: 'WS11 1AA', birthDate: '1980-03-08' }, ['ph']],
    ['given and family written the wrong way round', {}, { family: 'Megan', given: ['Hughes'] }, ['d', 'nm', 'pc', 'ph']],
    ['a nickname', { given: ['Margaret'] }, { given: ['Peggy'] }, ['d', 'fy', 'gmd', 'nm', 'pc', 'ph']],
  ];
  it.each(cases)('%s', (_what, a, b, meetBy) => {
    expect(shared(a, b)).toEqual(meetBy);
  });

  it('files a phone number with the year of birth, so one shared number does not gather everyone who gave it', () => {
    expect(keysOf({})).toContain('ph:07700900123:1980');
    // Someone else at the same number (a household, a switchboard), born another year: no shared phone block.
    expect(shared({}, { family: 'Lee', given: ['Tom'], birthDate: '1952-11-30', postcode: 'B1 1AA' })).toEqual([]);
    // No date of birth: the number alone.
    expect(keysOf({ birthDate: undefined })).toContain('ph:07700900123');
  });
});
