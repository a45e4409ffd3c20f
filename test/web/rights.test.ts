/**
 * Browser journeys for rights requests and statistics, in Debian's Chromium with JavaScript on and
 * off: PALS logs an access request (errors, check, receipt); the acute trust's access-to-records
 * officer finds it among the cases routed to them, sees the scope, downloads the access export,
 * extends the time limit and marks their part done; for a rectification request the officer
 * restricts a contested entry and lifts the restriction; the analyst reads the anonymised statistics.
 * axe-core checks each page for serious or critical problems; screenshots go to docs/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../src/store/testing.ts';
import { formatNhsNumber } from '../../src/nhs/nhsNumber.ts';
import { logRightsRequest, rightsActor } from '../../src/rights/index.ts';
import { appendAudit } from '../../src/audit/index.ts';
import { seedCounty, seedRights, type Seeded, type SeededRights } from './seed.ts';
import { WebJourneys } from './browser.ts';

let t: TestDatabase;
const web = new WebJourneys();
let base: string;
let seeded: Seeded;
let rights: SeededRights;

beforeAll(async () => {
  t = await createTestDatabase('pglite');
  const now = () => new Date();
  seeded = await seedCounty(t.db, { persons: 40, seed: 'web-rights', asOf: new Date().toISOString().slice(0, 10), now });
  rights = await seedRights(t.db, seeded, now());
  await web.start(t, now);
  base = web.base;
}, 120_000);

afterAll(async () => {
  await web.stop();
  await t?.dispose();
});

const { checkPage, signIn, signOut, mainText } = web;

describe.each([
  { js: true, label: 'with JavaScript' },
  { js: false, label: 'without JavaScript' },
])('rights and statistics journeys $label', ({ js }) => {
  let context: BrowserContext;
  let page: Page;
  let receipt = '';
  let casePath = '';
  const shot = (name: string) => (js ? name : undefined);

  beforeAll(async () => {
    context = await web.browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    if (!js) web.noScript.add(page);
  });
  afterAll(async () => {
    await context.close();
  });

  it('PALS officer: log an access request, check it, and give the person the receipt', async () => {
    await signIn(page, seeded.users.pals.username);
    await page.getByRole('link', { name: 'Rights requests' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/rights');
    await checkPage(page, shot('19-rights-log'));

    // Nothing chosen: each problem is named.
    await page.getByRole('button', { name: 'Continue' }).click();
    const summary = await page.locator('.nhsuk-error-summary').innerText();
    expect(summary).toContain('Enter an NHS number');
    expect(summary).toContain('Select the kind of request');
    await checkPage(page);

    const nhs = rights.person.nhsNumber;
    await page.getByLabel('NHS number').fill(formatNhsNumber(nhs));
    await page.getByLabel('Access', { exact: true }).check();
    await page.getByLabel('What the request is about (optional)').fill('A copy of everything the hospital holds');
    await page.getByRole('button', { name: 'Continue' }).click();
    const check = await mainText(page);
    expect(check).toContain('Check the request');
    expect(check).toContain(formatNhsNumber(nhs));
    await checkPage(page, shot('20-rights-check'));
    await page.getByRole('button', { name: 'Confirm and log the request' }).click();

    const text = await mainText(page);
    expect(text).toContain('Rights request logged');
    receipt = /RR-\d{6}/.exec(text)?.[0] ?? '';
    expect(receipt).not.toBe('');
    expect(text).toContain('To be answered by');
    expect(text).toMatch(/access-to-records teams? of the/);
    expect(page.url()).not.toContain(nhs);
    await checkPage(page, shot('21-rights-receipt'));
    await signOut(page);
  });

  it('access-to-records officer: the case with its deadline and scope, the export, an extension, then done', async () => {
    await signIn(page, rights.users.atr.username, { totpUri: rights.users.atr.totpUri });
    await expect.poll(() => new URL(page.url()).pathname).toBe('/rights/cases');
    const list = await mainText(page);
    expect(list).toContain(receipt);
    expect(list).toContain('days left');
    // The list names no one.
    expect(list).not.toContain(rights.person.nhsNumber);
    expect(list).not.toContain(formatNhsNumber(rights.person.nhsNumber));
    await checkPage(page, shot('22-rights-cases'));

    await page.getByRole('link', { name: receipt }).click();
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/rights\/cases\/[0-9a-f-]{36}$/);
    casePath = new URL(page.url()).pathname;
    const casePage = await mainText(page);
    expect(casePage).toContain(`Access request ${receipt}`);
    expect(casePage).toContain('Information your organisation holds');
    expect(casePage).toContain(formatNhsNumber(rights.person.nhsNumber));
    expect(page.url()).not.toContain(rights.person.nhsNumber);
    await checkPage(page, shot('23-rights-case'));

    const before = Number((await sql<{ n: number }>`select count(*)::int8 as n from audit_events where action = 'export'`.execute(t.db)).rows[0]!.n);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the access export' }).click()]);
    expect(download.suggestedFilename()).toBe(`subject-access-${receipt}.json`);
    const doc = JSON.parse(readFileSync(await download.path(), 'utf8')) as { nhsNumber: string; record: { entry: unknown[] }; accessHistory: unknown[] };
    expect(doc.nhsNumber).toBe(rights.person.nhsNumber);
    expect(doc.record.entry.length).toBeGreaterThan(0);
    const after = Number((await sql<{ n: number }>`select count(*)::int8 as n from audit_events where action = 'export'`.execute(t.db)).rows[0]!.n);
    expect(after).toBe(before + 1);

    // An extension needs a reason.
    await page.getByLabel('1 further month').check();
    await page.getByRole('button', { name: 'Extend the time limit' }).click();
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Enter why the request needs more time');
    await checkPage(page);
    await page.getByLabel('1 further month').check();
    await page.getByLabel('Why it needs more time').fill('Records from several services to review');
    await page.getByRole('button', { name: 'Extend the time limit' }).click();
    expect(await mainText(page)).toContain('The time limit is extended');

    await page.getByLabel('How was the request answered? (optional)').fill('Export sent by secure email');
    await page.getByRole('button', { name: 'Mark as done' }).click();
    expect(await mainText(page)).toContain('Your part is done');
    await checkPage(page);
    await page.goto(`${base}/rights/cases`);
    expect(await page.locator('table').last().innerText()).toContain(receipt);
    // Still signed in for the next journey: a second sign-in would need the next authenticator code.
  });

  it('access-to-records officer: restricts a contested entry while a rectification request is considered, then lifts it', async () => {
    const now = new Date();
    const logged = await logRightsRequest(t.db, { nhsNumber: rights.person.nhsNumber, kind: 'rectification', receivedOn: now.toISOString().slice(0, 10), description: 'Says a diagnosis is wrong' },
      await rightsActor(t.db, seeded.users.pals.username, now), now, async (trx, d) => void (await appendAudit(trx, d)));
    await page.goto(`${base}/rights/cases/${logged.id}`);
    const text = await mainText(page);
    expect(text).toContain('Restrict information while the request is considered');
    expect(text).toContain('Nothing is restricted for this person.');

    // Nothing chosen: a clear error, nothing restricted.
    await page.getByLabel('What the person contests').fill('The diagnosis is wrong');
    await page.getByRole('button', { name: 'Restrict', exact: true }).click();
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Select what to restrict');
    await checkPage(page);

    // The first of the organisation's own entries (after "The whole shared record").
    await page.locator('input[name="entry"]').nth(1).check();
    await page.getByLabel('What the person contests').fill('The diagnosis is wrong');
    await page.getByRole('button', { name: 'Restrict', exact: true }).click();
    expect(await mainText(page)).toContain("The entry is restricted at the person's request.");
    const inForce = await page.getByRole('table', { name: 'Restrictions in force' }).innerText();
    expect(inForce).toContain('The diagnosis is wrong');
    await checkPage(page, shot('25-rights-restrict'));
    const open = await t.db.selectFrom('restrictions').select(['id', 'scope']).where('person_id', '=', rights.person.personId).where('lifted_at', 'is', null).execute();
    expect(open).toHaveLength(1);
    expect(open[0]!.scope).toBe('entry');

    await page.getByLabel('Why it can be lifted').fill('Diagnosis confirmed by the consultant');
    await page.getByRole('button', { name: 'Lift' }).click();
    expect(await mainText(page)).toContain('The restriction is lifted.');
    const left = await t.db.selectFrom('restrictions').select('id').where('person_id', '=', rights.person.personId).where('lifted_at', 'is', null).execute();
    expect(left).toHaveLength(0);
    await signOut(page);
  });

  it('access-to-records officer of an organisation without a part: refused the case and its export, and the refusals audited', async () => {
    await signIn(page, rights.users.atrElsewhere.username, { totpUri: rights.users.atrElsewhere.totpUri });
    await expect.poll(() => new URL(page.url()).pathname).toBe('/rights/cases');
    expect(await mainText(page)).not.toContain(receipt);
    const denied = async () => Number((await sql<{ n: number }>`select count(*)::int8 as n from audit_events where action = 'access-denied' and details ->> 'rightsCaseId' is not null`.execute(t.db)).rows[0]!.n);
    const before = await denied();
    await page.goto(`${base}${casePath}`);
    const text = await mainText(page);
    expect(text).toContain('You cannot do this');
    expect(text).not.toContain(formatNhsNumber(rights.person.nhsNumber));
    await checkPage(page);
    const r = await page.request.get(`${base}${casePath}/export`);
    expect(r.status()).toBe(403);
    expect(await r.text()).not.toContain(rights.person.nhsNumber);
    expect(await denied()).toBe(before + 2);
    await signOut(page);
  });

  it('analyst: anonymised statistics, suppressed and rounded, naming no one', async () => {
    await signIn(page, rights.users.analyst.username);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/statistics');
    const text = await mainText(page);
    expect(text).toContain('People by age and sex');
    expect(text).toContain('Counts from 1 to 7 are shown as "<8"');
    expect(text).toContain('People by registered GP practice');
    const content = await page.content();
    for (const p of [...Object.values(seeded.people), rights.person]) {
      expect(content).not.toContain(p.family);
      expect(content).not.toContain(p.nhsNumber);
    }
    await checkPage(page, shot('24-statistics'));
    const audited = await sql<{ n: number }>`select count(*)::int8 as n from audit_events where details ->> 'route' = 'statistics'`.execute(t.db);
    expect(Number(audited.rows[0]!.n)).toBeGreaterThan(0);
    await signOut(page);
  });
});
