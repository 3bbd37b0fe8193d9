/**
 * The cashier's page when its connection to the host drops and comes back, in Chromium against the
 * host in web mode. The test sits between the page and the host's bridge (tapBridge): it cuts the
 * connection, or fails a refresh, the way a network or a busy host would.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, startWebApp, tapBridge, type BridgeTap, type WebApp } from './harness';

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
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    tap = await tapBridge(page);
    await page.goto(app.url);
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
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
