import { describe, expect, it } from 'vitest';
import { pagingForm, parseCursor } from './paging.ts';

describe('the cursor of an "earlier" button', () => {
  it.each([
    ['absent (the newest page)', '', undefined],
    ['a seq', '4812', 4812],
    ['the first seq', '1', 1],
    ['the largest safe seq', String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ['zero', '0', undefined],
    ['a leading zero', '012', undefined],
    ['negative', '-5', undefined],
    ['a fraction', '1.5', undefined],
    ['an exponent', '1e5', undefined],
    ['spaces', ' 12', undefined],
    ['beyond a safe integer', '9007199254740993', undefined],
    ['too long', '1'.repeat(17), undefined],
    ['words', 'earlier', undefined],
  ])('%s', (_name, text, cursor) => {
    expect(parseCursor(text)).toBe(cursor);
  });
});

describe('the paging form under a list', () => {
  const base = { action: '/audit/who-viewed', csrf: 'tok', fields: { 'nhs-number': '9990000018' }, noun: 'uses' };
  const buttons = (h: string) => [...h.matchAll(/<button[^>]*name="before" value="([^"]*)">([^<]*)</g)].map((m) => `${m[2]} → ${m[1] || 'newest'}`);

  it.each([
    ['the only page', { next: undefined, earlier: false }, []],
    ['the newest of several', { next: 120, earlier: false }, ['Show earlier uses → 120']],
    ['one in the middle', { next: 70, earlier: true }, ['Show earlier uses → 70', 'Show the newest uses → newest']],
    ['the last', { next: undefined, earlier: true }, ['Show the newest uses → newest']],
  ])('%s', (_name, o, expected) => {
    expect(buttons(pagingForm({ ...base, ...o }).toString())).toEqual(expected);
  });

  it('posts the search back in the body with the CSRF token, escaped, and nothing in the URL', () => {
    const h = pagingForm({ ...base, fields: { username: 'o"brien<x>' }, next: 5, earlier: false }).toString();
    expect(h).toContain('<form action="/audit/who-viewed" method="post"');
    expect(h).toContain('<input type="hidden" name="_csrf" value="tok">');
    expect(h).toContain('<input type="hidden" name="username" value="o&quot;brien&lt;x&gt;">');
    expect(h).not.toContain('?');
  });
});
