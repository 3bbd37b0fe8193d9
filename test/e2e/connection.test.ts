/**
 * The cashier's page when its connection to the host drops and comes back, in Chromium against the
 * host in web mode. The test sits between the page and the host's bridge (tapBridge): it cuts the
 * connection, or fails a refresh, the way a network or a busy host would.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, startWebApp, openTappedApp, type BridgeTap, type WebApp } from './harness';

const TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable())('the cashier’s page while the host is out of reach (Chromium, web mode)', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let tap: BridgeTap;
  let customer: Page;

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchBrowser();
    ({ page, tap } = await openTappedApp(browser, app, TIMEOUT));
    customer = await (await browser.newContext()).newPage();
    await customer.goto(app.displayUrl);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const badge = () => page.locator('.display-badge');
  const badgeSays = (text: string) =>
    expect.poll(async () => (await badge().textContent()) ?? '', { timeout: TIMEOUT }).toBe(text);
  /** Where the keyboard's focus is: 'body' (lost), 'main' (in the screen), or the focused element's text. */
  const focused = () =>
    page.evaluate(() => {
      const active = document.activeElement;
      if (!active || active === document.body) return 'body';
      return document.querySelector('main')!.contains(active) ? 'main' : (active.textContent ?? active.tagName);
    });

  it('a failed refresh’s Refresh button keeps the keyboard’s place: on itself if it fails again, else in the screen', async () => {
    await badgeSays('Customer display: connected');
    // The connection drops; the snapshot read when it is back fails: the banner offers Refresh.
    tap.failNext('session.snapshot', 'the host is busy');
    tap.drop();
    const refresh = page.getByRole('button', { name: 'Refresh', exact: true });
    await refresh.waitFor({ timeout: TIMEOUT });
    await expect.poll(() => refresh.isEnabled(), { timeout: TIMEOUT }).toBe(true);
    // What the host last said of the customer display is not known to hold until a refresh works.
    await badgeSays('Customer display: unknown — refreshing');

    // Enter on Refresh, and the refresh fails again: the focus is on Refresh again, ready for another try.
    await refresh.focus();
    tap.failNext('session.snapshot', 'the host is still busy');
    await page.keyboard.press('Enter');
    await expect.poll(() => tap.failuresLeft, { timeout: TIMEOUT }).toBe(0);
    await expect.poll(() => refresh.isEnabled(), { timeout: TIMEOUT }).toBe(true);
    await expect.poll(focused, { timeout: TIMEOUT }).toBe('Refresh');

    // Space on Refresh, and it works: the banner goes, and the focus goes into the screen, not the page.
    await page.keyboard.press('Space');
    await refresh.waitFor({ state: 'detached', timeout: TIMEOUT });
    await expect.poll(focused, { timeout: TIMEOUT }).toBe('main');
    await badgeSays('Customer display: connected');
  });

  it('the header says the customer display is unknown while the host is out of reach, and corrects itself', async () => {
    await badgeSays('Customer display: connected');
    tap.cut();
    await page.getByText('Reconnecting to the host…').waitFor({ timeout: TIMEOUT });
    await badgeSays('Customer display: unknown — reconnecting');
    tap.restore();
    await page.getByText('Reconnecting to the host…').waitFor({ state: 'detached', timeout: TIMEOUT });
    await badgeSays('Customer display: connected');

    // The host itself stops: nothing is known of the display any more either.
    const exited = new Promise((resolve) => app.process.once('exit', resolve));
    app.process.kill('SIGTERM');
    await exited;
    await badgeSays('Customer display: unknown — reconnecting');
  });
});
