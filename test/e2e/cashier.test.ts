/**
 * The cashier flow end to end, through the UI only: the built renderer in Debian's Chromium
 * against the host in web mode (with its embedded sandbox). The only direct API call is the one
 * a merchant's own server would make (scenario 6).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { findKnownSecrets } from '../support/secrets';
import { e2eAvailable, launchBrowser, openApp, sandboxSecrets, startWebApp, type WebApp } from './harness';

const STATUS_TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable())('cashier UI end to end (Chromium, web mode)', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  /** Every frame that crossed the bridge, for the secret check at the end. */
  let wire: string[] = [];
  let sandboxKeys: string[] = [];

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchBrowser();
    const opened = await openApp(browser, app);
    page = opened.page;
    wire = opened.frames;
    sandboxKeys = await sandboxSecrets(app);
    await page.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function screen(key: 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9') {
    await page.keyboard.press(key);
  }

  async function textOf(locator: Locator, text: RegExp) {
    await expect
      .poll(async () => (await locator.first().textContent()) ?? '', { timeout: STATUS_TIMEOUT })
      .toMatch(text);
  }

  async function paymentStatus(text: string | RegExp) {
    await expect
      .poll(async () => (await page.locator('.payment-state[role=status]').textContent()) ?? '', {
        timeout: STATUS_TIMEOUT,
      })
      .toMatch(text);
  }

  /** Create a payment on the Create screen and charge it with Enter: it goes to the default reader. */
  async function charge(digits: string, options: { manual?: boolean; currency?: string; order?: string } = {}) {
    await screen('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially(digits);
    if (options.currency) await page.getByLabel('Currency').selectOption(options.currency);
    if (options.order) await page.getByLabel('Order reference').fill(options.order);
    await page.getByLabel(options.manual ? /Manual/ : /Automatic/).check();
    await amount.press('Enter');
    await paymentStatus(/Waiting for card/);
  }

  /** A call to the embedded sandbox with PlutoPay's secret key, as a merchant's own server would make it. */
  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(app.sandboxUrl + path, {
      method,
      headers: { Authorization: `Bearer ${sandboxKeys[0]}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status).toBeLessThan(300);
    return response.json() as Promise<Record<string, unknown>>;
  }

  async function presentCard(label: RegExp = /Visa — approved/) {
    await screen('F3');
    await page.getByRole('radio', { name: label }).check();
    await page.getByRole('button', { name: 'Present card' }).click();
    await screen('F2');
  }

  /** Waits for the focus to be on `locator`, as the cashier sees it before pressing a key. */
  async function focused(locator: Locator) {
    await expect
      .poll(() => locator.evaluate((el) => el === document.activeElement), { timeout: STATUS_TIMEOUT })
      .toBe(true);
  }

  it("0. the README's first payment in test mode, step by step from the keyboard alone", async () => {
    // README.md, "Your first payment in test mode": no click anywhere. Found in a cashier hunt: F3
    // opened on its title, so its step 3 took Tabs to reach Present card.
    await focused(page.getByLabel('Amount', { exact: true }));
    await page.keyboard.type('1250');
    expect(await page.getByLabel('Amount', { exact: true }).inputValue()).toBe('$12.50');
    await page.keyboard.press('Enter');
    await paymentStatus(/Waiting for card: the customer can tap, insert or swipe\./);
    await screen('F3');
    expect(await page.getByRole('radio', { name: /Visa — approved/ }).isChecked()).toBe(true);
    await focused(page.getByRole('button', { name: 'Present card' }));
    await page.keyboard.press('Enter');
    await screen('F2');
    await paymentStatus(/Approved\. The payment is complete\./);
    // The sale is over: Enter starts the next one (found in a defect hunt: the focus was on the title).
    await focused(page.getByRole('button', { name: 'New payment (F1)' }));
    await page.keyboard.press('Enter');
    await focused(page.getByLabel('Amount', { exact: true }));
  });

  it('1. automatic capture: create → process on the simulated reader → simulate approve → succeeded', async () => {
    await charge('1250');
    expect(await page.locator('.payment-card__amount').textContent()).toBe('$12.50');
    await presentCard();
    await paymentStatus(/Approved\. The payment is complete/);
    await textOf(page.locator('.payment-card__meta'), /visa •••• 4242/);
  });

  it('2. manual capture: requires_capture → capture part → succeeded with the captured amount', async () => {
    await charge('5000', { manual: true, order: 'E2E-MANUAL-1' });
    await presentCard(/Mastercard — approved/);
    await paymentStatus(/Authorised/);
    await screen('F4');
    const item = page.getByRole('group', { name: /\$50\.00/ });
    const amount = item.getByLabel('Capture amount');
    await amount.fill('');
    await amount.pressSequentially('3000');
    await item.getByRole('button', { name: 'Capture', exact: true }).click();
    await page.getByText('Captured $30.00 of $50.00', { exact: false }).waitFor({ timeout: STATUS_TIMEOUT });
    await screen('F5');
    await page.getByLabel('Search').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row').filter({ hasText: '$50.00' }).first();
    await textOf(row, /Succeeded/i);
  });

  it('3. a decline by test card shows the reason, then another card on the same payment succeeds', async () => {
    await charge('2000');
    await presentCard(/Insufficient funds/);
    // Live regions stay on the page, empty between messages: the one with a message.
    await textOf(page.getByRole('alert').filter({ hasText: /\S/ }), /Not enough funds on this card/);
    await page.getByRole('button', { name: 'Try another card' }).click();
    await paymentStatus(/Waiting for card/);
    await presentCard();
    await paymentStatus(/Approved/);
    expect(await page.getByRole('alert').filter({ hasText: /\S/ }).count()).toBe(0);
  });

  it('4. the cashier cancels while the reader waits for the card', async () => {
    await charge('990');
    await page.keyboard.press('Escape');
    await paymentStatus(/Canceled\. No money was taken/);
    // The reader is free again: the next payment reaches it.
    await charge('770');
    await page.keyboard.press('Escape');
    await paymentStatus(/Canceled/);
    await screen('F6');
    await textOf(page.getByRole('article', { name: /Simulated reader 1/ }).getByRole('status'), /^Online$/);
  });

  it('5. partial refund from the transaction detail', async () => {
    await charge('3000', { currency: 'EUR' });
    await presentCard();
    await paymentStatus(/Approved/);
    await screen('F5');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row').filter({ hasText: '€30.00' }).first();
    await row.getByRole('button', { name: /Details for/ }).click();
    const refund = page.getByLabel('Refund amount');
    await refund.fill('');
    await refund.pressSequentially('1000');
    await page.getByRole('button', { name: /^Refund/ }).click();
    await page
      .getByText(/Partially refunded/i)
      .first()
      .waitFor({ timeout: STATUS_TIMEOUT });
    await textOf(page.getByRole('heading', { name: 'Refunds' }).locator('..'), /€10\.00/);
  });

  it("6. a payment pushed to the app's reader by the merchant's own server appears and completes", async () => {
    const intent = await api('POST', '/v1/terminal/create-payment', {
      amount: 4242,
      currency: 'usd',
      description: 'Web shop order',
    });
    const readers = (await api('GET', '/v1/terminal/readers')) as {
      data: { id: string; device_type: string; status: string }[];
    };
    const hosted = readers.data.find((r) => r.device_type === 'hosted' && r.status === 'online');
    expect(hosted).toBeDefined();
    await api('POST', '/v1/terminal/process-payment', { payment_intent_id: intent.id, reader_id: hosted!.id });
    await screen('F3');
    await page.getByText('$42.42').first().waitFor({ timeout: STATUS_TIMEOUT });
    await page.getByRole('radio', { name: /Visa — approved/ }).check();
    await page.getByRole('button', { name: 'Present card' }).click();
    await expect
      .poll(async () => ((await api('GET', `/v1/transactions/${String(intent.id)}`)) as { status: string }).status, {
        timeout: STATUS_TIMEOUT,
      })
      .toBe('succeeded');
  });

  it('7. the web-mode bridge refuses a connection without the launch token or from another origin', async () => {
    const port = new URL(app.origin).port;
    // 'open' only once the bridge answers a command: a socket the host refuses is closed (4401)
    // without one, however long its close takes on a busy machine.
    const attempt = (protocols: string[], origin: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/bridge`, protocols, { origin });
        ws.once('close', (code) => resolve(code));
        ws.once('open', () => ws.send(JSON.stringify({ type: 'invoke', id: 1, name: 'session.snapshot', input: {} })));
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type?: string; id?: number };
          if (message.type !== 'result' || message.id !== 1) return;
          resolve('open');
          ws.close();
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(-1));
      });
    // The page itself with no or a stale token is told at once (close 4401) and never heard.
    expect(await attempt(['pos-bridge.v1'], app.origin)).toBe(4401);
    expect(await attempt(['pos-bridge.v1', 'token.0000'], app.origin)).toBe(4401);
    expect(await attempt(['pos-bridge.v1', `token.${app.token}`], 'http://evil.example')).toBe(403);
    expect(await attempt(['pos-bridge.v1', `token.${app.token}`], app.origin)).toBe('open');
    // A page from another origin in the same browser cannot drive it either.
    const other = await browser.newPage();
    await other.goto('about:blank');
    // Written as a string: the test file's own `WebSocket` import must not leak into the page.
    const fromOtherPage = await other.evaluate(`new Promise((resolve) => {
      const ws = new window.WebSocket('ws://127.0.0.1:${port}/bridge', ['pos-bridge.v1', 'token.${app.token}']);
      ws.onopen = () => resolve('open');
      ws.onerror = () => resolve('refused');
    })`);
    expect(fromOtherPage).toBe('refused');
    await other.close();
  });

  it('8. a QR link instead of the reader: paid on the checkout page on the phone, approved on the till', async () => {
    await screen('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('1850');
    await page.getByLabel('With a QR code on their phone').check();
    // A PlutoPay link is charged when the customer pays: no capture choice, no reader.
    expect(await page.getByLabel(/Manual/).count()).toBe(0);
    await amount.press('Enter');
    await paymentStatus(/Waiting for the customer to pay by link/);
    const qr = page.locator('img.pay-link__qr');
    await qr.waitFor({ timeout: STATUS_TIMEOUT });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    const url = (await page.locator('.pay-link__url').textContent())!.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pay\/cs_/);
    await textOf(page.locator('.pay-link__countdown'), /Link valid for 23 h \d+ min/);
    const phone = await browser.newPage();
    try {
      await phone.goto(url);
      await phone.getByLabel('Card number').fill('4242 4242 4242 4242');
      await phone.getByRole('button', { name: /^Pay/ }).click();
      await phone.getByText('Payment complete').waitFor({ timeout: STATUS_TIMEOUT });
    } finally {
      await phone.close();
    }
    await paymentStatus(/Approved\. The payment is complete/);
    await textOf(page.locator('.payment-card__meta'), /visa •••• 4242/);
    // The next payment goes to the reader again, as before.
    await screen('F1');
    expect(await page.getByLabel('On the reader').isChecked()).toBe(true);
  });

  it('9. on a 1024×600 counter screen the transactions list fits: every Details button is on screen', async () => {
    // Found by a tester: the Details column sat past the right edge, its focus ring barely visible.
    await page.setViewportSize({ width: 1024, height: 600 });
    try {
      await screen('F5');
      // The detail test 5 opened is still the one shown: back to the list.
      const back = page.getByRole('button', { name: 'Back to transactions' });
      if (await back.isVisible()) await back.click();
      await page.getByRole('button', { name: 'Search' }).click();
      await page
        .getByRole('button', { name: /Details for/ })
        .first()
        .waitFor({ timeout: STATUS_TIMEOUT });
      const fit = await page.evaluate(() => {
        const main = document.querySelector('main')!;
        const rights = [...document.querySelectorAll('.tx-table button')].map((b) => b.getBoundingClientRect().right);
        return { overflow: main.scrollWidth - main.clientWidth, rightmost: Math.max(...rights), width: innerWidth };
      });
      expect(fit.overflow).toBeLessThanOrEqual(0);
      expect(fit.rightmost).toBeLessThanOrEqual(fit.width);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('10. paging with Enter keeps the focus on the pager; Esc from Details returns to the row opened', async () => {
    // Found by a keyboard tester: Enter on Next page sent the focus to Search (the button was
    // disabled while the page loaded), so the next Enter searched again and showed page 1; and Esc
    // from Details left the focus on Search, not on the row.
    const key = sandboxKeys.find((k) => k.startsWith('sk_test_'))!;
    for (let i = 0; i < 55; i += 11) {
      await Promise.all(
        Array.from({ length: 11 }, (_, j) =>
          fetch(`${app.sandboxUrl}/v1/transactions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              amount: 1000 + i + j,
              currency: 'usd',
              payment_method_type: 'card',
              confirm: true,
              description: `paging ${i + j}`,
            }),
          }).then((r) => expect(r.ok).toBe(true)),
        ),
      );
    }
    await screen('F5');
    const back = page.getByRole('button', { name: 'Back to transactions' });
    if (await back.isVisible()) await back.click();
    await page.getByRole('button', { name: 'Search' }).click();
    const pages = page.locator('main p[role=status]').filter({ hasText: /· page/ });
    await textOf(pages, /page 1 of [3-9]/);
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    await page.getByRole('button', { name: 'Next page' }).focus();
    await page.keyboard.press('Enter');
    await textOf(pages, /page 2 of/);
    expect(await focused()).toBe('Next page');
    await page.keyboard.press('Enter');
    await textOf(pages, /page 3 of/);
    expect(await focused()).toBe('Next page');
    const details = page.getByRole('button', { name: /Details for/ }).nth(2);
    const label = await details.getAttribute('aria-label');
    await details.focus();
    await page.keyboard.press('Enter');
    await back.waitFor({ timeout: STATUS_TIMEOUT });
    await page.keyboard.press('Escape');
    await textOf(pages, /page 3 of/);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')), { timeout: STATUS_TIMEOUT })
      .toBe(label);
  });

  it("11. Show receipt from Details keeps the focus on the receipt's buttons", async () => {
    // Found by a keyboard tester: the button was disabled while the receipt loaded, which dropped
    // the focus back to the screen's title, so the next Tab started from the top of the details.
    await charge('1500', { currency: 'EUR' });
    await presentCard();
    await paymentStatus(/Approved/);
    await screen('F5');
    const back = page.getByRole('button', { name: 'Back to transactions' });
    if (await back.isVisible()) await back.click();
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: '€15.00' })
      .first()
      .getByRole('button', { name: /Details/ })
      .click();
    const show = page.getByRole('button', { name: 'Show receipt' });
    await show.focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('Receipt preview').waitFor({ timeout: STATUS_TIMEOUT });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Show receipt');
  });

  it('12. the printed URL opened in a tab already on the page (no token, or a stale one) connects', async () => {
    // Only the fragment differs, so the browser does not load the page again: the tab kept saying
    // "Open the app from the link the host printed" (or "not connected") after the cashier did so.
    const tab = await browser.newPage();
    await tab.goto(app.origin + '/');
    await tab.getByText('Open the app from the link the host printed').waitFor({ timeout: STATUS_TIMEOUT });
    await tab.goto(app.url);
    await tab.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
    // A tab holding a token from an earlier launch on the same port (a fixed --port).
    await tab.evaluate(() => sessionStorage.setItem('pos.bridgeToken', '0000'));
    await tab.goto(app.origin + '/');
    await tab.reload();
    await tab.getByText('This page is not connected to the running app.').waitFor({ timeout: STATUS_TIMEOUT });
    await tab.goto(app.url);
    await tab.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
    await tab.close();
  });

  it('13. a button disabled while its command runs keeps the focus: Reconcile, Apply counter settings', async () => {
    // Found by a keyboard tester: Chromium drops the focus from a button as it is disabled, and the
    // app put it on the screen's title, so the next Tab started from the top of the screen.
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    await screen('F9');
    const reconcile = page.getByRole('button', { name: 'Reconcile', exact: true });
    await reconcile.focus();
    await page.keyboard.press('Enter');
    await textOf(page.locator('main [role=status]').filter({ hasText: /Compared with PlutoPay/ }), /Compared/);
    await expect.poll(focused, { timeout: STATUS_TIMEOUT }).toBe('Reconcile');
    await screen('F7');
    await page.getByRole('button', { name: 'Apply counter settings' }).focus();
    await page.keyboard.press('Enter');
    await textOf(page.getByText('Counter settings saved.'), /saved/);
    await expect.poll(focused, { timeout: STATUS_TIMEOUT }).toBe('Apply counter settings');
  });

  it('14. a chargeback: listed on Transactions, in Needs attention until the bank decides', async () => {
    // The customer's bank disputes a paid sale (the sandbox's admin route stands for the bank).
    await charge('4321', { currency: 'EUR' });
    await presentCard();
    await paymentStatus(/Approved/);
    const listed = (await api('GET', '/v1/transactions?size=10')) as {
      data: { id: string; amount: number; currency: string }[];
    };
    const sale = listed.data.find((t) => t.amount === 4321 && t.currency === 'eur')!;
    const dispute = await api('POST', '/_sandbox/disputes', { transaction_id: sale.id, reason: 'fraudulent' });

    // Transactions reads the gateway's disputes as it loads.
    await screen('F5');
    const back = page.getByRole('button', { name: 'Back to transactions' });
    if (await back.isVisible()) await back.click();
    await page.getByRole('button', { name: 'Search' }).click();
    const disputes = page.getByRole('region', { name: 'Disputes' });
    await textOf(disputes.getByRole('row').filter({ hasText: String(dispute.reference) }), /€43\.21.*Needs a response/);

    await page.keyboard.press('F8');
    const item = page.getByRole('article', { name: /€43\.21/ });
    await textOf(item, /The customer's bank disputes €43\.21 of this payment \(fraudulent\)/);
    await textOf(item, /on the PlutoPay dashboard/);
    expect(await item.getByRole('button', { name: 'Mark as handled' }).count()).toBe(0);

    // The bank decides for the shop: Check again reads it, and the item goes.
    await api('POST', `/_sandbox/disputes/${String(dispute.id)}/settle`, { status: 'won' });
    await item.getByRole('button', { name: 'Check again' }).click();
    await expect.poll(() => item.count(), { timeout: STATUS_TIMEOUT }).toBe(0);
  });

  it('no secret crossed the bridge during the whole run', async () => {
    await new Promise((r) => setTimeout(r, 100));
    expect(wire.length).toBeGreaterThan(50);
    const leaks = wire.flatMap((frame) => findKnownSecrets(frame, sandboxKeys));
    expect(leaks).toEqual([]);
  });
});
