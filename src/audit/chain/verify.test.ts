import { describe, expect, it } from 'vitest';
import { checkpointDraft, checkpointKeysFromSeed, signCheckpoint, type AuditCheckpoint } from './checkpoint.ts';
import { GENESIS_HEAD, type AuditEvent, type ChainHead } from './event.ts';
import { auditEventHash, chainMany, chainNext, headOf } from './hash.ts';
import { sampleDraft, sampleLog } from './testLog.ts';
import { ChainVerifier, verifyChain, verifyChainSync, type ChainProblem, type VerifyOptions, type VerifyResult } from './verify.ts';

const keys = checkpointKeysFromSeed('audit-key-1', new Uint8Array(32).fill(3));
const signer = { keyId: keys.keyId, privateKey: keys.privateKeyPem };
const publicKeys = { [keys.keyId]: keys.publicKeyPem };
const T = '2025-07-01T00:00:00.000Z';

const N = 12;
const original = sampleLog(N);
const at = (log: AuditEvent[], seq: number): AuditEvent => log[seq - 1] as AuditEvent;

/** Recompute the hash of one event (an attacker who knows the algorithm). */
const rehash = (e: AuditEvent): AuditEvent => ({ ...e, hash: auditEventHash(e) });
/** Recompute links and hashes from index i onwards: a complete rewrite of the tail. */
function relinkFrom(log: AuditEvent[], i: number): AuditEvent[] {
  const out = log.slice(0, i);
  let prev: ChainHead = i === 0 ? GENESIS_HEAD : (out[i - 1] as AuditEvent);
  for (const e of log.slice(i)) {
    const next = rehash({ ...e, seq: prev.seq + 1, prevHash: prev.hash });
    out.push(next);
    prev = next;
  }
  return out;
}
const renumber = (log: AuditEvent[], from: number, delta: number): AuditEvent[] =>
  log.map((e, i) => (i >= from ? { ...e, seq: e.seq + delta } : e));
const forgedEvent = (seq: number, prevHash: string, goodHash: boolean): AuditEvent => {
  const e = chainNext({ seq: seq - 1, hash: prevHash }, { ...sampleDraft(99), action: 'view', personId: 'person-x' });
  return goodHash ? e : { ...e, hash: 'e'.repeat(64) };
};

type Tamper = (log: AuditEvent[]) => AuditEvent[];
const edit = (seq: number, change: (e: AuditEvent) => AuditEvent): Tamper => (log) => log.map((e) => (e.seq === seq ? change(e) : e));

