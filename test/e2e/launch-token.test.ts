/**
 * Web mode's launch token in Chromium: printed in the URL's fragment, it must leave the address bar
 * as the page loads, never reach the server in a URL or a Referer, and a reload of the cashier's
 * tab must keep working without it (see docs/security.md#web-mode).
 */
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, startWebApp, type WebApp } from './harness';

const TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable())('the launch token in the browser (Chromium, web mode)', () => {
  let app: WebApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('leaves the address bar at once, never reaches the server, and a reload keeps the page connected', async () => {
    const page = await (await browser.newContext()).newPage();
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));
    const response = await page.goto(app.url);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
    expect(page.url()).toBe(`${app.origin}/`);
    expect(await page.evaluate(() => window.location.href)).not.toContain(app.token);

    await page.reload();
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
    expect(page.url()).toBe(`${app.origin}/`);
    await expect(page.getByText('This page is not connected to the running app.').count()).resolves.toBe(0);

    // Neither the page nor its assets were asked for with the token: not in a URL, not in a Referer.
    expect(requests.length).toBeGreaterThan(2);
    for (const request of requests) {
      expect(request.url()).not.toContain(app.token);
      const headers = await request.allHeaders();
      expect(headers.referer ?? '').not.toContain(app.token);
    }
    await page.close();
  });
});
