import { describe, expect, it } from 'vitest';
import { BundleIndex } from './references.ts';

describe('BundleIndex.rewrite', () => {
  const index = new BundleIndex();
  index.add({ resourceType: 'Patient', sourceId: 'p1' }, 'urn:uuid:0b8c3a52-6d3e-4b5e-9d8f-2c1a0e7f6b41');
  index.add({ resourceType: 'Encounter', sourceId: 'e1' }, 'https://example.org/fhir/Encounter/e1');

  it.each([
    ['a urn:uuid of an entry', 'urn:uuid:0b8c3a52-6d3e-4b5e-9d8f-2c1a0e7f6b41', 'Patient/p1'],
    ['the full URL of an entry', 'https://example.org/fhir/Encounter/e1', 'Encounter/e1'],
    ['Type/id of an entry, with a version', 'Patient/p1/_history/3', 'Patient/p1'],
    ['a resource outside the bundle: as sent', 'Practitioner/x9', 'Practitioner/x9'],
    ['not a reference the bundle knows: as sent', 'urn:uuid:ffffffff-6d3e-4b5e-9d8f-2c1a0e7f6b41', 'urn:uuid:ffffffff-6d3e-4b5e-9d8f-2c1a0e7f6b41'],
  ])('%s', (_name, reference, expected) => {
    expect(index.rewrite({ subject: { reference } })).toEqual({ subject: { reference: expected } });
  });

  it('copies only the path to each rewritten reference, shares the rest and never changes what it was given', () => {
    const code = { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] };
    const performer = [{ reference: 'Practitioner/x9' }];
    const given = {
      resourceType: 'Observation', code, performer,
      subject: { reference: 'urn:uuid:0b8c3a52-6d3e-4b5e-9d8f-2c1a0e7f6b41', display: 'Ann' },
      hasMember: [{ reference: 'Observation/o2' }, { reference: 'https://example.org/fhir/Encounter/e1' }],
    };
    const before = structuredClone(given);
    const out = index.rewrite(given);
    expect(out).toEqual({ ...before, subject: { reference: 'Patient/p1', display: 'Ann' }, hasMember: [{ reference: 'Observation/o2' }, { reference: 'Encounter/e1' }] });
    expect(given).toEqual(before);
    expect(out).not.toBe(given);
    expect(out.code).toBe(code);
    expect(out.performer).toBe(performer);
    expect(out.hasMember[0]).toBe(given.hasMember[0]);
    expect(Object.keys(out)).toEqual(Object.keys(given));
    // Nothing to rewrite: the very same value.
    expect(index.rewrite(code)).toBe(code);
  });
});
