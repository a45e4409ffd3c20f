/**
 * The information governance lists a page at a time, in Debian's Chromium with JavaScript on and off:
 * a record used more often than one page holds, "who viewed this record" and the audit searches
 * paged with "Show earlier …" (every use listed once, in order), the search never in a URL, and
 * axe-core on the pages.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../../src/store/testing.ts';
import { transaction } from '../../src/store/db.ts';
import { appendAuditMany, type AuditEventDraft } from '../../src/audit/index.ts';
import { listAudit, whoViewedMyRecord } from '../../src/audit/query.ts';
import { PAGE } from '../../src/web/routes/audit.ts';
import { seedCounty, type Seeded } from './seed.ts';
import { WebJourneys } from './browser.ts';

let t: TestDatabase;
const web = new WebJourneys();
let seeded: Seeded;
// More uses than two pages hold, so there is a middle page and a last one.
const USES = 2 * PAGE + 17;

beforeAll(async () => {
  t = await createTestDatabase('pglite');
  const now = () => new Date();
  seeded = await seedCounty(t.db, { persons: 40, seed: 'web-audit-paging', asOf: new Date().toISOString().slice(0, 10), now });
  // Every other use by the clinician, the rest by a clinician of another organisation.
  const users = await Promise.all([seeded.users.clinician, seeded.users.stranger].map((u) =>
    t.db.selectFrom('users').select(['id', 'organisation_ods', 'role']).where('username', '=', u.username).executeTakeFirstOrThrow()));
  const start = Date.now() - USES * 60_000;
  const drafts: AuditEventDraft[] = Array.from({ length: USES }, (_, i) => {
    const u = users[i % users.length]!;
    return {
      time: new Date(start + i * 60_000).toISOString(), actor: { kind: 'user', id: u.id, organisationOds: u.organisation_ods, role: u.role },
      action: 'view', personId: seeded.people.registered.personId, purpose: 'direct-care', outcome: 'success',
      details: { route: 'web/record', resources: Array.from({ length: 40 }, (_, k) => `Observation/obs-${i}-${k}`) },
    };
  });
  await transaction(t.db, (trx) => appendAuditMany(trx, drafts).then(() => undefined));
  await web.start(t, now);
}, 120_000);

afterAll(async () => {
  await web.stop();
  await t?.dispose();
});

const { checkPage, signIn, signOut, mainText } = web;

/** The rows of the page's table, and which paging buttons it offers. */
async function shown(page: Page): Promise<{ rows: string[]; earlier: boolean; newest: boolean }> {
  return {
    rows: await page.locator('main table tbody tr').allInnerTexts(),
    earlier: (await page.getByRole('button', { name: /^Show earlier/ }).count()) > 0,
    newest: (await page.getByRole('button', { name: /^Show the newest/ }).count()) > 0,
  };
}

/** Follows "Show earlier …" to the end: the rows of each page. */
async function allPages(page: Page, path: string): Promise<string[][]> {
  const pages: string[][] = [];
  for (;;) {
    const s = await shown(page);
    pages.push(s.rows);
    expect(new URL(page.url()).pathname).toBe(path);
    expect(new URL(page.url()).search).toBe('');
    expect(s.newest).toBe(pages.length > 1);
    if (!s.earlier) return pages;
    await submit(page, /^Show earlier/, path);
  }
}

/** Presses a form's button and waits for the page it posts to. */
async function submit(page: Page, name: string | RegExp, path: string): Promise<void> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'POST');
  await page.getByRole('button', { name }).click();
  expect((await answered).status()).toBe(200);
  await page.waitForLoadState();
}

describe.each([
  { js: true, label: 'with JavaScript' },
  { js: false, label: 'without JavaScript' },
])('audit lists a page at a time $label', ({ js }) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await web.browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    if (!js) web.noScript.add(page);
  });
  afterAll(async () => {
    await context.close();
  });

  it('IG officer: who viewed a record, every use once, newest first, a page at a time', async () => {
    await signIn(page, seeded.users.ig.username, { totpUri: seeded.users.ig.totpUri });
    const person = seeded.people.registered;
    // What the person's list holds before this search (the search itself is a use, listed after it).
    const expected = await whoViewedMyRecord(t.db, person.personId, { limit: 10_000 });
    expect(expected.length).toBeGreaterThan(2 * PAGE);

    await page.goto(`${web.base}/audit/who-viewed`);
    await page.getByLabel('NHS number').fill(person.nhsNumber);
    await submit(page, 'Show who viewed the record', '/audit/who-viewed');
    expect(await mainText(page)).toContain('The most recent uses of this record');
    await checkPage(page);
    const pages = await allPages(page, '/audit/who-viewed');
    expect(pages.map((p) => p.length)).toEqual([PAGE, PAGE, expected.length - 2 * PAGE]);
    expect(pages.flat()).toHaveLength(expected.length);
    expect(pages.flat().every((r) => r.includes('Viewed the record') || r.includes('Looked at the access history'))).toBe(true);
    await checkPage(page);

    // Back to the newest: the searches just made are the newest uses now.
    await submit(page, 'Show the newest uses', '/audit/who-viewed');
    expect(await mainText(page)).toContain('The most recent uses');
    const newest = await shown(page);
    expect(newest.rows[0]).toContain('Looked at the access history of the record');
    expect(newest).toMatchObject({ earlier: true, newest: false });
    expect(page.url()).not.toContain(person.nhsNumber);
  });

  it('IG officer: audit by person and by user, a page at a time', async () => {
    const person = seeded.people.registered;
    const total = (await listAudit(t.db, { personId: person.personId, limit: 10_000, detailKeys: [] })).entries.length;
    await page.goto(`${web.base}/audit`);
    await page.locator('#nhs-number').fill(person.nhsNumber);
    await submit(page, 'Search by person', '/audit/person');
    const byPerson = await allPages(page, '/audit/person');
    expect(byPerson.flat()).toHaveLength(total);
    expect(byPerson.slice(0, -1).every((p) => p.length === PAGE)).toBe(true);

    const clinician = await t.db.selectFrom('users').select('id').where('username', '=', seeded.users.clinician.username).executeTakeFirstOrThrow();
    const byClinician = (await listAudit(t.db, { actorId: clinician.id, limit: 10_000, detailKeys: [] })).entries.length;
    expect(byClinician).toBeGreaterThan(PAGE);
    await page.goto(`${web.base}/audit`);
    await page.getByLabel('Username').fill(seeded.users.clinician.username);
    await submit(page, 'Search by user', '/audit/user');
    await checkPage(page);
    const byUser = await allPages(page, '/audit/user');
    expect(byUser.flat()).toHaveLength(byClinician);
    expect(byUser.flat().filter((r) => r.includes('web/record'))).toHaveLength(Math.ceil(USES / 2));
    await signOut(page);
  });
});
