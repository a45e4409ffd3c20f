/**
 * The person index, in memory: source records, the scored pairs between them, and the
 * clustering of records into persons, with merges, unmerges and review decisions.
 *
 * Order independence. Every scored pair is a pure function of its two records, and blocking
 * finds the same pairs whatever the arrival order. Persons are the result of a canonical
 * clustering of each connected component of link-capable pairs (manual links first, then
 * NHS-number links in key order, then probabilistic links by score, then key), checked against
 * the safety constraints at every union. A component is independent of everything outside it,
 * so re-clustering only the component a new record touches keeps the whole index equal to the
 * canonical clustering of the records present, after every call — `resolve()` recomputes it
 * from scratch and reports any difference (none, unless parameters changed).
 *
 * Duplicate registrations. A probabilistic link joins two records of the same feed only with a
 * score `sameFeedMargin` bits above the link threshold (two local ids in one source for one person
 * is the source's duplicate, or two people it keeps apart, e.g. twins, so it takes stronger
 * evidence); below that the pair goes to review with reason `same-feed-duplicate`. An agreeing
 * valid NHS number with the same date of birth does join them, and the decision says
 * `possibleDuplicateRegistration` so the feed can be told to merge its records (ADT A40).
 *
 * State is plain data (inputs, links, manual decisions); `snapshot()` and `PersonIndex.restore`
 * move it to and from storage.
 */
import type { ComparisonVector } from './comparison.ts';
import { blockingKeys, worthComparing } from './blocking.ts';
import { DEFAULT_POLICY, decidePair, type MatchPolicy, type ReviewReason } from './pairDecision.ts';
import { defaultParameters, Scorer, type FieldEvidence, type MatchParameters } from './parameters.ts';
import {
  prepareRecord,
  sourceRecordKey,
  splitSourceRecordKey,
  type PreparedRecord,
  type SourceRecordInput,
} from './sourceRecord.ts';

export type LinkHow = 'nhs-number' | 'probabilistic' | 'manual' | 'merge' | 'new-person' | 'review';

export interface SourceRecordRef {
  feedId: string;
  localId: string;
}

export interface ReviewCandidate extends SourceRecordRef {
  personId: string;
  score: number;
  reason: ReviewReason;
  evidence: FieldEvidence[];
}

export interface LinkDecision extends SourceRecordRef {
  personId: string;
  how: LinkHow;
  /** Score of the pair that attached the record (or of the best review candidate); null when none. */
  score: number | null;
  /** Field by field, for the attaching pair or the best review candidate. */
  evidence: FieldEvidence[];
  /** The record it was linked through. */
  linkedThrough?: SourceRecordRef;
  reviewCandidates?: ReviewCandidate[];
  /** The person already holds another local id from the same feed. */
  possibleDuplicateRegistration?: boolean;
}

export interface Relink extends SourceRecordRef {
  fromPersonId: string;
  toPersonId: string;
}

export interface AddResult extends LinkDecision {
  /** Other records whose person changed because of this record (e.g. it bridged two persons). */
  relinked: Relink[];
}

export interface ReviewItem {
  personIds: [string, string];
  records: [SourceRecordRef, SourceRecordRef];
  score: number;
  reason: ReviewReason;
  evidence: FieldEvidence[];
}

export interface DerivedValue<T> extends SourceRecordRef {
  value: T;
  basis: 'gp-registration' | 'verified-nhs-number' | 'most-recent';
}

export interface DerivedDemographics {
  nhsNumber?: DerivedValue<string>;
  family?: DerivedValue<string>;
  given?: DerivedValue<string[]>;
  birthDate?: DerivedValue<string>;
  sex?: DerivedValue<string>;
  postcode?: DerivedValue<string>;
  addressLines?: DerivedValue<string[]>;
  phone?: DerivedValue<string>;
  deceasedDate?: DerivedValue<string>;
  gpPracticeOds?: DerivedValue<string>;
}

export interface PersonView {
  personId: string;
  records: (SourceRecordRef & { how: LinkHow })[];
  demographics: DerivedDemographics;
}

export type MergeResult = { ok: true; relinked: Relink[] } | { ok: false; code: string; message: string };

export interface PersonIndexOptions {
  /** Deterministic source of new person ids (e.g. a counter or a seeded UUID generator). */
  newPersonId: () => string;
  parameters?: MatchParameters;
  policy?: Partial<MatchPolicy>;
  /** restore(): these persons keep their ids first (e.g. the survivor of a merge), in this order. */
  keepPersonIds?: readonly string[];
}

interface ScoredEdge {
  a: string;
  b: string;
  kind: 'nhs-number' | 'link' | 'review';
  score: number;
  vector: ComparisonVector;
  reason?: ReviewReason;
  /** Set when the clustering refused this link (safety constraint): it is then a review item. */
  blocked?: ReviewReason;
}

