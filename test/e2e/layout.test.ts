/**
 * The layout on a 1024×600 counter screen (found by a tester): nothing scrolls sideways on any screen,
 * with the browser's scrollbars shown as on a desktop (Playwright hides them by default, and a hidden
 * scrollbar takes no width), and on Process payment the pay-by-link QR code's Cancel is in view
 * without scrolling.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const TIMEOUT = 20_000;
const SCREENS = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9'] as const;

describe.skipIf(!e2eAvailable())('the layout at 1024×600 (Chromium, web mode)', { timeout: 60_000 }, () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // PayPlug: every payment is a link, the tallest Process screen (QR code, time left, Cancel).
    app = await startWebApp({ args: ['--gateway', 'payplug'] });
    browser = await launchBrowser({ scrollbars: true });
    page = (await openApp(browser, app, { viewport: { width: 1024, height: 600 } })).page;
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** How far the page, and the screen's own scrolling area, reach past their width. */
  const overflow = () =>
    page.evaluate(() => {
      const root = document.documentElement;
      const main = document.querySelector('main')!;
      return { page: root.scrollWidth - root.clientWidth, screen: main.scrollWidth - main.clientWidth };
    });

  /** Wholly inside the window, as it is shown (not scrolled to). */
  const inView = (locator: Locator) =>
    locator.evaluate((element) => {
      const box = element.getBoundingClientRect();
      return box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
    });

  it('shows the scrollbars it is checked with', async () => {
    // A screen taller than the window: its scrollbar (the page's or the screen's) takes width, as
    // it does for a cashier.
    await page.keyboard.press('F7');
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor({ timeout: TIMEOUT });
    const scrollbar = await page.evaluate(() => {
      const main = document.querySelector('main')!;
      return window.innerWidth - document.documentElement.clientWidth + (main.offsetWidth - main.clientWidth);
    });
    expect(scrollbar).toBeGreaterThan(0);
  });

  it('the pay-by-link screen keeps the time left and Cancel in view', async () => {
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.pressSequentially('1250');
    await amount.press('Enter');
    await page.locator('img.pay-link__qr').waitFor({ timeout: TIMEOUT });
    await page.locator('.pay-link__countdown').waitFor({ timeout: TIMEOUT });
    // Nothing has scrolled: as the screen opens.
    expect(await page.evaluate(() => document.querySelector('main')!.scrollTop)).toBe(0);
    expect(await inView(page.locator('.pay-link__countdown'))).toBe(true);
    expect(await inView(page.getByRole('button', { name: 'Cancel payment' }))).toBe(true);
    expect(await overflow()).toEqual({ page: 0, screen: 0 });
  });

  it('nothing scrolls sideways on any screen', async () => {
    for (const key of SCREENS) {
      await page.keyboard.press(key);
      await page.locator(`nav button[aria-keyshortcuts=${key}][aria-current=page]`).waitFor({ timeout: TIMEOUT });
      expect({ key, ...(await overflow()) }).toEqual({ key, page: 0, screen: 0 });
    }
  });
});
