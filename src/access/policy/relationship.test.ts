import { describe, expect, it } from 'vitest';
import { checkDeclaration, declarationExpiry, inferRelationship, type RelationshipFacts } from './relationship.ts';

const NOW = new Date('2025-01-15T12:00:00Z');
const user = { id: 'u1', organisation: { ods: 'RJE', kind: 'acute' } };
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

describe('inferRelationship', () => {
  it.each<[string, RelationshipFacts, string | null, number?]>([
    ['nothing known', {}, null],
    ['current GP registration', { gpRegistrations: [{ ods: 'RJE', from: '2001-01-01' }] }, 'gp-registration'],
    ['registration starting next month', { gpRegistrations: [{ ods: 'RJE', from: '2025-02-01' }] }, null],
    ['registration ending today', { gpRegistrations: [{ ods: 'RJE', to: '2025-01-15' }] }, 'gp-registration'],
    ['open admission', { involvements: [{ kind: 'admission', ods: 'RJE', start: '2025-01-10' }] }, 'involvement'],
    ['admission elsewhere', { involvements: [{ kind: 'admission', ods: 'RTG', start: '2025-01-10' }] }, null],
    ['discharge 89 days ago', { involvements: [{ kind: 'admission', ods: 'RJE', start: hoursAgo(100 * 24), end: hoursAgo(89 * 24) }] }, 'involvement'],
    ['discharge 91 days ago', { involvements: [{ kind: 'admission', ods: 'RJE', start: hoursAgo(100 * 24), end: hoursAgo(91 * 24) }] }, null],
    ['discharge 91 days ago, 120-day window', { involvements: [{ kind: 'admission', ods: 'RJE', start: hoursAgo(100 * 24), end: hoursAgo(91 * 24) }] }, 'involvement', 120],
    ['finished appointment without an end, 10 days ago', { involvements: [{ kind: 'appointment', ods: 'RJE', start: hoursAgo(240), status: 'finished' }] }, 'involvement'],
    ['finished appointment without an end, 100 days ago', { involvements: [{ kind: 'appointment', ods: 'RJE', start: hoursAgo(2400), status: 'finished' }] }, null],
    ['entered in error', { involvements: [{ kind: 'episode', ods: 'RJE', start: '2025-01-01', status: 'entered-in-error' }] }, null],
    ['unreadable start date', { involvements: [{ kind: 'episode', ods: 'RJE', start: 'yesterday' }] }, null],
    ['social care allocation', { involvements: [{ kind: 'social-care-involvement', ods: 'RJE', start: '2019-06-01' }] }, 'involvement'],
    ['emergency declaration 1 hour old', { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'emergency', detail: '', declaredAt: hoursAgo(1) }] }, 'declared'],
    ['emergency declaration exactly 24 hours old', { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'emergency', detail: '', declaredAt: hoursAgo(24) }] }, null],
    ['present-and-consenting 20 days old', { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'present-and-consenting', detail: '', declaredAt: hoursAgo(480) }] }, 'declared'],
    ['other 31 days old', { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'other', detail: 'x', declaredAt: hoursAgo(31 * 24) }] }, null],
    ['declaration dated in the future', { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'emergency', detail: '', declaredAt: '2025-01-16T00:00:00Z' }] }, null],
    ['revocation scheduled later does not end it yet', { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'emergency', detail: '', declaredAt: hoursAgo(1), revokedAt: '2025-01-16T00:00:00Z' }] }, 'declared'],
  ])('%s → %s', (_name, facts, basis, windowDays) => {
    expect(inferRelationship(facts, user, NOW, windowDays)?.basis ?? null).toBe(basis);
  });

  it('prefers the declaration lasting longest and reports its expiry', () => {
    const r = inferRelationship({
      declarations: [
        { userId: 'u1', ods: 'RJE', reason: 'emergency', detail: 'a', declaredAt: hoursAgo(1) },
        { userId: 'u1', ods: 'RJE', reason: 'new-referral', detail: 'b', declaredAt: hoursAgo(2) },
      ],
    }, user, NOW);
    expect(r).toEqual({ basis: 'declared', reason: 'new-referral', detail: 'b', declaredAt: hoursAgo(2), expiresAt: new Date(NOW.getTime() + (30 * 24 - 2) * 3_600_000).toISOString() });
  });

  it('uses configured validity', () => {
    expect(declarationExpiry('emergency', '2025-01-01T00:00:00Z', { emergency: 12 })).toBe(Date.parse('2025-01-01T12:00:00Z'));
    expect(declarationExpiry('other', '2025-01-01T00:00:00Z')).toBe(Date.parse('2025-01-31T00:00:00Z'));
  });
});

describe('checkDeclaration', () => {
  it.each([
    [{ reason: 'emergency', detail: '' }, 'ok'],
    [{ reason: ' new-referral ', detail: null }, 'ok'],
    [{ reason: 'present-and-consenting' }, 'ok'],
    [{ reason: 'other', detail: 'asked by the coroner' }, 'ok'],
    [{ reason: 'other', detail: '   ' }, 'detail-required'],
    [{ reason: 'curiosity', detail: 'x' }, 'unknown-reason'],
    [{ reason: 'emergency', detail: 'x'.repeat(501) }, 'detail-too-long'],
  ])('%j → %s', (input, expected) => {
    const r = checkDeclaration(input);
    expect(r.ok ? 'ok' : r.code).toBe(expected);
  });
});