interface MustLink {
  a: string;
  b: string;
  how: 'manual' | 'merge';
}

interface Separation {
  a: Set<string>;
  b: Set<string>;
}

interface MergeEvent {
  survivor: string;
  retired: string;
  survivorKeys: string[];
  retiredKeys: string[];
  link: MustLink;
}

interface StoredRecord {
  input: SourceRecordInput;
  prepared: PreparedRecord;
  blocks: string[];
}

/** Plain-data state for storage. */
export interface PersonIndexSnapshot {
  records: SourceRecordInput[];
  /**
   * The prepared forms of `records`, in the same order, where the caller stored them when the
   * records were filed (each equal to prepareRecord of its record; a missing one is prepared here).
   * Restoring a component for every worker batch then does not normalise its names, dates,
   * postcodes and addresses again. Not part of snapshot(): a snapshot holds inputs only.
   */
  prepared?: readonly (PreparedRecord | undefined)[];
  links: { feedId: string; localId: string; personId: string }[];
  mustLinks: { a: SourceRecordRef; b: SourceRecordRef; how: 'manual' | 'merge' }[];
  separations: { a: SourceRecordRef[]; b: SourceRecordRef[] }[];
  merges: { survivor: string; retired: string; survivorRecords: SourceRecordRef[]; retiredRecords: SourceRecordRef[]; link: { a: SourceRecordRef; b: SourceRecordRef } }[];
  retiredPersons: { personId: string; survivorPersonId: string }[];
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function ref(key: string): SourceRecordRef {
  return splitSourceRecordKey(key);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

interface Cluster {
  members: string[];
  nhs: Set<string>;
  feeds: Set<string>;
}

export class PersonIndex {
  private scorer: Scorer;
  private policy: MatchPolicy;
  private readonly newPersonId: () => string;
  private readonly records = new Map<string, StoredRecord>();
  private readonly blocks = new Map<string, string[]>();
  private readonly edges = new Map<string, Map<string, ScoredEdge>>();
  private readonly mustLinks = new Map<string, MustLink[]>();
  private readonly separations: Separation[] = [];
  private readonly separationsByKey = new Map<string, Separation[]>();
  private readonly recordPerson = new Map<string, string>();
  private readonly persons = new Map<string, Set<string>>();
  private readonly retiredPersons = new Map<string, string>();
  private readonly merges: MergeEvent[] = [];

  constructor(options: PersonIndexOptions) {
    this.newPersonId = options.newPersonId;
    this.scorer = new Scorer(options.parameters ?? defaultParameters());
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
  }

  get size(): number {
    return this.records.size;
  }

  get parameters(): MatchParameters {
    return this.scorer.parameters;
  }

  /** Add a source record, or replace its demographics when the feed sends it again. */
  add(input: SourceRecordInput): AddResult {
    const key = sourceRecordKey(input.feedId, input.localId);
    const seeds = new Set<string>([key]);
    if (this.records.has(key)) for (const n of this.detach(key)) seeds.add(n);
    this.attach(input);
    const relinked = this.recluster(seeds, []);
    return { ...this.decisionFor(key), relinked };
  }

  /** The current decision for a source record, or undefined when the index does not hold it. */
  decision(feedId: string, localId: string): LinkDecision | undefined {
    const key = sourceRecordKey(feedId, localId);
    return this.records.has(key) ? this.decisionFor(key) : undefined;
  }

  /** Every source record and its person, in key order. */
  links(): (SourceRecordRef & { personId: string; how: LinkHow })[] {
    return [...this.records.keys()].sort(cmp).map((k) => {
      const d = this.decisionFor(k);
      return { feedId: d.feedId, localId: d.localId, personId: d.personId, how: d.how };
    });
  }

  /** The current id of a person, following merges (a retired id leads to its survivor). */
  currentPersonId(personId: string): string | undefined {
    let id = personId;
    for (let hops = 0; hops < 1000; hops++) {
      if (this.persons.has(id)) return id;
      const next = this.retiredPersons.get(id);
      if (next === undefined) return undefined;
      id = next;
    }
    return undefined;
  }

  /** The uncertain pairs of persons, each with the best pair of records and its evidence. */
  reviewQueue(): ReviewItem[] {
    const best = new Map<string, { edge: ScoredEdge; reason: ReviewReason }>();
    for (const [a, m] of this.edges) {
      for (const [b, e] of m) {
        if (a > b) continue;
        const reason = e.kind === 'review' ? e.reason : e.blocked;
        if (reason === undefined) continue;
        const pa = this.recordPerson.get(a);
        const pb = this.recordPerson.get(b);
        if (pa === undefined || pb === undefined || pa === pb) continue;
        if (this.personsSeparated(pa, pb)) continue;
        const pairKey = pa < pb ? `${pa}\t${pb}` : `${pb}\t${pa}`;
        const current = best.get(pairKey);
        if (!current || e.score > current.edge.score || (e.score === current.edge.score && cmp(e.a + e.b, current.edge.a + current.edge.b) < 0)) {
          best.set(pairKey, { edge: e, reason });
        }
      }
    }
    return [...best.entries()]
      .sort((x, y) => cmp(x[0], y[0]))
      .map(([, { edge, reason }]) => ({
        personIds: [this.recordPerson.get(edge.a) ?? '', this.recordPerson.get(edge.b) ?? ''],
        records: [ref(edge.a), ref(edge.b)],
        score: round(edge.score),
        reason,
        evidence: this.scorer.evidence(edge.vector),
      }));
  }

  /**
   * A reviewer's answer for a pair of source records: `same` links their persons (how: manual),
   * `different` keeps the two persons apart from now on.
   */
  resolveReview(a: SourceRecordRef, b: SourceRecordRef, outcome: 'same' | 'different'): MergeResult {
    const ka = sourceRecordKey(a.feedId, a.localId);
    const kb = sourceRecordKey(b.feedId, b.localId);
    const pa = this.recordPerson.get(ka);
    const pb = this.recordPerson.get(kb);
    if (pa === undefined || pb === undefined) return { ok: false, code: 'unknown-source-record', message: 'The review names a source record the index does not hold.' };
    if (outcome === 'same') {
      if (pa === pb) return { ok: true, relinked: [] };
      this.addMustLink({ a: ka < kb ? ka : kb, b: ka < kb ? kb : ka, how: 'manual' });
      this.removeSeparationsBetween(this.persons.get(pa) ?? new Set(), this.persons.get(pb) ?? new Set());
      return { ok: true, relinked: this.recluster(new Set([ka, kb]), [{ personId: pa, keys: [...(this.persons.get(pa) ?? [])] }]) };
    }
    if (pa === pb) return { ok: false, code: 'same-person', message: 'The two source records belong to one person; use unmerge or a split to separate them.' };
    this.addSeparation(new Set(this.persons.get(pa)), new Set(this.persons.get(pb)));
    return { ok: true, relinked: [] };
  }

  /** Merge the retired person into the survivor (ADT A40 or an operator's decision). */
  merge(survivorPersonId: string, retiredPersonId: string, options: { allowNhsNumberConflict?: boolean } = {}): MergeResult {
    const survivor = this.persons.get(survivorPersonId);
    const retired = this.persons.get(retiredPersonId);
    if (!survivor || !retired) return { ok: false, code: 'unknown-person', message: 'Merge names a person the index does not hold (or one already retired).' };
    if (survivorPersonId === retiredPersonId) return { ok: false, code: 'same-person', message: 'A person cannot be merged into itself.' };
    const nhsS = this.verifiedNumbers(survivor);
    const nhsR = this.verifiedNumbers(retired);
    const conflict = [...nhsS].some((n) => nhsR.size > 0 && !nhsR.has(n));
    if (conflict && options.allowNhsNumberConflict !== true) {
      return { ok: false, code: 'nhs-number-conflict', message: 'The two persons hold different verified NHS numbers; confirm the merge explicitly.' };
    }
    const survivorKeys = [...survivor].sort(cmp);
    const retiredKeys = [...retired].sort(cmp);
    const link: MustLink = { a: survivorKeys[0] ?? '', b: retiredKeys[0] ?? '', how: 'merge' };
    this.addMustLink(link);
    this.removeSeparationsBetween(survivor, retired);
    this.merges.push({ survivor: survivorPersonId, retired: retiredPersonId, survivorKeys, retiredKeys, link });
    const relinked = this.recluster(new Set([link.a, link.b]), [{ personId: survivorPersonId, keys: [...survivorKeys, ...retiredKeys] }]);
    this.retiredPersons.set(retiredPersonId, survivorPersonId);
    return { ok: true, relinked };
  }

  /** Undo a merge: the retired person comes back with the records it had, and the two are kept apart. */
  unmerge(survivorPersonId: string, retiredPersonId: string): MergeResult {
    let index = -1;
    for (let i = this.merges.length - 1; i >= 0; i--) {
      const m = this.merges[i];
      if (m && m.survivor === survivorPersonId && m.retired === retiredPersonId) {
        index = i;
        break;
      }
    }
    const event = this.merges[index];
    if (!event) return { ok: false, code: 'no-such-merge', message: 'No merge of these two persons is recorded.' };
    this.merges.splice(index, 1);
    this.removeMustLink(event.link);
    const survivorKeys = event.survivorKeys.filter((k) => this.records.has(k));
    const retiredKeys = event.retiredKeys.filter((k) => this.records.has(k));
    this.addSeparation(new Set(survivorKeys), new Set(retiredKeys));
    this.retiredPersons.delete(retiredPersonId);
    const relinked = this.recluster(new Set([...survivorKeys, ...retiredKeys]), [
      { personId: survivorPersonId, keys: survivorKeys },
      { personId: retiredPersonId, keys: retiredKeys },
    ]);
    return { ok: true, relinked };
  }

  /** A person's records and demographics derived from them, each value saying where it came from. */
  person(personId: string): PersonView | undefined {
    const id = this.currentPersonId(personId);
    const keys = id === undefined ? undefined : this.persons.get(id);
    if (id === undefined || !keys) return undefined;
    const sorted = [...keys].sort(cmp);
    return {
      personId: id,
      records: sorted.map((k) => ({ ...ref(k), how: this.decisionFor(k).how })),
      demographics: this.derive(sorted),
    };
  }

  /**
   * Recompute every pair and the whole clustering from scratch (optionally with new parameters
   * or policy). Returns the records whose person changed; with unchanged parameters, none.
   */
  resolve(options: { parameters?: MatchParameters; policy?: Partial<MatchPolicy> } = {}): Relink[] {
    if (options.parameters) this.scorer = new Scorer(options.parameters);
    if (options.policy) this.policy = { ...this.policy, ...options.policy };
    const inputs = [...this.records.values()].map((r) => r.input);
    this.records.clear();
    this.blocks.clear();
    this.edges.clear();
    inputs.sort((x, y) => cmp(sourceRecordKey(x.feedId, x.localId), sourceRecordKey(y.feedId, y.localId)));
    for (const input of inputs) this.attach(input);
    return this.recluster(new Set(this.records.keys()), []);
  }

  snapshot(): PersonIndexSnapshot {
    const keys = [...this.records.keys()].sort(cmp);
    const must: PersonIndexSnapshot['mustLinks'] = [];
    for (const [a, list] of [...this.mustLinks.entries()].sort((x, y) => cmp(x[0], y[0]))) {
      for (const l of list) if (l.a === a) must.push({ a: ref(l.a), b: ref(l.b), how: l.how });
    }
    return {
      records: keys.map((k) => structuredClone(this.records.get(k)!.input)),
      links: keys.map((k) => ({ ...ref(k), personId: this.recordPerson.get(k) ?? '' })),
      mustLinks: must,
      separations: this.separations.map((s) => ({ a: [...s.a].sort(cmp).map(ref), b: [...s.b].sort(cmp).map(ref) })),
      merges: this.merges.map((m) => ({
        survivor: m.survivor,
        retired: m.retired,
        survivorRecords: m.survivorKeys.map(ref),
        retiredRecords: m.retiredKeys.map(ref),
        link: { a: ref(m.link.a), b: ref(m.link.b) },
      })),
      retiredPersons: [...this.retiredPersons.entries()].sort((x, y) => cmp(x[0], y[0])).map(([personId, survivorPersonId]) => ({ personId, survivorPersonId })),
    };
  }

  /** Rebuild an index from a snapshot; person ids are kept wherever the clustering is unchanged. */
  static restore(snapshot: PersonIndexSnapshot, options: PersonIndexOptions): PersonIndex {
    const index = new PersonIndex(options);
    const k = (r: SourceRecordRef): string => sourceRecordKey(r.feedId, r.localId);
    snapshot.records.forEach((input, i) => index.attach(input, snapshot.prepared?.[i]));
    for (const l of snapshot.mustLinks) index.addMustLink({ a: k(l.a), b: k(l.b), how: l.how });
    for (const s of snapshot.separations) index.addSeparation(new Set(s.a.map(k)), new Set(s.b.map(k)));
    for (const m of snapshot.merges) {
      const a = k(m.link.a);
      const b = k(m.link.b);
      const link = index.mustLinks.get(a)?.find((x) => x.b === b || x.a === b) ?? { a, b, how: 'merge' as const };
      index.merges.push({ survivor: m.survivor, retired: m.retired, survivorKeys: m.survivorRecords.map(k), retiredKeys: m.retiredRecords.map(k), link });
    }
    for (const r of snapshot.retiredPersons) index.retiredPersons.set(r.personId, r.survivorPersonId);
    const byPerson = new Map<string, string[]>();
    for (const l of snapshot.links) {
      const list = byPerson.get(l.personId);
      if (list) list.push(k(l));
      else byPerson.set(l.personId, [k(l)]);
    }
    // The person holding most records keeps its id (fewest records and resources move), then id order.
    const preferred = (id: string): number => {
      const i = options.keepPersonIds?.indexOf(id) ?? -1;
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    const claims = [...byPerson.entries()]
      .sort((x, y) => preferred(x[0]) - preferred(y[0]) || y[1].length - x[1].length || cmp(x[0], y[0]))
      .map(([personId, keys]) => ({ personId, keys }));
    index.recluster(new Set(index.records.keys()), claims);
    return index;
  }

  // ---- internals -------------------------------------------------------------------------

  private attach(input: SourceRecordInput, prepared: PreparedRecord = prepareRecord(input)): void {
    const key = prepared.key;
    const blocks = [...new Set(blockingKeys(prepared))];
    // Each candidate with the blocks it shares with this record: compared only if worth it.
    const candidates = new Map<string, string[]>();
    for (const b of blocks) {
      const list = this.blocks.get(b);
      if (!list || list.length >= this.policy.maxBlockSize) continue;
      for (const other of list) {
        if (other === key) continue;
        const shared = candidates.get(other);
        if (shared) shared.push(b);
        else candidates.set(other, [b]);
      }
    }
    for (const [other, shared] of candidates) {
      if (!worthComparing(shared)) continue;
      const o = this.records.get(other);
      if (!o) continue;
      const d = decidePair(prepared, o.prepared, this.scorer, this.policy);
      if (d.kind === 'none') continue;
      const [a, b] = key < other ? [key, other] : [other, key];
      const edge: ScoredEdge = { a, b, kind: d.kind, score: d.score, vector: d.vector };
      if (d.kind === 'review') edge.reason = d.reason;
      this.edgeMap(a).set(b, edge);
      this.edgeMap(b).set(a, edge);
    }
    for (const b of blocks) {
      const list = this.blocks.get(b);
      if (list) list.push(key);
      else this.blocks.set(b, [key]);
    }
    this.records.set(key, { input: structuredClone(input), prepared, blocks });
  }

  /** Remove a record's pairs and block entries; returns its former neighbours. */
  private detach(key: string): string[] {
    const stored = this.records.get(key);
    if (!stored) return [];
    for (const b of stored.blocks) {
      const list = this.blocks.get(b);
      if (!list) continue;
      const i = list.indexOf(key);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.blocks.delete(b);
    }
    const neighbours = [...(this.edges.get(key)?.keys() ?? [])];
    for (const n of neighbours) this.edges.get(n)?.delete(key);
    this.edges.delete(key);
    for (const l of this.mustLinks.get(key) ?? []) neighbours.push(l.a === key ? l.b : l.a);
    const person = this.recordPerson.get(key);
    if (person !== undefined) for (const k of this.persons.get(person) ?? []) neighbours.push(k);
    this.records.delete(key);
    return neighbours;
  }

  private edgeMap(key: string): Map<string, ScoredEdge> {
    let m = this.edges.get(key);
    if (!m) {
      m = new Map();
      this.edges.set(key, m);
    }
    return m;
  }

  private addMustLink(link: MustLink): void {
    for (const k of [link.a, link.b]) {
      const list = this.mustLinks.get(k);
      if (list) list.push(link);
      else this.mustLinks.set(k, [link]);
    }
  }

  private removeMustLink(link: MustLink): void {
    for (const k of [link.a, link.b]) {
      const list = this.mustLinks.get(k);
      if (!list) continue;
      const i = list.findIndex((l) => l.a === link.a && l.b === link.b && l.how === link.how);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.mustLinks.delete(k);
    }
  }

  private addSeparation(a: Set<string>, b: Set<string>): void {
    const s: Separation = { a, b };
    this.separations.push(s);
    for (const k of [...a, ...b]) {
      const list = this.separationsByKey.get(k);
      if (list) list.push(s);
      else this.separationsByKey.set(k, [s]);
    }
  }

  private removeSeparationsBetween(x: Set<string>, y: Set<string>): void {
    const crosses = (s: Separation): boolean =>
      ([...s.a].some((k) => x.has(k)) && [...s.b].some((k) => y.has(k))) || ([...s.a].some((k) => y.has(k)) && [...s.b].some((k) => x.has(k)));
    for (let i = this.separations.length - 1; i >= 0; i--) {
      const s = this.separations[i];
      if (!s || !crosses(s)) continue;
      this.separations.splice(i, 1);
      for (const k of [...s.a, ...s.b]) {
        const list = this.separationsByKey.get(k);
        if (!list) continue;
        const j = list.indexOf(s);
        if (j >= 0) list.splice(j, 1);
        if (list.length === 0) this.separationsByKey.delete(k);
      }
    }
  }

  private separated(xs: readonly string[], ys: ReadonlySet<string> | readonly string[]): boolean {
    const ySet = ys instanceof Set ? ys : new Set(ys);
    for (const x of xs) {
      for (const s of this.separationsByKey.get(x) ?? []) {
        const other = s.a.has(x) ? s.b : s.a;
        for (const y of other) if (ySet.has(y)) return true;
      }
    }
    return false;
  }

  private personsSeparated(p: string, q: string): boolean {
    const xs = this.persons.get(p);
    const ys = this.persons.get(q);
    if (!xs || !ys || this.separationsByKey.size === 0) return false;
    return this.separated([...xs], ys);
  }

  private verifiedNumbers(keys: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const k of keys) {
      const p = this.records.get(k)?.prepared;
      if (p?.nhsNumberVerified && p.nhsNumber !== null) out.add(p.nhsNumber);
    }
    return out;
  }

  /**
   * Canonical clustering of the components holding the seeds. `claims` say which person id
   * should go to the cluster holding most of the listed records (merge and unmerge keep ids).
   */
  private recluster(seeds: Set<string>, claims: { personId: string; keys: string[] }[]): Relink[] {
    const component = new Set<string>();
    const stack = [...seeds].filter((k) => this.records.has(k));
    for (const k of stack) component.add(k);
    while (stack.length > 0) {
      const k = stack.pop()!;
      const next: string[] = [];
      for (const [o, e] of this.edges.get(k) ?? []) if (e.kind !== 'review') next.push(o);
      for (const l of this.mustLinks.get(k) ?? []) next.push(l.a === k ? l.b : l.a);
      for (const o of next) {
        if (!component.has(o) && this.records.has(o)) {
          component.add(o);
          stack.push(o);
        }
      }
    }
    // Records that left the index (replaced) drop out of their former persons.
    for (const s of seeds) {
      if (this.records.has(s)) continue;
      const p = this.recordPerson.get(s);
      if (p !== undefined) {
        this.persons.get(p)?.delete(s);
        if (this.persons.get(p)?.size === 0) this.persons.delete(p);
      }
      this.recordPerson.delete(s);
    }

    const keys = [...component].sort(cmp);
    const parent = new Map<string, string>();
    const clusters = new Map<string, Cluster>();
    for (const k of keys) {
      parent.set(k, k);
      const p = this.records.get(k)!.prepared;
      clusters.set(k, { members: [k], nhs: new Set(p.nhsNumber === null ? [] : [p.nhsNumber]), feeds: new Set([p.feedId]) });
    }
    const find = (k: string): string => {
      let r = k;
      while (parent.get(r) !== r) r = parent.get(r)!;
      let c = k;
      while (c !== r) {
        const n = parent.get(c)!;
        parent.set(c, r);
        c = n;
      }
      return r;
    };
    const union = (x: string, y: string): void => {
      const cx = clusters.get(x)!;
      const cy = clusters.get(y)!;
      // The root is the smaller key, so the structure never depends on the order of unions.
      const [root, child] = x < y ? [x, y] : [y, x];
      const [cr, cc] = x < y ? [cx, cy] : [cy, cx];
      parent.set(child, root);
      for (const m of cc.members) cr.members.push(m);
      for (const n of cc.nhs) cr.nhs.add(n);
      for (const f of cc.feeds) cr.feeds.add(f);
      clusters.delete(child);
    };

    const must: MustLink[] = [];
    const nhsEdges: ScoredEdge[] = [];
    const linkEdges: ScoredEdge[] = [];
    for (const k of keys) {
      for (const l of this.mustLinks.get(k) ?? []) if (l.a === k && component.has(l.b)) must.push(l);
      for (const [o, e] of this.edges.get(k) ?? []) {
        if (e.a !== k || !component.has(o)) continue;
        delete e.blocked;
        if (e.kind === 'nhs-number') nhsEdges.push(e);
        else if (e.kind === 'link') linkEdges.push(e);
      }
    }
    must.sort((x, y) => cmp(x.a, y.a) || cmp(x.b, y.b));
    nhsEdges.sort((x, y) => cmp(x.a, y.a) || cmp(x.b, y.b));
    linkEdges.sort((x, y) => y.score - x.score || cmp(x.a, y.a) || cmp(x.b, y.b));

    for (const l of must) {
      const x = find(l.a);
      const y = find(l.b);
      if (x !== y) union(x, y);
    }
    const tryUnion = (e: ScoredEdge, probabilistic: boolean): void => {
      const x = find(e.a);
      const y = find(e.b);
      if (x === y) return;
      const cx = clusters.get(x)!;
      const cy = clusters.get(y)!;
      if (this.separationsByKey.size > 0 && this.separated(cx.members, cy.members)) return;
      const numbers = new Set([...cx.nhs, ...cy.nhs]);
      if (numbers.size > 1) {
        e.blocked = 'nhs-number-conflict';
        return;
      }
      if (probabilistic && e.score < this.policy.linkThreshold + this.policy.sameFeedMargin) {
        for (const f of cx.feeds) {
          if (cy.feeds.has(f)) {
            e.blocked = 'same-feed-duplicate';
            return;
          }
        }
      }
      union(x, y);
    };
    for (const e of nhsEdges) tryUnion(e, false);
    for (const e of linkEdges) tryUnion(e, true);

    const result = [...clusters.values()].map((c) => c.members.sort(cmp));
    result.sort((x, y) => cmp(x[0] ?? '', y[0] ?? ''));

    // Person ids: explicit claims first, then existing persons, largest first.
    const oldPersons = new Map<string, string[]>();
    for (const k of keys) {
      const p = this.recordPerson.get(k);
      if (p === undefined) continue;
      const list = oldPersons.get(p);
      if (list) list.push(k);
      else oldPersons.set(p, [k]);
    }
    const allClaims = [
      ...claims,
      ...[...oldPersons.entries()].sort((x, y) => y[1].length - x[1].length || cmp(x[0], y[0])).map(([personId, ks]) => ({ personId, keys: ks })),
    ];
    const assigned = new Array<string | undefined>(result.length);
    const clusterOf = new Map<string, number>();
    result.forEach((members, i) => members.forEach((m) => clusterOf.set(m, i)));
    const usedIds = new Set<string>();
    for (const claim of allClaims) {
      if (usedIds.has(claim.personId)) continue;
      const overlap = new Map<number, number>();
      for (const k of claim.keys) {
        const c = clusterOf.get(k);
        if (c !== undefined && assigned[c] === undefined) overlap.set(c, (overlap.get(c) ?? 0) + 1);
      }
      let bestCluster = -1;
      let bestCount = 0;
      for (const [c, n] of overlap) {
        if (n > bestCount || (n === bestCount && c < bestCluster)) {
          bestCluster = c;
          bestCount = n;
        }
      }
      if (bestCluster >= 0) {
        assigned[bestCluster] = claim.personId;
        usedIds.add(claim.personId);
      }
    }
    for (let i = 0; i < result.length; i++) {
      if (assigned[i] !== undefined) continue;
      let id = this.newPersonId();
      while (this.persons.has(id) && !oldPersons.has(id)) id = this.newPersonId();
      assigned[i] = id;
    }

    const relinked: Relink[] = [];
    for (const [p, ks] of oldPersons) {
      const set = this.persons.get(p);
      if (!set) continue;
      for (const k of ks) set.delete(k);
      if (set.size === 0) this.persons.delete(p);
    }
    result.forEach((members, i) => {
      const id = assigned[i]!;
      let set = this.persons.get(id);
      if (!set) {
        set = new Set();
        this.persons.set(id, set);
      }
      for (const m of members) {
        const before = this.recordPerson.get(m);
        if (before !== undefined && before !== id) relinked.push({ ...ref(m), fromPersonId: before, toPersonId: id });
        set.add(m);
        this.recordPerson.set(m, id);
      }
    });
    // A person whose records all went to another is retired into the one that took most of them.
    for (const [p, ks] of oldPersons) {
      if (this.persons.has(p)) continue;
      const counts = new Map<string, number>();
      for (const k of ks) {
        const to = this.recordPerson.get(k);
        if (to !== undefined) counts.set(to, (counts.get(to) ?? 0) + 1);
      }
      const target = [...counts.entries()].sort((x, y) => y[1] - x[1] || cmp(x[0], y[0]))[0];
      if (target) this.retiredPersons.set(p, target[0]);
    }
    return relinked.sort((x, y) => cmp(x.feedId, y.feedId) || cmp(x.localId, y.localId));
  }

  private decisionFor(key: string): LinkDecision {
    const personId = this.recordPerson.get(key) ?? '';
    const { feedId, localId } = ref(key);
    const sameFeed = [...(this.persons.get(personId) ?? [])].some((k) => k !== key && ref(k).feedId === feedId);

    let attach: { how: LinkHow; edge?: ScoredEdge; through: string } | undefined;
    for (const l of this.mustLinks.get(key) ?? []) {
      const other = l.a === key ? l.b : l.a;
      if (this.recordPerson.get(other) === personId && (!attach || cmp(other, attach.through) < 0)) attach = { how: l.how, through: other };
    }
    const reviewByPerson = new Map<string, ReviewCandidate>();
    if (!attach) {
      let best: ScoredEdge | undefined;
      for (const [other, e] of this.edges.get(key) ?? []) {
        if (this.recordPerson.get(other) !== personId || e.kind === 'review') continue;
        if (!best || rank(e) > rank(best) || (rank(e) === rank(best) && cmp(other, best.a === key ? best.b : best.a) < 0)) best = e;
      }
      if (best) attach = { how: best.kind === 'nhs-number' ? 'nhs-number' : 'probabilistic', edge: best, through: best.a === key ? best.b : best.a };
    }
    for (const [other, e] of this.edges.get(key) ?? []) {
      const reason = e.kind === 'review' ? e.reason : e.blocked;
      if (reason === undefined) continue;
      const otherPerson = this.recordPerson.get(other);
      if (otherPerson === undefined || otherPerson === personId) continue;
      if (this.separationsByKey.size > 0 && this.personsSeparated(personId, otherPerson)) continue;
      const current = reviewByPerson.get(otherPerson);
      if (current && (current.score > e.score || (current.score === e.score && cmp(sourceRecordKey(current.feedId, current.localId), other) < 0))) continue;
      reviewByPerson.set(otherPerson, { ...ref(other), personId: otherPerson, score: round(e.score), reason, evidence: this.scorer.evidence(e.vector) });
    }
    const reviewCandidates = [...reviewByPerson.values()].sort((x, y) => y.score - x.score || cmp(x.personId, y.personId));

    const decision: LinkDecision = attach
      ? {
          feedId,
          localId,
          personId,
          how: attach.how,
          score: attach.edge ? round(attach.edge.score) : null,
          evidence: attach.edge ? this.scorer.evidence(attach.edge.vector) : [],
          linkedThrough: ref(attach.through),
        }
      : {
          feedId,
          localId,
          personId,
          how: reviewCandidates.length > 0 ? 'review' : 'new-person',
          score: reviewCandidates[0]?.score ?? null,
          evidence: reviewCandidates[0]?.evidence ?? [],
        };
    if (reviewCandidates.length > 0) decision.reviewCandidates = reviewCandidates;
    if (sameFeed) decision.possibleDuplicateRegistration = true;
    return decision;
  }

  private derive(keys: string[]): DerivedDemographics {
    return deriveFrom(keys.map((k) => this.records.get(k)!));
  }
}

/** A person's demographics derived from its source records (see PersonIndex.person). */
export function deriveDemographics(inputs: readonly SourceRecordInput[]): DerivedDemographics {
  return deriveFrom(inputs.map((input) => ({ input, prepared: prepareRecord(input), blocks: [] })));
}

function deriveFrom(stored: StoredRecord[]): DerivedDemographics {
  const recency = (x: StoredRecord, y: StoredRecord): number =>
    cmp(y.input.recordedAt ?? '', x.input.recordedAt ?? '') || cmp(x.prepared.key, y.prepared.key);
  const gp = stored.filter((s) => s.input.gpRegistration === true).sort(recency);
  const verified = stored.filter((s) => s.input.gpRegistration !== true && s.prepared.nhsNumberVerified).sort(recency);
  const rest = stored.filter((s) => s.input.gpRegistration !== true && !s.prepared.nhsNumberVerified).sort(recency);
  const ordered: [StoredRecord, DerivedValue<unknown>['basis']][] = [
    ...gp.map((s) => [s, 'gp-registration'] as [StoredRecord, DerivedValue<unknown>['basis']]),
    ...verified.map((s) => [s, 'verified-nhs-number'] as [StoredRecord, DerivedValue<unknown>['basis']]),
    ...rest.map((s) => [s, 'most-recent'] as [StoredRecord, DerivedValue<unknown>['basis']]),
  ];
  const pick = <T>(get: (s: StoredRecord) => T | undefined, order = ordered): DerivedValue<T> | undefined => {
    for (const [s, basis] of order) {
      const v = get(s);
      if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) return { value: v, basis, feedId: s.input.feedId, localId: s.input.localId };
    }
    return undefined;
  };
  // The NHS number: a verified one first (from the GP registration if it has one), then any valid one.
  const nhsOrder: [StoredRecord, DerivedValue<unknown>['basis']][] = [
    ...ordered.filter(([s]) => s.prepared.nhsNumberVerified).map(([s, b]) => [s, b === 'most-recent' ? 'verified-nhs-number' : b] as [StoredRecord, DerivedValue<unknown>['basis']]),
    ...ordered.filter(([s]) => !s.prepared.nhsNumberVerified),
  ];
  const out: DerivedDemographics = {};
  const d = (s: StoredRecord) => s.input.demographics;
  const set = <K extends keyof DerivedDemographics>(k: K, v: DerivedDemographics[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('nhsNumber', pick((s) => s.prepared.nhsNumber ?? undefined, nhsOrder));
  set('family', pick((s) => d(s).family?.trim()));
  set('given', pick((s) => d(s).given));
  set('birthDate', pick((s) => (s.prepared.birthDate ? d(s).birthDate : undefined)));
  set('sex', pick((s) => d(s).sex));
  set('postcode', pick((s) => s.prepared.postcode?.unit));
  set('addressLines', pick((s) => d(s).addressLines));
  set('phone', pick((s) => s.prepared.phone ?? undefined));
  set('deceasedDate', pick((s) => d(s).deceasedDate));
  set('gpPracticeOds', pick((s) => d(s).gpPracticeOds));
  return out;
}

function rank(e: ScoredEdge): number {
  return e.kind === 'nhs-number' ? 1e9 + e.score : e.score;
}

