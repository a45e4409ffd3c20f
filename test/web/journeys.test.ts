/**
 * End-to-end journeys of the web application in Debian's Chromium, with JavaScript on and off:
 * clinician (sign in with TOTP → search → declare a relationship when needed → record), PALS
 * (record and withdraw an objection), administrator (feeds, dead letters, replay, add a user) and IG
 * officer (audit search, who viewed). axe-core checks every page for serious or critical problems;
 * screenshots of the main pages go to docs/screenshots/.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../../src/store/testing.ts';
import { formatNhsNumber } from '../../src/nhs/nhsNumber.ts';
import { seedCounty, type Seeded } from './seed.ts';
import { WebJourneys } from './browser.ts';

let t: TestDatabase;
const web = new WebJourneys();
let base: string;
let seeded: Seeded;

beforeAll(async () => {
  t = await createTestDatabase('pglite');
  const now = () => new Date();
  seeded = await seedCounty(t.db, { persons: 40, seed: 'web-journeys', asOf: new Date().toISOString().slice(0, 10), now });
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
])('web journeys $label', ({ js }) => {
  let context: BrowserContext;
  let page: Page;
  const shot = (name: string) => (js ? name : undefined);

  beforeAll(async () => {
    context = await web.browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    if (!js) web.noScript.add(page);
  });
  afterAll(async () => {
    await context.close();
  });

  it('clinician: sign in, find by NHS number, read the record', async () => {
    await signIn(page, seeded.users.clinician.username, { totpUri: seeded.users.clinician.totpUri });
    await expect.poll(() => new URL(page.url()).pathname).toBe('/search');
    await checkPage(page, shot('01-search'));

    // A mistyped NHS number is caught by its check digit before any search.
    const good = seeded.people.registered.nhsNumber;
    const bad = `${good.slice(0, 9)}${(Number(good[9]) + 1) % 10}`;
    await page.getByLabel('NHS number').fill(bad);
    await page.getByRole('button', { name: 'Search by NHS number' }).click();
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Enter a valid NHS number');
    await checkPage(page, shot('02-search-error'));

    await page.getByLabel('NHS number').fill(formatNhsNumber(good));
    await page.getByRole('button', { name: 'Search by NHS number' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/record/${seeded.people.registered.personId}`);
    const text = await mainText(page);
    expect(text).toContain(formatNhsNumber(good));
    expect(text).toContain('Alerts, flags and allergies');
    expect(text).toContain('What matters now');
    expect(text).toContain('How up to date this record is');
    expect(page.url()).not.toContain(good);
    await checkPage(page, shot('03-record'));
  });

  it('clinician: find by name and date of birth, declare a relationship, then read', async () => {
    const p = seeded.people.unrelated;
    await page.goto(`${base}/search`);
    const [y, m, d] = p.birthDate.split('-');
    await page.getByLabel('Last name').fill(p.family);
    await page.getByLabel('First name (optional)').fill(p.given);
    await page.getByLabel('Day').fill(String(Number(d)));
    await page.getByLabel('Month').fill(String(Number(m)));
    await page.getByLabel('Year').fill(y ?? '');
    await page.getByRole('button', { name: 'Search by name and date of birth' }).click();
    expect(await mainText(page)).toMatch(/found/);
    expect(page.url()).toBe(`${base}/search`);
    await checkPage(page, shot('04-results'));
    await page.locator(`a[href="/record/${p.personId}"]`).click();

    if (js) {
      // First visit: no relationship can be inferred, so the question is asked.
      expect(await mainText(page)).toContain('What is your relationship with this person?');
      await page.getByRole('button', { name: 'Continue to the record' }).click();
      expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Select your relationship');
      await checkPage(page, shot('05-relationship'));
      await page.getByLabel('Emergency').check();
      await page.getByLabel('Details').fill('Brought in by ambulance, unconscious');
      await page.getByRole('button', { name: 'Continue to the record' }).click();
    }
    // The declaration lasts a while: the second visit goes straight to the record.
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/record/${p.personId}`);
    const text = await mainText(page);
    expect(text).toContain('You are seeing this record because you recorded your relationship');
    expect(text).toContain(formatNhsNumber(p.nhsNumber));
    await checkPage(page);
  });

  it('clinician: an opted-out person has no shared record; documents download with an audit', async () => {
    await page.goto(`${base}/search`);
    await page.getByLabel('NHS number').fill(seeded.people.optedOut.nhsNumber);
    await page.getByRole('button', { name: 'Search by NHS number' }).click();
    expect(await mainText(page)).toContain('No shared record is available for this person. Contact their care providers directly.');
    await checkPage(page);

    await page.goto(`${base}/record/${seeded.people.optedOut.personId}`);
    expect(await mainText(page)).toContain('No shared record is available for this person. Contact their care providers directly.');

    const withDocs = await t.db.selectFrom('resources').select(['person_id', 'id'])
      .where('resource_type', '=', 'DocumentReference').where('deleted', '=', false).limit(1).executeTakeFirst();
    if (withDocs) {
      const before = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'view').executeTakeFirstOrThrow();
      const r = await page.request.get(`${base}/record/${withDocs.person_id}/attachments/${withDocs.id}/0`);
      // The attachment is returned only to a user with a relationship; either way the attempt is audited.
      expect([200, 403, 404]).toContain(r.status());
      if (r.status() === 200) expect(r.headers()['content-disposition']).toContain('attachment');
      const after = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', 'in', ['view', 'access-denied']).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBeGreaterThan(Number(before.n));
    }
    await signOut(page);
  });

  it('PALS officer: record an objection, then its withdrawal, with receipts and history', async () => {
    await signIn(page, seeded.users.pals.username);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/objections');
    await checkPage(page, shot('06-objections'));
    const nhs = seeded.people.objector.nhsNumber;
    for (const change of ['record', 'withdraw'] as const) {
      await page.goto(`${base}/objections`);
      await page.getByLabel('NHS number').fill(nhs);
      await page.getByRole('button', { name: 'Continue' }).click();
      expect(await mainText(page)).toContain(`NHS number ${formatNhsNumber(nhs)}`);
      if (change === 'withdraw') await checkPage(page, shot('07-objection-history'));
      await page.getByRole('button', { name: change === 'record' ? 'Record an objection' : 'Record that the objection is withdrawn' }).click();
      await checkPage(page, change === 'record' ? shot('08-objection-confirm') : undefined);
      await page.getByRole('button', { name: change === 'record' ? 'Confirm and record the objection' : 'Confirm the withdrawal' }).click();
      const receipt = await mainText(page);
      expect(receipt).toContain(change === 'record' ? 'Objection recorded' : 'Objection withdrawn');
      expect(receipt).toMatch(/OBJ-\d{6}/);
      expect(page.url()).not.toContain(nhs);
      await checkPage(page, change === 'record' ? shot('09-objection-receipt') : undefined);
    }
    await signOut(page);
  });

  it('administrator: feeds, dead letters and replay, add a user — no clinical data', async () => {
    await signIn(page, seeded.users.admin.username);
    await page.goto(`${base}/admin/feeds`);
    const feeds = await mainText(page);
    expect(feeds).toContain('Last success');
    expect(feeds).toContain('Error rate');
    expect(feeds).toContain('zzw01-pas');
    expect(feeds).toContain('Late');
    await checkPage(page, shot('10-feeds'));
    await page.goto(`${base}/admin/organisations`);
    await checkPage(page, shot('11-organisations'));

    const id = seeded.deadLetters[js ? 0 : 1]!;
    await page.goto(`${base}/admin/dead-letters`);
    expect(await mainText(page)).toContain('Reason');
    await checkPage(page, shot('12-dead-letters'));
    await page.getByRole('button', { name: `Replay dead letter ${id}` }).click();
    expect(await mainText(page)).toContain(`Dead letter ${id} was replayed and accepted`);

    await page.goto(`${base}/admin/users`);
    const username = js ? 'nurse.new' : 'nurse.nojs';
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Full name').fill('Nia Newcomer');
    await page.getByLabel('Organisation').selectOption(seeded.gpOds);
    await page.getByLabel('Role', { exact: true }).selectOption('clinician');
    await page.getByLabel('Professional registration (if needed for the role)').fill('NMC:12A3456B');
    await page.getByLabel('Data security training valid until').fill('2099-03-31');
    await page.getByLabel('Initial password').fill('a long and unusual passphrase 7');
    await page.getByRole('button', { name: 'Add user' }).click();
    expect(await mainText(page)).toContain(`User ${username} was added`);
    await checkPage(page, shot('13-users'));
    // No person's data on an administrator's page: their NHS numbers, and their names unless a member
    // of staff listed on the page happens to share the family name (the county's names are random).
    const content = await page.content();
    const staffNames = await t.db.selectFrom('users').select('name').execute();
    for (const p of Object.values(seeded.people)) {
      expect(content).not.toContain(p.nhsNumber);
      if (!staffNames.some((u) => u.name.includes(p.family))) expect(content).not.toContain(p.family);
    }
    await signOut(page);
  });

  it('IG officer: audit by person and by user, and who viewed the record', async () => {
    await signIn(page, seeded.users.ig.username, { totpUri: seeded.users.ig.totpUri });
    await expect.poll(() => new URL(page.url()).pathname).toBe('/audit');
    await checkPage(page, shot('14-audit-search'));
    const nhs = seeded.people.registered.nhsNumber;
    await page.locator('#nhs-number').fill(nhs);
    await page.getByRole('button', { name: 'Search by person' }).click();
    const byPerson = await mainText(page);
    expect(byPerson).toContain('view');
    expect(byPerson).toContain('Ada Okafor');
    expect(page.url()).not.toContain(nhs);
    await checkPage(page, shot('15-audit-person'));

    await page.goto(`${base}/audit`);
    await page.getByLabel('Username').fill(seeded.users.clinician.username);
    await page.getByRole('button', { name: 'Search by user' }).click();
    expect(await mainText(page)).toContain('sign-in');
    await checkPage(page);

    await page.goto(`${base}/audit/who-viewed`);
    await page.getByLabel('NHS number').fill(nhs);
    await page.getByRole('button', { name: 'Show who viewed the record' }).click();
    expect(await mainText(page)).toContain('Viewed the record');
    await checkPage(page, shot('16-who-viewed'));
    await signOut(page);
  });

  it('clear messages for lapsed training and a suspended account', async () => {
    await signIn(page, seeded.users.lapsed.username, { totpUri: seeded.users.lapsed.totpUri });
    expect(await mainText(page)).toContain('Your data security training has expired');
    await checkPage(page, shot('17-training-lapsed'));
    await signOut(page);
    await signIn(page, seeded.users.suspended.username);
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Your account is suspended');
    await checkPage(page, shot('18-suspended'));
  });
});
