/**
 * The customer display's address, in Chromium against the host in web mode: the address the shop
 * bookmarked on the second screen still works after the till restarts on the same data directory
 * (started the same way, without --port: it listens where it did), and stops working at once when
 * the shop makes a new one in Settings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable())('the customer display’s address (Chromium, web mode)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pos-e2e-display-'));
  let app: WebApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startWebApp({ dataDir, keptPort: true });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new browser (its own session) opening `url` on the second screen. */
  async function display(url: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(url);
    return page;
  }
  const welcomed = (page: Page) => page.getByRole('heading', { name: /^Welcome/ }).waitFor({ timeout: TIMEOUT });
  const refused = async (page: Page) => {
    await page.getByRole('heading', { name: 'This screen is not connected' }).waitFor({ timeout: TIMEOUT });
    expect(await page.getByRole('status').textContent()).toContain('Its address no longer works');
  };

  it('the bookmarked address works again after a restart; a new one made in Settings refuses the old at once', async () => {
    const bookmarked = app.displayUrl;
    const screen = await display(bookmarked);
    await welcomed(screen);

    // The till restarts on the same data directory: the same address, and the open screen is back.
    await app.close();
    await screen.getByText('this screen has lost the connection to the till', { exact: false }).waitFor({
      timeout: TIMEOUT,
    });
    app = await startWebApp({ dataDir, keptPort: true });
    expect(app.displayUrl).toBe(bookmarked);
    await screen
      .getByText('this screen has lost the connection to the till', { exact: false })
      .waitFor({ state: 'detached', timeout: TIMEOUT });
    await welcomed(screen);
    const reopened = await display(bookmarked);
    await welcomed(reopened);

    // Settings → New address, confirmed: the screens on the old address are locked and told so.
    const { page: cashier } = await openApp(browser, app);
    await cashier.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
    await cashier.keyboard.press('F7');
    expect(await cashier.locator('.display-url').textContent()).toBe(bookmarked);
    await cashier.getByRole('button', { name: 'New address for the customer display' }).click();
    await cashier.getByRole('button', { name: 'Yes, make a new address' }).press('Enter');
    await cashier.getByText('New address made: the old one no longer works.').waitFor({ timeout: TIMEOUT });
    await expect
      .poll(async () => (await cashier.locator('.display-url').textContent()) ?? '', { timeout: TIMEOUT })
      .not.toBe(bookmarked);
    const renewed = (await cashier.locator('.display-url').textContent()) ?? '';
    expect(renewed).toMatch(new RegExp(`^${app.origin.replace(/\./g, '\\.')}/#display=[0-9a-f]{48}$`));
    expect(app.stderr.join('')).not.toContain(renewed.split('=')[1]!);
    await refused(screen);
    await refused(reopened);
    expect(await screen.getByRole('button').count()).toBe(0);
    await refused(await display(bookmarked));
    const fresh = await display(renewed);
    await welcomed(fresh);
    // The header counts only the display on the new address.
    await expect
      .poll(async () => (await cashier.locator('.display-badge').textContent()) ?? '', { timeout: TIMEOUT })
      .toBe('Customer display: connected');
    expect(await cashier.getByText('Connected (1).').count()).toBe(1);
  });

  it('with its last port taken by another program meanwhile, the till starts on a free one and says so', async () => {
    const port = Number(new URL(app.origin).port);
    await app.close();
    const blocker = createServer();
    await new Promise<void>((listening) => blocker.listen(port, '127.0.0.1', listening));
    try {
      app = await startWebApp({ dataDir, keptPort: true });
      expect(new URL(app.origin).port).not.toBe(String(port));
      expect(app.stderr.join('')).toContain(`port ${port}, this till's last, is in use by another program`);
    } finally {
      blocker.close();
    }
  });
});