const cases: [string, Tamper, number, ChainProblem][] = [
  // Edited: any field, left un-rehashed.
  ['edited details', edit(5, (e) => ({ ...e, details: { ...e.details, n: 1000 } })), 5, 'edited'],
  ['edited time', edit(5, (e) => ({ ...e, time: '2030-01-01T00:00:00.000Z' })), 5, 'edited'],
  ['edited actor id', edit(5, (e) => ({ ...e, actor: { ...e.actor, id: 'someone-else' } })), 5, 'edited'],
  ['edited actor organisation', edit(5, (e) => ({ ...e, actor: { ...e.actor, organisationOds: 'ZZZ' } })), 5, 'edited'],
  ['edited action', edit(5, (e) => ({ ...e, action: 'sign-out' })), 5, 'edited'],
  ['edited outcome', edit(5, (e) => ({ ...e, outcome: 'denied' })), 5, 'edited'],
  ['edited purpose', edit(5, (e) => ({ ...e, purpose: 'emergency-care' })), 5, 'edited'],
  ['removed personId', edit(5, (e) => ({ ...e, personId: undefined })), 5, 'edited'],
  ['added a field', edit(5, (e) => ({ ...e, note: 'x' }) as AuditEvent), 5, 'edited'],
  ['edited prevHash', edit(5, (e) => ({ ...e, prevHash: 'd'.repeat(64) })), 5, 'edited'],
  ['edited stored hash', edit(5, (e) => ({ ...e, hash: 'd'.repeat(64) })), 5, 'edited'],
  ['edited seq upwards', edit(5, (e) => ({ ...e, seq: 50 })), 5, 'edited'],
  ['edited seq downwards', edit(5, (e) => ({ ...e, seq: 2 })), 5, 'edited'],
  ['edited first event', edit(1, (e) => ({ ...e, details: {} })), 1, 'edited'],
  ['edited last event', edit(N, (e) => ({ ...e, details: {} })), N, 'edited'],
  ['edited and re-hashed', edit(5, (e) => rehash({ ...e, details: {} })), 5, 'edited'],
  ['not an event at all', (log) => log.map((e) => (e.seq === 5 ? (null as unknown as AuditEvent) : e)), 5, 'edited'],
  // Deleted.
  ['deleted one event', (log) => log.filter((e) => e.seq !== 5), 5, 'deleted'],
  ['deleted three events', (log) => log.filter((e) => e.seq < 5 || e.seq > 7), 5, 'deleted'],
  ['deleted the first event', (log) => log.slice(1), 1, 'deleted'],
  ['deleted and the rest renumbered', (log) => renumber(log.filter((e) => e.seq !== 5), 4, -1), 5, 'deleted'],
  ['deleted two and the rest renumbered', (log) => renumber(log.filter((e) => e.seq !== 5 && e.seq !== 6), 4, -2), 5, 'deleted'],
  // Inserted.
  ['inserted a well-formed event with a duplicate seq before the genuine one', (log) => [...log.slice(0, 4), forgedEvent(5, at(log, 4).hash, true), ...log.slice(4)], 5, 'inserted'],
  ['inserted a well-formed event with a duplicate seq after the genuine one', (log) => [...log.slice(0, 5), forgedEvent(5, at(log, 4).hash, true), ...log.slice(5)], 5, 'inserted'],
  ['inserted an ill-formed event with a duplicate seq', (log) => [...log.slice(0, 4), forgedEvent(5, at(log, 4).hash, false), ...log.slice(4)], 5, 'inserted'],
  ['inserted a well-formed event and renumbered the rest', (log) => [...log.slice(0, 4), forgedEvent(5, at(log, 4).hash, true), ...renumber(log.slice(4), 0, 1)], 5, 'inserted'],
  ['inserted an ill-formed event and renumbered the rest', (log) => [...log.slice(0, 4), forgedEvent(5, at(log, 4).hash, false), ...renumber(log.slice(4), 0, 1)], 5, 'inserted'],
  ['inserted and re-hashed the renumbered rest, links left', (log) => [...log.slice(0, 4), forgedEvent(5, at(log, 4).hash, true), ...renumber(log.slice(4), 0, 1).map(rehash)], 5, 'inserted'],
  ['an exact copy of an event', (log) => [...log.slice(0, 5), at(log, 5), ...log.slice(5)], 5, 'inserted'],
  // Reordered.
  ['two neighbours swapped in place', (log) => [...log.slice(0, 4), at(log, 6), at(log, 5), ...log.slice(6)], 6, 'reordered'],
  ['two distant events swapped', (log) => log.map((e) => (e.seq === 3 ? at(log, 9) : e.seq === 9 ? at(log, 3) : e)), 9, 'reordered'],
  ['an event moved later', (log) => [...log.filter((e) => e.seq !== 4).slice(0, 8), at(log, 4), ...log.filter((e) => e.seq !== 4).slice(8)], 5, 'reordered'],
  ['seq values of neighbours swapped', (log) => log.map((e) => (e.seq === 5 ? { ...e, seq: 6 } : e.seq === 6 ? { ...e, seq: 5 } : e)).sort((a, b) => a.seq - b.seq), 5, 'reordered'],
];

describe('verifyChain', () => {
  it('vouches for an untouched log', async () => {
    expect(await verifyChain(original)).toEqual({ ok: true, count: N, lastSeq: N, lastHash: at(original, N).hash });
    expect(await verifyChain([])).toEqual({ ok: true, count: 0, lastSeq: 0, lastHash: GENESIS_HEAD.hash });
  });

  it.each(cases)('%s → first bad event %i is %s', async (_name, tamper, seq, problem) => {
    const tampered = tamper(structuredClone(original));
    const result = await verifyChain(tampered);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.firstBad).toMatchObject({ seq, problem });
      expect(result.firstBad.message).not.toContain('person-');
    }
  });

  it('gives the same verdicts over an async stream', async () => {
    for (const [, tamper, seq, problem] of cases) {
      const result = await verifyChain(stream(tamper(structuredClone(original))));
      expect(result).toMatchObject({ ok: false, firstBad: { seq, problem } });
    }
  });

  it('stops pulling events once the verdict is settled', async () => {
    let pulled = 0;
    const tampered = edit(3, (e) => ({ ...e, details: {} }))(structuredClone(original));
    async function* counting(): AsyncGenerator<AuditEvent> {
      for (const e of tampered) {
        pulled++;
        yield e;
      }
    }
    expect(await verifyChain(counting())).toMatchObject({ ok: false, firstBad: { seq: 3 } });
    expect(pulled).toBe(4);
  });

  it('can be fed page by page', () => {
    const v = new ChainVerifier();
    for (const e of original.slice(0, 6)) expect(v.push(e)).toBe(true);
    for (const e of original.slice(6)) v.push(e);
    expect(v.finish()).toMatchObject({ ok: true, count: N });
  });
});

