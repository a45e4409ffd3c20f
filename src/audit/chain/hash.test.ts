import { describe, expect, it } from 'vitest';
import { canonicalJsonWithout } from './canonical.ts';
import { auditEventFromStored, GENESIS_HASH, GENESIS_HEAD, type AuditEventDraft } from './event.ts';
import { AuditChainError, auditEventHash, chainMany, chainNext, headOf, sha256Hex } from './hash.ts';
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

describe('auditEventFromStored', () => {
  it('turns SQL NULLs and a bigint seq back into the event as hashed', () => {
    const e = chainNext(GENESIS_HEAD, { ...draft, personId: undefined, purpose: undefined, actor: { kind: 'system', id: 'purge' } });
    const row = { ...e, seq: BigInt(e.seq), personId: null, purpose: null, actor: { ...e.actor, organisationOds: null, role: null } };
    const back = auditEventFromStored(row);
    expect(back).toEqual(e);
    expect(auditEventHash(back)).toBe(e.hash);
  });
});
