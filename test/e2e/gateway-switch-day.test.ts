/**
 * A counter day across a switch of gateway, through the UI in Chromium: the till starts on PayPlug,
 * leaves a link unpaid and an authorisation uncaptured, and switches to Plural in Settings mid-day.
 * What the switch leaves behind with PayPlug is said where the cashier meets it — the switch's
 * warning, Capture (F4), the refusal to close the day — and the screens offer nothing the new
 * gateway refuses (found by a defect hunt as a cashier).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';
import { STATUS_TIMEOUT, chargeByLink, textOf } from './steps';

describe.skipIf(!e2eAvailable())(
  'a counter day across a switch of gateway (Chromium, web mode)',
  { timeout: 60_000 },
  () => {
    let app: WebApp;
    let browser: Browser;
    let page: Page;
    let unpaidOrder = '';
    let authorisedOrder = '';
    let paidOrder = '';

    beforeAll(async () => {
      app = await startWebApp({ args: ['--gateway', 'payplug'] });
      browser = await launchBrowser();
      page = (await openApp(browser, app)).page;
      await page.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
    }, 60_000);

    afterEach(async (context) => {
      // The screen as the cashier saw it when a step failed: the evidence next to the error.
      if (context.task.result?.state === 'fail')
        await page.screenshot({
          path: `${process.env.E2E_SHOTS ?? '/tmp'}/switch-day-${context.task.name.slice(0, 40)}.png`,
        });
    });

    afterAll(async () => {
      await browser?.close();
      await app?.close();
    });

    it('on PayPlug, leaves a link unpaid and an authorisation uncaptured, and takes a sale by link', async () => {
      paidOrder = await chargeByLink(page, '2500', false);
      await page.keyboard.press('F3');
      await page.getByRole('radio', { name: new RegExp(paidOrder) }).check();
      await page.getByRole('button', { name: 'Pay the link' }).click();
      await textOf(page.getByRole('status').filter({ hasText: 'payment page' }), /used on the payment page of €25\.00/);
      unpaidOrder = await chargeByLink(page, '1800', false);
      authorisedOrder = await chargeByLink(page, '4000', true);
      // The customer pays the authorisation's link (the simulate screen pays it as the page would).
      await page.keyboard.press('F3');
      await page.getByRole('radio', { name: new RegExp(authorisedOrder) }).check();
      await page.getByRole('button', { name: 'Pay the link' }).click();
      await textOf(page.getByRole('status').filter({ hasText: 'payment page' }), /used on the payment page of €40\.00/);
      await page.keyboard.press('F4');
      await textOf(page.locator('.auth-item'), new RegExp(`€40\\.00 — Order ${authorisedOrder}`));
    });

    it('the switch to Plural warns of the authorisation it leaves uncaptured, not only of the unpaid link', async () => {
      await page.keyboard.press('F7');
      await page.getByRole('radio', { name: /^Plural/ }).check();
      const gateway = page.getByRole('group', { name: 'Gateway' });
      await textOf(gateway, /1 payment with PayPlug is not finished \(€18\.00\)/);
      const warned = (await gateway.textContent()) ?? '';
      // Saved whatever was said, so the steps after this one run on Plural.
      await page.getByRole('button', { name: /^Save/ }).click();
      await textOf(page.locator('.gateway-name'), /Plural/);
      expect(warned).toMatch(
        /1 authorisation with PayPlug is not captured yet \(€40\.00\): once switched, Capture \(F4\) no longer offers it/,
      );
    });

    it('Capture (F4) says which authorisation is left with PayPlug, and how to capture it', async () => {
      await page.keyboard.press('F4');
      const notice = page.getByRole('region', { name: 'Authorisations taken with another gateway' });
      await textOf(
        notice,
        new RegExp(
          `^1 authorisation taken with PayPlug \\(€40\\.00, order ${authorisedOrder}\\) is not offered here: the till ` +
            'now uses Plural\\. Switch back to PayPlug in Settings \\(F7\\) to capture or cancel it\\.$',
        ),
      );
      expect(await page.locator('.auth-item').count()).toBe(0);
    });

    it('Transactions (F5) says a search matches a sale taken with PayPlug, not only "No transactions match"', async () => {
      await page.keyboard.press('F5');
      const search = page.getByLabel('Search', { exact: true });
      await search.fill(authorisedOrder);
      await search.press('Enter');
      await textOf(
        page.locator('main .notice').filter({ hasText: /taken with PayPlug/ }),
        /^1 payment taken with PayPlug matches this search, not listed while the till uses Plural: open it below to see it, read from PayPlug; switch back to PayPlug in Settings \(F7\) to refund, capture or cancel it\.$/,
      );
      expect(await page.getByText('No transactions match.').count()).toBe(1);
      // The sale paid by link opens read only, from PayPlug: its refund is PayPlug's (it said "Switch back" to see it).
      await search.fill(paidOrder);
      await search.press('Enter');
      await page.getByRole('button', { name: `Details for ${paidOrder} (PayPlug)` }).click();
      await textOf(
        page.locator('main .notice').filter({ hasText: /taken with PayPlug/ }),
        /^This payment was taken with PayPlug; the till now uses Plural\. Switch back to PayPlug in Settings \(F7\) to refund it\.$/,
      );
      await textOf(page.locator('main'), /€25\.00/);
      expect(await page.getByRole('button', { name: 'Refund' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Back to transactions' }).click();
      // A search no payment matches says nothing more.
      await search.fill('NOTHING-MATCHES');
      await search.press('Enter');
      await expect
        .poll(
          async () =>
            page
              .locator('main .notice')
              .filter({ hasText: /taken with/ })
              .count(),
          {
            timeout: STATUS_TIMEOUT,
          },
        )
        .toBe(0);
    });

    it('Readers (F6) offers no pairing by code, which Plural refuses', async () => {
      await page.keyboard.press('F6');
      await textOf(page.locator('main'), /readers are not used while the till is on Plural/);
      expect(await page.getByRole('button', { name: 'Pair reader' }).count()).toBe(0);
      expect(await page.getByLabel('Registration code').count()).toBe(0);
    });

    it('the refusal to close the day says the PayPlug link is cancelled only after switching back', async () => {
      await page.keyboard.press('F9');
      const closedBy = page.getByLabel('Closed by');
      await closedBy.fill('Dana');
      await closedBy.press('Enter');
      const refusal = page.locator('main').getByText(/The day cannot be closed/);
      await textOf(
        refusal,
        new RegExp(
          `${unpaidOrder} was taken with PayPlug: switch back to PayPlug in Settings \\(F7\\) to cancel it; or close ` +
            'with a recorded override',
        ),
      );
      expect((await refusal.first().textContent()) ?? '').not.toMatch(new RegExp(`Cancel ${unpaidOrder}`));
      // Nothing typed is lost: the override's fields wait, the name stays.
      expect(await closedBy.inputValue()).toBe('Dana');
      await page.getByLabel('Override by').waitFor({ timeout: STATUS_TIMEOUT });
    });
  },
);
