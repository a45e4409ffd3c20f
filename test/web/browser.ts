/**
 * The browser side of the web journeys, shared by every journey file: the web application on a
 * seeded test database, Debian's Chromium, axe-core on each page (and its screenshot), and signing
 * in and out as a user would.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { generateSync } from 'otplib';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/config.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import type { TestDatabase } from '../../src/store/testing.ts';
import { webRoutes } from '../../src/web/index.ts';
import { PASSWORD, TEST_SCRYPT } from './seed.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = new URL('../../docs/screenshots/', import.meta.url);

export class WebJourneys {
  /** Pages opened with JavaScript off: axe runs inside the page, so it cannot check them (the HTML is the same). */
  readonly noScript = new WeakSet<Page>();
  private readonly totpUses = new Map<string, number>();
  private app: FastifyInstance | undefined;
  browser!: Browser;
  base = '';

  async start(t: TestDatabase, now: () => Date): Promise<void> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: run "apt-get update && apt-get install -y chromium" to run the web journeys`);
    }
    mkdirSync(SHOTS, { recursive: true });
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }, process.cwd());
    this.app = await buildHttpServer({ database: t, config, now }, [webRoutes({ access: { scrypt: TEST_SCRYPT } })]);
    await this.app.listen({ port: 0, host: '127.0.0.1' });
    const address = this.app.server.address();
    this.base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.app?.close();
  }

  /** No serious or critical accessibility problems on the page as it stands; a screenshot when named. */
  checkPage = async (page: Page, shot?: string): Promise<void> => {
    if (this.noScript.has(page)) return;
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(' | ')})`)).toEqual([]);
    if (shot) await page.screenshot({ path: new URL(`${shot}.png`, SHOTS).pathname, fullPage: true });
  };

  signIn = async (page: Page, username: string, o: { totpUri?: string | null } = {}): Promise<void> => {
    await page.context().clearCookies();
    await page.goto(`${this.base}/`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    if (o.totpUri) {
      await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in/code');
      await this.checkPage(page);
      const secret = new URL(o.totpUri).searchParams.get('secret') ?? '';
      // Each sign-in uses a later time step: a code is accepted once only.
      const uses = this.totpUses.get(username) ?? 0;
      this.totpUses.set(username, uses + 1);
      const code = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 * uses });
      await page.getByLabel('Enter the code from your authenticator app').fill(code);
      await page.getByRole('button', { name: 'Continue' }).click();
    }
  };

  signOut = async (page: Page): Promise<void> => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('You have signed out');
  };

  mainText = (page: Page): Promise<string> => page.locator('main').innerText();
}
