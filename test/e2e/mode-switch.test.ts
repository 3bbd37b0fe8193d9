/**
 * A switch of mode alone, through the UI in Chromium: the till on PayPlug in test mode leaves a link
 * unpaid and an authorisation uncaptured, and goes live in Settings with the same gateway. What it
 * leaves behind in test mode is said as a switch of gateway says it — before saving, naming the
 * mode — and Capture (F4) says the authorisation was taken in another mode, not with another
 * gateway (found by a defect hunt as a cashier).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';
import { STATUS_TIMEOUT, chargeByLink, textOf } from './steps';

describe.skipIf(!e2eAvailable())('a switch of mode alone (Chromium, web mode)', { timeout: 60_000 }, () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let authorisedOrder = '';

  beforeAll(async () => {
    app = await startWebApp({ args: ['--gateway', 'payplug'] });
    browser = await launchBrowser();
    page = (await openApp(browser, app)).page;
    await page.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
  }, 60_000);

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail')
      await page.screenshot({
        path: `${process.env.E2E_SHOTS ?? '/tmp'}/mode-switch-${context.task.name.slice(0, 40)}.png`,
      });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('in test mode, leaves a link unpaid and an authorisation uncaptured', async () => {
    await chargeByLink(page, '1800', false);
    authorisedOrder = await chargeByLink(page, '4000', true);
    await page.keyboard.press('F3');
    await page.getByRole('radio', { name: new RegExp(authorisedOrder) }).check();
    await page.getByRole('button', { name: 'Pay the link' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'payment page' }), /used on the payment page of €40\.00/);
    await page.keyboard.press('F4');
    await textOf(page.locator('.auth-item'), new RegExp(`€40\\.00 — Order ${authorisedOrder}`));
  });

  it('choosing live warns of the test link and the test authorisation, naming test mode', async () => {
    await page.keyboard.press('F7');
    await page.getByRole('radio', { name: 'Live (real cards are charged)' }).check();
    const warnings = page.getByRole('group', { name: 'Gateway' });
    await textOf(
      warnings,
      /1 payment with PayPlug in test mode is not finished \(€18\.00\): once switched, the till no longer follows it/,
    );
    expect(await warnings.textContent()).toMatch(
      /1 authorisation with PayPlug in test mode is not captured yet \(€40\.00\): once switched, Capture \(F4\) no longer offers it/,
    );
  });

  it('saved live, Capture (F4) says the authorisation was taken in another mode, not with another gateway', async () => {
    await page.getByRole('checkbox', { name: /Embedded sandbox/ }).uncheck();
    await page.getByLabel('PayPlug API URL').fill('https://127.0.0.1:9');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('LIVE').first().waitFor({ timeout: STATUS_TIMEOUT });
    await page.keyboard.press('F4');
    const notice = page.getByRole('region', { name: 'Authorisations taken in another mode' });
    await textOf(
      notice,
      new RegExp(
        `^1 authorisation taken in test mode \\(€40\\.00, order ${authorisedOrder}\\) is not offered here: the till ` +
          'is now in live mode\\. Switch back to test mode in Settings \\(F7\\) to capture or cancel it\\.$',
      ),
    );
    expect(await page.getByRole('region', { name: /another gateway/ }).count()).toBe(0);
  });
});