describe('verifyChain with checkpoints and heads', () => {
  const cp = (seq: number, log = original): AuditCheckpoint => signCheckpoint(at(log, seq), T, signer);

  it.each<[string, Tamper, VerifyOptions, number, ChainProblem]>([
    ['tail cut off before a signed checkpoint', (log) => log.slice(0, 8), { checkpoints: [cp(10)], publicKeys }, 9, 'truncated'],
    ['tail cut off before the expected head', (log) => log.slice(0, 8), { expectedHead: headOf(original) }, 9, 'truncated'],
    ['last event deleted, head known', (log) => log.slice(0, N - 1), { expectedHead: headOf(original) }, N, 'truncated'],
    ['history rewritten and re-linked end to end', (log) => relinkFrom(edit(4, (e) => ({ ...e, details: {} }))(log), 3), { checkpoints: [cp(6)], publicKeys }, 6, 'hash-mismatch'],
    ['deleted, renumbered, re-linked', (log) => relinkFrom(log.filter((e) => e.seq !== 4), 3), { checkpoints: [cp(2), cp(8)], publicKeys }, 8, 'hash-mismatch'],
    ['last event edited and re-hashed, head known', edit(N, (e) => rehash({ ...e, details: {} })), { expectedHead: headOf(original) }, N, 'hash-mismatch'],
    ['a forged checkpoint within the log', (log) => log, { checkpoints: [cp(3), { ...cp(6), hash: 'a'.repeat(64) }], publicKeys }, 6, 'bad-checkpoint-signature'],
    ['a forged checkpoint beyond the log', (log) => log, { checkpoints: [{ ...cp(N), seq: N + 5 }], publicKeys }, N + 5, 'bad-checkpoint-signature'],
    ['a checkpoint by an untrusted key', (log) => log, { checkpoints: [signCheckpoint(at(original, 4), T, { keyId: 'rogue', privateKey: checkpointKeysFromSeed('rogue', new Uint8Array(32).fill(9)).privateKeyPem })], publicKeys }, 4, 'bad-checkpoint-signature'],
    ['checkpoints without any trusted key', (log) => log, { checkpoints: [cp(4)] }, 4, 'bad-checkpoint-signature'],
  ])('%s → %i %s', async (_name, tamper, options, seq, problem) => {
    expect(await verifyChain(tamper(structuredClone(original)), options)).toMatchObject({ ok: false, firstBad: { seq, problem } });
  });

  it('passes with valid checkpoints (any order) and the right head', async () => {
    const result = await verifyChain(original, { checkpoints: [cp(9), cp(2), cp(N)], publicKeys, expectedHead: headOf(original) });
    expect(result).toEqual({ ok: true, count: N, lastSeq: N, lastHash: at(original, N).hash });
  });

  it('accepts events appended after the expected head was read', async () => {
    expect(await verifyChain(original, { expectedHead: headOf(original.slice(0, 7)) })).toMatchObject({ ok: true, count: N });
  });
});

describe('checkpoints recorded in the log', () => {
  const before = sampleLog(5);
  const signed = signCheckpoint(headOf(before), T, signer);
  const withCp = [...before, chainNext(headOf(before), checkpointDraft(signed))];
  const log = [...withCp, ...chainMany(headOf(withCp), [sampleDraft(6), sampleDraft(7)])];

  it('verifies them against the event before and the trusted key', async () => {
    expect(await verifyChain(log, { publicKeys })).toMatchObject({ ok: true, count: 8 });
    expect(await verifyChain(log)).toMatchObject({ ok: true, count: 8 });
  });

  it('names a checkpoint event whose signature was forged (and the log re-hashed)', async () => {
    const forged = { ...signed, signature: signCheckpoint(headOf(before), T, { keyId: signer.keyId, privateKey: checkpointKeysFromSeed('x', new Uint8Array(32).fill(1)).privateKeyPem }).signature };
    const bad = relinkFrom([...before, chainNext(headOf(before), checkpointDraft(forged)), ...log.slice(6)], 5);
    expect(await verifyChain(bad, { publicKeys })).toMatchObject({ ok: false, firstBad: { seq: 6, problem: 'bad-checkpoint-signature' } });
  });

  it('names a checkpoint event that signs some other head', async () => {
    const elsewhere = signCheckpoint(at(before, 2), T, signer);
    const bad = [...before, chainNext(headOf(before), checkpointDraft(elsewhere))];
    expect(await verifyChain(bad, { publicKeys })).toMatchObject({ ok: false, firstBad: { seq: 6, problem: 'hash-mismatch' } });
  });
});

