import { describe, expect, it } from 'vitest';
import { blockingKeys, worthComparing } from './blocking.ts';
import { prepareRecord } from './sourceRecord.ts';
import type { SourceDemographics } from '../../ingest/sourceAction.ts';

const base: SourceDemographics = { localId: 'a', family: 'Hughes', given: ['Megan'], birthDate: '1980-03-07', postcode: 'ST4 6QG', phone: '07700 900123' };
const keysOf = (d: Partial<SourceDemographics>) => new Set(blockingKeys(prepareRecord({ feedId: 'f-one', localId: 'a', demographics: { ...base, ...d } })));
const shared = (a: Partial<SourceDemographics>, b: Partial<SourceDemographics>) => [...keysOf(a)].filter((k) => keysOf(b).has(k)).map((k) => k.split(':')[0]).sort();

describe('blocking keys', () => {
  // Two records of one person, each with a fault, and the passes through which they still meet.
  const cases: Array<[what: string, a: Partial<SourceDemographics>, b: Partial<SourceDemographics>, meetBy: string[]]> = [
    ['the same record', {}, {}, ['d', 'nmd', 'nmy', 'pc', 'ph']],
    ['day and month exchanged', {}, { birthDate: '1980-07-03' }, ['d', 'nmy', 'pc', 'ph']],
    ['a new family name and a move (marriage)', {}, { family: 'Okafor', postcode: 'WS11 1AA' }, ['d', 'ph']],
    ['a typo in the year of birth', {}, { birthDate: '1981-03-07' }, ['nmd', 'pc']],
    ['a new name, a move and a typo in the date', {}, { family: 'Okafor', postcode: 'WS11 1AA', birthDate: '1980-03-08' }, ['ph']],
    ['given and family written the wrong way round', {}, { family: 'Megan', given: ['Hughes'] }, ['d', 'nmd', 'nmy', 'pc', 'ph']],
    ['a nickname', { given: ['Margaret'] }, { given: ['Peggy'] }, ['d', 'nmd', 'nmy', 'pc', 'ph']],
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

describe('which pairs sharing blocks are compared', () => {
  const cases: Array<[what: string, shared: string[], compared: boolean]> = [
    ['nothing shared', [], false],
    ['only a family name and year of birth', ['fy:HAG:1980'], false],
    ['only a given name and birthday', ['gmd:MAGAN:0307'], false],
    ['only a name pair', ['nm:HAG:MAGAN'], false],
    ['two name blocks (filed before migration 0016)', ['fy:HAG:1980', 'nm:HAG:MAGAN'], true],
    ['only the name pair and year of birth', ['nmy:HAG:MAGAN:1980'], true],
    ['only the name pair and birthday', ['nmd:HAG:MAGAN:0307'], true],
    ['only a date of birth', ['d:19800307'], true],
    ['only an NHS number', ['n:9434765919'], true],
    ['only a postcode unit', ['pc:ST4 6QG'], true],
    ['only a phone number and year of birth', ['ph:07700900123:1980'], true],
    ['only an e-mail address', ['em:megan@example.org'], true],
  ];
  it.each(cases)('%s', (_what, shared, compared) => {
    expect(worthComparing(shared)).toBe(compared);
  });

  it('leaves out someone of the same family name born the same year who shares nothing else, and keeps a record with a new name and address', () => {
    const sharedKeys = (a: Partial<SourceDemographics>, b: Partial<SourceDemographics>) => [...keysOf(a)].filter((k) => keysOf(b).has(k));
    const namesake = { given: ['Sarah'], birthDate: '1980-11-21', postcode: 'WS11 1AA', phone: '07700 900999' };
    expect(sharedKeys({}, namesake)).toEqual([]);
    expect(worthComparing(sharedKeys({}, namesake))).toBe(false);
    expect(worthComparing(sharedKeys({}, { family: 'Okafor', postcode: 'WS11 1AA', phone: undefined }))).toBe(true);
  });
});

describe('names filed with part of the date of birth', () => {
  it('gives every pair that shared two of the old name blocks one of the new ones', () => {
    // Old keys rebuilt from the record itself, as blocking.ts filed them before migration 0016.
    const old = (d: Partial<SourceDemographics>): string[] => {
      const r = prepareRecord({ feedId: 'f-one', localId: 'a', demographics: { ...base, ...d } });
      const fam = r.family?.code ?? '';
      const giv = [...keysOf(d)].find((k) => k.startsWith('nmd:'));
      if (!r.birthDate || fam === '' || !giv) return [];
      const [, p, q] = giv.split(':');
      const g = p === fam ? q : p;
      const md = `${String(r.birthDate.month).padStart(2, '0')}${String(r.birthDate.day).padStart(2, '0')}`;
      return [`fy:${fam}:${r.birthDate.year}`, `gmd:${g}:${md}`, `nm:${p}:${q}`];
    };
    const variants: Partial<SourceDemographics>[] = [
      {}, { birthDate: '1980-07-03' }, { birthDate: '1981-03-07' }, { birthDate: '1980-03-08' }, { given: ['Meghan'] }, { given: ['Peggy'] },
      { family: 'Hughs' }, { family: 'Okafor' }, { family: 'Megan', given: ['Hughes'] }, { family: 'Megan', given: ['Hughes'], birthDate: '1980-05-07' },
      { given: ['Sarah'], birthDate: '1980-11-21' }, { postcode: 'WS11 1AA', phone: undefined },
    ];
    for (const a of variants) {
      for (const b of variants) {
        const oldShared = old(a).filter((k) => old(b).includes(k));
        const newShared = [...keysOf(a)].filter((k) => keysOf(b).has(k) && /^nm[yd]:/.test(k));
        if (oldShared.length >= 2) expect(newShared.length, `${JSON.stringify(a)} ${JSON.stringify(b)}`).toBeGreaterThan(0);
      }
    }
  });
});
