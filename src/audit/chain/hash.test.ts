import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJsonWithout } from './canonical.ts';
import { auditEventFromStored, GENESIS_HASH, GENESIS_HEAD, isIsoUtcMillis, type AuditEventDraft } from './event.ts';
import { AuditChainError, auditEventHash, canonicalParts, chainCheckedDrafts, chainedEvent, chainMany, chainNext, headOf, sha256Hex } from './hash.ts';
import { sampleDraft, sampleLog } from './testLog.ts';

const draft: AuditEventDraft = {
  time: '2025-03-01T10:00:00.000Z',
  actor: { kind: 'user', id: 'u1', organisationOds: 'RX1', role: 'clinician' },
  action: 'view',
  personId: 'p1',
  purpose: 'direct-care',
  outcome: 'success',
  details: { resources: ['Condition/c1'] },
};

describe('chainNext', () => {
  it('starts the chain at seq 1 after 64 zeros', () => {
    const e = chainNext(GENESIS_HEAD, draft);
    expect(e.seq).toBe(1);
    expect(e.prevHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the canonical event without its hash, prevHash included', () => {
    const e = chainNext(GENESIS_HEAD, draft);
    const expected = sha256Hex(
      '{"action":"view","actor":{"id":"u1","kind":"user","organisationOds":"RX1","role":"clinician"},"details":{"resources":["Condition/c1"]},' +
        `"outcome":"success","personId":"p1","prevHash":"${GENESIS_HASH}","purpose":"direct-care","seq":1,"time":"2025-03-01T10:00:00.000Z"}`,
    );
    expect(e.hash).toBe(expected);
    expect(auditEventHash(e)).toBe(expected);
    expect(canonicalJsonWithout(e, 'hash')).not.toContain('"hash"');
  });

  it('is deterministic and sensitive to every field', () => {
    const base = chainNext(GENESIS_HEAD, draft).hash;
    expect(chainNext(GENESIS_HEAD, { ...draft }).hash).toBe(base);
    const variants: AuditEventDraft[] = [
      { ...draft, time: '2025-03-01T10:00:00.001Z' },
      { ...draft, actor: { ...draft.actor, id: 'u2' } },
      { ...draft, actor: { ...draft.actor, role: 'admin' } },
      { ...draft, action: 'export' },
      { ...draft, personId: 'p2' },
      { ...draft, purpose: 'emergency-care' },
      { ...draft, outcome: 'denied' },
      { ...draft, details: { resources: ['Condition/c2'] } },
    ];
    for (const v of variants) expect(chainNext(GENESIS_HEAD, v).hash).not.toBe(base);
    expect(chainNext({ seq: 1, hash: 'a'.repeat(64) }, draft).hash).not.toBe(base);
  });

  it('copies only the model fields, so stray properties never enter the hash', () => {
    const stray = { ...draft, extra: 'x', seq: 99, hash: 'f'.repeat(64) } as AuditEventDraft;
    const e = chainNext(GENESIS_HEAD, stray);
    expect(e).not.toHaveProperty('extra');
    expect(e.seq).toBe(1);
    expect(e.hash).toBe(chainNext(GENESIS_HEAD, draft).hash);
  });

  it.each([
    ['a time without milliseconds', { ...draft, time: '2025-03-01T10:00:00Z' }, 'time'],
    ['a time that is not UTC', { ...draft, time: '2025-03-01T10:00:00.000+01:00' }, 'time'],
    ['an impossible date', { ...draft, time: '2025-02-30T10:00:00.000Z' }, 'time'],
    ['an unknown action', { ...draft, action: 'peek' }, 'action'],
    ['an unknown outcome', { ...draft, outcome: 'ok' }, 'outcome'],
    ['an unknown purpose', { ...draft, purpose: 'curiosity' }, 'purpose'],
    ['an unknown actor kind', { ...draft, actor: { kind: 'robot', id: 'r' } }, 'actor.kind'],
    ['an actor without id', { ...draft, actor: { kind: 'user', id: '' } }, 'actor.id'],
    ['details that are not an object', { ...draft, details: ['x'] }, 'details'],
  ])('refuses a draft with %s', (_name, bad, where) => {
    try {
      chainNext(GENESIS_HEAD, bad as AuditEventDraft);
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(AuditChainError);
      expect((err as AuditChainError).code).toBe('invalid-draft');
      expect((err as AuditChainError).where).toBe(where);
    }
  });

  it('refuses a malformed head', () => {
    expect(() => chainNext({ seq: -1, hash: GENESIS_HASH }, draft)).toThrow(AuditChainError);
    expect(() => chainNext({ seq: 0, hash: 'XYZ' }, draft)).toThrow(AuditChainError);
  });
});

describe('chainMany', () => {
  it('links a batch exactly as one-by-one chaining does', () => {
    const drafts = Array.from({ length: 1000 }, (_, i) => sampleDraft(i));
    const batch = chainMany(GENESIS_HEAD, drafts);
    let head = GENESIS_HEAD;
    drafts.forEach((d, i) => {
      const e = chainNext(head, d);
      expect(batch[i]).toEqual(e);
      head = e;
    });
    batch.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? GENESIS_HASH : batch[i - 1]?.hash);
    });
    expect(headOf(batch)).toEqual({ seq: 1000, hash: batch[999]?.hash });
  });

  it('continues from a given head and returns nothing for no drafts', () => {
    const first = sampleLog(5);
    const head = headOf(first);
    const more = chainMany(head, [sampleDraft(5)]);
    expect(more[0]?.seq).toBe(6);
    expect(more[0]?.prevHash).toBe(head.hash);
    expect(chainMany(head, [])).toEqual([]);
    expect(headOf([], head)).toEqual(head);
  });
});

