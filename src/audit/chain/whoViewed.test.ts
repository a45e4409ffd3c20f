import { describe, expect, it } from 'vitest';
import { GENESIS_HEAD, type AuditEventDraft } from './event.ts';
import { chainMany } from './hash.ts';
import { whoViewed, whoViewedEntry } from './whoViewed.ts';

const d = (over: Partial<AuditEventDraft>): AuditEventDraft => ({
  time: '2025-05-01T09:00:00.000Z',
  actor: { kind: 'user', id: 'u-1', organisationOds: 'RX1', role: 'clinician' },
  action: 'view',
  personId: 'p-1',
  purpose: 'direct-care',
  outcome: 'success',
  details: {},
  ...over,
});

const log = chainMany(GENESIS_HEAD, [
  d({}),
  d({ time: '2025-05-02T09:00:00.000Z', action: 'search', actor: { kind: 'user', id: 'u-2', organisationOds: 'A81001', role: 'gp' } }),
  d({ time: '2025-05-03T09:00:00.000Z', action: 'export' }),
  d({ time: '2025-05-03T09:00:00.000Z', action: 'access-override', purpose: 'emergency-care' }),
  d({ action: 'sign-in', personId: undefined }),
  d({ action: 'view', outcome: 'denied' }),
  d({ action: 'view', personId: 'p-2' }),
  d({ action: 'view', actor: { kind: 'feed', id: 'feed-1' } }),
  d({ action: 'view', purpose: 'person-access', actor: { kind: 'user', id: 'p-1-account' } }),
  d({ action: 'objection-recorded' }),
]);

describe('whoViewed', () => {
  it('lists uses of the record, newest first (seq breaks ties)', () => {
    const entries = whoViewed(log, 'p-1');
    expect(entries.map((e) => e.activity)).toEqual(['used emergency access to', 'exported', 'searched for', 'viewed']);
    expect(entries[2]).toEqual({ time: '2025-05-02T09:00:00.000Z', activity: 'searched for', organisation: { odsCode: 'A81001' }, role: 'gp', purpose: 'Your care' });
    expect(entries[0]?.purpose).toBe('Emergency care');
  });

  it('shows no staff names by default, even when names are known', () => {
    const entries = whoViewed(log, 'p-1', { staffName: () => 'Dr Example' });
    expect(entries.every((e) => e.staffName === undefined)).toBe(true);
    expect(JSON.stringify(entries)).not.toContain('u-1');
  });

  it('shows staff names, organisation names and role labels when configured', () => {
    const entries = whoViewed(log, 'p-1', {
      showStaffNames: true,
      staffName: (id) => (id === 'u-1' ? 'Dr Example' : undefined),
      organisationName: (ods) => (ods === 'RX1' ? 'County Hospital' : undefined),
      roleLabel: (r) => r.toUpperCase(),
    });
    expect(entries[3]).toMatchObject({ staffName: 'Dr Example', organisation: { odsCode: 'RX1', name: 'County Hospital' }, role: 'CLINICIAN' });
    expect(entries[2]?.staffName).toBeUndefined();
  });

  it.each([
    ['a sign-in', 4],
    ['a refused attempt', 5],
    ["another person's record", 6],
    ['a feed', 7],
    ["the person's own visit", 8],
    ['an administrative change', 9],
  ])('leaves out %s', (_name, index) => {
    const e = log[index];
    expect(e && whoViewedEntry(e, 'p-1')).toBeUndefined();
  });
});
