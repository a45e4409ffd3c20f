import { describe, expect, it } from 'vitest';
import { parse, segment } from '../../../formats/hl7v2/index.ts';
import { reps, val, type Mapping } from './context.ts';

// PID-3 has an empty first repetition; PID-5 has two names, the second with subcomponents and an
// escaped component separator; PID-8 is HL7's explicit null; PID-11 is blank but for spaces.
const MESSAGE = [
  'MSH|^~\\&|PAS|RJE|OHC|OHC|20260101120000||ADT^A28|1|P|2.4',
  'PID|1||~9990000018^^^NHS^NH~L1^^^RJE^PI||  Smith ^Ann~van&Dyke^Jo\\S\\Ann^^^^^L||19800101|""|||   ',
].join('\r');

function mapping(): Mapping {
  const r = parse(MESSAGE);
  if (!r.ok) throw new Error(r.error.message);
  return { msg: r.message, ctx: { feedId: 'f', odsCode: 'RJE' }, warnings: [] };
}

describe('val: the first non-empty repetition, decoded and trimmed; empty and "" read as absent', () => {
  it.each([
    ['PID-3.1 skips the empty first repetition', 3, 1, 1, '9990000018'],
    ['PID-3.5', 3, 5, 1, 'NH'],
    ['PID-5.1 trimmed', 5, 1, 1, 'Smith'],
    ['PID-5.2', 5, 2, 1, 'Ann'],
    ['PID-5.3 absent component', 5, 3, 1, undefined],
    ['PID-7', 7, 1, 1, '19800101'],
    ['PID-8 explicit null', 8, 1, 1, undefined],
    ['PID-9 empty field', 9, 1, 1, undefined],
    ['PID-11 only spaces', 11, 1, 1, undefined],
    ['PID-40 beyond the last field', 40, 1, 1, undefined],
  ])('%s', (_name, fieldNo, component, sub, expected) => {
    const m = mapping();
    expect(val(m, segment(m.msg, 'PID'), fieldNo, component, sub)).toBe(expected);
  });

  it('agrees with reading the first non-empty repetition through reps()', () => {
    const m = mapping();
    const pid = segment(m.msg, 'PID');
    for (let f = 1; f <= 12; f++) {
      for (let c = 1; c <= 3; c++) {
        const viaReps = reps(m, pid, f)[0]?.c(c)?.trim();
        expect(val(m, pid, f, c), `PID-${f}.${c}`).toBe(viaReps === '' || viaReps === '""' ? undefined : viaReps);
      }
    }
  });

  it('reads no segment as absent', () => {
    expect(val(mapping(), undefined, 3)).toBeUndefined();
  });
});

describe('reps: the non-empty repetitions of a field, each read by component and subcomponent', () => {
  it('drops empty repetitions and decodes escapes', () => {
    const m = mapping();
    const pid = segment(m.msg, 'PID');
    expect(reps(m, pid, 3).map((r) => r.c(1))).toEqual(['9990000018', 'L1']);
    const names = reps(m, pid, 5);
    expect(names.map((r) => [r.c(1, 1), r.c(1, 2), r.c(2), r.c(7)])).toEqual([['  Smith ', undefined, 'Ann', undefined], ['van', 'Dyke', 'Jo^Ann', 'L']]);
    expect(names.every((r) => !r.empty)).toBe(true);
    expect(reps(m, pid, 9)).toEqual([]);
  });
});