/**
 * How the stored verifier feeds the chain: each event first to the fast path with its own hash
 * (worked out by other means there), and to push only when the fast path declines it.
 */
function verifyFastFirst(events: AuditEvent[], options: VerifyOptions = {}): VerifyResult {
  const v = new ChainVerifier(options);
  for (const e of events) {
    let own = '';
    try {
      own = auditEventHash(e);
    } catch {
      // not an event: the fast path must decline it
    }
    const taken = e !== null && typeof e === 'object' ? v.pushIntact(e, own) : undefined;
    if (taken === false) break;
    if (taken === undefined && !v.push(e)) break;
  }
  return v.finish();
}

describe('the fast path (pushIntact)', () => {
  it('takes an intact log whole, checkpoints and head included', () => {
    const cps = [signCheckpoint(at(original, 4), T, signer), signCheckpoint(at(original, N), T, signer)];
    const options = { checkpoints: cps, publicKeys, expectedHead: headOf(original) };
    const v = new ChainVerifier(options);
    for (const e of original) expect(v.pushIntact(e, auditEventHash(e))).toBe(true);
    expect(v.finish()).toEqual(verifyChainSync(original, options));
  });

  it.each<[string, (e: AuditEvent) => [AuditEvent, string]]>([
    ['its own hash is wrong', (e) => [e, 'f'.repeat(64)]],
    ['it does not link to the event before', (e) => [{ ...e, prevHash: 'd'.repeat(64) }, e.hash]],
    ['its seq is not the next one', (e) => [{ ...e, seq: e.seq + 1 }, e.hash]],
  ])('declines an event when %s, taking nothing', (_name, change) => {
    const v = new ChainVerifier();
    for (const e of original.slice(0, 4)) v.pushIntact(e, auditEventHash(e));
    const [e, own] = change(at(original, 5));
    expect(v.pushIntact(e, own)).toBeUndefined();
    for (const rest of original.slice(4)) v.push(rest);
    expect(v.finish()).toMatchObject({ ok: true, count: N });
  });

  it('declines everything while an earlier event awaits judgement', () => {
    const v = new ChainVerifier();
    for (const e of original.slice(0, 4)) v.pushIntact(e, auditEventHash(e));
    v.push({ ...at(original, 5), details: {} });
    expect(v.clean).toBe(false);
    expect(v.pushIntact(at(original, 6), at(original, 6).hash)).toBeUndefined();
  });

  it.each(cases)('gives exactly the verdict of push alone: %s', (_name, tamper) => {
    const tampered = tamper(structuredClone(original));
    expect(verifyFastFirst(tampered)).toEqual(verifyChainSync(tampered));
  });

  it('gives exactly the verdict of push alone with checkpoints, heads and in-log checkpoints', () => {
    const cp = (seq: number, log = original): AuditCheckpoint => signCheckpoint(at(log, seq), T, signer);
    const runs: [AuditEvent[], VerifyOptions][] = [
      [original.slice(0, 8), { checkpoints: [cp(10)], publicKeys }],
      [original.slice(0, N - 1), { expectedHead: headOf(original) }],
      [relinkFrom(edit(4, (e) => ({ ...e, details: {} }))(original), 3), { checkpoints: [cp(6)], publicKeys }],
      [edit(N, (e) => rehash({ ...e, details: {} }))(original), { expectedHead: headOf(original) }],
      [original, { checkpoints: [cp(3), { ...cp(6), hash: 'a'.repeat(64) }], publicKeys }],
      [original, { checkpoints: [cp(4)] }],
    ];
    for (const [log, options] of runs) expect(verifyFastFirst(structuredClone(log), options)).toEqual(verifyChainSync(log, options));
    const before = sampleLog(5);
    const elsewhere = signCheckpoint(at(before, 2), T, signer);
    const bad = [...before, chainNext(headOf(before), checkpointDraft(elsewhere))];
    expect(verifyFastFirst(bad, { publicKeys })).toEqual(verifyChainSync(bad, { publicKeys }));
  });
});

describe('verifyChainSync', () => {
  it('agrees with verifyChain', async () => {
    const tampered = original.filter((e) => e.seq !== 7);
    expect(verifyChainSync(tampered)).toEqual(await verifyChain(tampered));
  });
});

async function* stream(events: AuditEvent[]): AsyncGenerator<AuditEvent> {
  for (const e of events) {
    await Promise.resolve();
    yield e;
  }
}