describe('chainCheckedDrafts', () => {
  it('chains checked drafts exactly as chainMany does, and still checks the head', () => {
    const drafts = Array.from({ length: 50 }, (_, i) => sampleDraft(i));
    const head = { seq: 7, hash: 'c'.repeat(64) };
    expect(chainCheckedDrafts(head, drafts)).toEqual(chainMany(head, drafts));
    expect(() => chainCheckedDrafts({ seq: 0, hash: 'XYZ' }, drafts)).toThrow(AuditChainError);
  });
});

describe('canonicalParts', () => {
  const awkward: AuditEventDraft = {
    time: '2025-03-01T10:00:00.000Z',
    actor: { kind: 'user', id: 'u-"quoted"\\back\nline', organisationOds: 'café ✓ 😀 \u2028', role: 'r\u0001' },
    action: 'view',
    personId: 'p1',
    purpose: 'direct-care',
    outcome: 'success',
    details: { é: 1, B: [1.5, -0, 1e21, 'x"y'], a: { z: null, y: true }, '': '\ud800' },
  };
  it.each<[string, AuditEventDraft]>([
    ['every optional member', draft],
    ['no optional members', { ...draft, personId: undefined, purpose: undefined, actor: { kind: 'system', id: 'job' } }],
    ['a purpose but no person', { ...draft, personId: undefined }],
    ['a person but no purpose', { ...draft, purpose: undefined }],
    ['awkward text and details', awkward],
    ...Array.from({ length: 6 }, (_, i): [string, AuditEventDraft] => [`sample draft ${i}`, sampleDraft(i)]),
  ])('put together around prevHash and seq, give the canonical text: %s', (_name, d) => {
    const prev = { seq: 41, hash: 'ab'.repeat(32) };
    const e = chainNext(prev, d);
    const parts = canonicalParts(d);
    const text = parts.beforePrevHash + prev.hash + parts.beforeSeq + String(e.seq) + parts.after;
    expect(text).toBe(canonicalJsonWithout(e, 'hash'));
    expect(sha256Hex(text)).toBe(e.hash);
    // The event rebuilt from a hash computed elsewhere is the chained event, key order included.
    const rebuilt = chainedEvent(d, e.seq, prev.hash, e.hash);
    expect(rebuilt).toEqual(e);
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(e));
  });
});

describe('isIsoUtcMillis', () => {
  it.each<[string, unknown, boolean]>([
    ['an ordinary instant', '2025-03-01T10:00:00.000Z', true],
    ['the last millisecond of a year', '2025-12-31T23:59:59.999Z', true],
    ['a leap day', '2024-02-29T00:00:00.000Z', true],
    ['a leap day in a 400th year', '2000-02-29T00:00:00.000Z', true],
    ['29 February in a common year', '2025-02-29T00:00:00.000Z', false],
    ['29 February in a century year', '1900-02-29T00:00:00.000Z', false],
    ['31 April', '2025-04-31T00:00:00.000Z', false],
    ['month 13', '2025-13-01T00:00:00.000Z', false],
    ['hour 24', '2025-01-01T24:00:00.000Z', false],
    ['no milliseconds', '2025-01-01T00:00:00Z', false],
    ['an offset', '2025-01-01T00:00:00.000+00:00', false],
    ['not a string', 1735689600000, false],
  ])('%s → %s', (_name, x, ok) => {
    expect(isIsoUtcMillis(x)).toBe(ok);
  });

  it('property: agrees with a Date round trip for any date-shaped string', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (y, m, d) => {
        const x = `${String(y).padStart(4, '0')}-${two(m)}-${two(d)}T12:34:56.789Z`;
        const t = Date.parse(x);
        expect(isIsoUtcMillis(x)).toBe(Number.isFinite(t) && new Date(t).toISOString() === x);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('auditEventFromStored', () => {
  it('turns SQL NULLs and a bigint seq back into the event as hashed', () => {
    const e = chainNext(GENESIS_HEAD, { ...draft, personId: undefined, purpose: undefined, actor: { kind: 'system', id: 'purge' } });
    const row = { ...e, seq: BigInt(e.seq), personId: null, purpose: null, actor: { ...e.actor, organisationOds: null, role: null } };
    const back = auditEventFromStored(row);
    expect(back).toEqual(e);
    expect(auditEventHash(back)).toBe(e.hash);
  });
});
