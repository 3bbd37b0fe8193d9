/**
 * A till on Plural, through the UI in Chromium: the cashier switches the till to Plural in
 * Settings and names a merchant it shares with there, shares a payment between two merchants (one
 * share held) in the split editor, which offers and names the saved one, and the
 * customer pays the QR link on the sandbox's checkout page in a second browser page (their phone),
 * through a 3-D Secure challenge, back to the till's return page. The held share is then released
 * in part from Transactions → Settlements (the rest refunded DO_NOT_RECOVER), a pre-authorisation
 * is captured in part from F4 and another cancelled — every amount and status checked against the
 * sandbox's ledger — and no Plural secret, signature key or access token crossed the bridge.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerOrder } from '../gateway/plural-support';
import { findKnownSecrets } from '../support/secrets';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const STATUS_TIMEOUT = 20_000;

describe.skipIf(!e2eAvailable())('a till on Plural, end to end (Chromium, web mode)', { timeout: 60_000 }, () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let wire: string[] = [];
  let plural: { url: string; clientId: string; clientSecret: string; signatureKey: string };

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchBrowser();
    const opened = await openApp(browser, app);
    page = opened.page;
    wire = opened.frames;
    await page.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
    plural = { url: `${app.sandboxUrl}/plural`, ...(await pluralCredentials(app)) };
  }, 60_000);

  afterEach(async (context) => {
    // The screen as the cashier saw it when a step failed: the evidence next to the error.
    if (context.task.result?.state === 'fail')
      await page.screenshot({
        path: `${process.env.E2E_SHOTS ?? '/tmp'}/plural-${context.task.name.slice(0, 40)}.png`,
      });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function textOf(locator: Locator, text: RegExp) {
    await expect
      .poll(async () => (await locator.first().textContent()) ?? '', { timeout: STATUS_TIMEOUT })
      .toMatch(text);
  }

  const paymentState = () => page.locator('.payment-state[role=status]');

  /** An access token of the test's own, for the sandbox's `/_sandbox` routes. */
  async function sandboxToken(): Promise<string> {
    const token = (await (
      await fetch(`${plural.url}/api/auth/v1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: plural.clientId,
          client_secret: plural.clientSecret,
          grant_type: 'client_credentials',
        }),
      })
    ).json()) as { access_token: string };
    return token.access_token;
  }

  /** The sandbox's ledger, read with a token of its own (as Plural's dashboard would show it). */
  async function ledger(): Promise<LedgerOrder[]> {
    const response = await fetch(`${plural.url}/_sandbox/ledger`, {
      headers: { Authorization: `Bearer ${await sandboxToken()}` },
    });
    return ((await response.json()) as { orders: LedgerOrder[] }).orders;
  }

  /**
   * Every API call the sandbox answers fails with a 500 (`errorRate` 1) or none does (0). `token`:
   * one taken before (no new one is issued while every call fails).
   */
  async function failEveryCall(errorRate: 0 | 1, token: string) {
    const response = await fetch(`${plural.url}/_sandbox/faults`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ error_rate: errorRate }),
    });
    expect(response.status).toBe(200);
  }

  async function ledgerOrder(amount: number): Promise<LedgerOrder> {
    const orders = (await ledger()).filter((o) => o.amount === amount);
    expect(orders).toHaveLength(1);
    return orders[0]!;
  }

  /** The customer pays the link on their phone: the checkout page in another browser page. */
  async function payOnPhone(url: string, card: string, challenge: boolean): Promise<string> {
    const phone = await browser.newPage();
    try {
      await phone.goto(url);
      await phone.getByLabel('Card number').fill(card);
      await phone.getByRole('button', { name: /^Pay/ }).click();
      if (challenge) {
        await phone.getByRole('heading', { name: 'Authenticate this payment' }).waitFor({ timeout: STATUS_TIMEOUT });
        await phone.getByRole('button', { name: 'Complete authentication' }).click();
      }
      // The checkout sends the browser back to the till's own return page, signed ("Payment received"
      // when the till already read the order paid).
      await phone.getByRole('heading', { name: /^(Thank you|Payment received)$/ }).waitFor({ timeout: STATUS_TIMEOUT });
      expect(new URL(phone.url()).pathname).toBe('/return/plural');
      return (await phone.locator('main').textContent()) ?? '';
    } finally {
      await phone.close();
    }
  }

  /** Create payment (F1): the amount typed, capture chosen, Enter; the QR's link. */
  async function chargeByLink(digits: string, options: { manual?: boolean; split?: () => Promise<void> } = {}) {
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially(digits);
    await page.getByLabel(options.manual ? /Manual/ : /Automatic/).check();
    await options.split?.();
    await page.getByRole('button', { name: 'Charge' }).click();
    await textOf(paymentState(), /Waiting for the customer to pay by link/);
    const qr = page.locator('img.pay-link__qr');
    await qr.waitFor({ timeout: STATUS_TIMEOUT });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    const url = (await page.locator('.pay-link__url').textContent())!.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/plural\/checkout\//);
    return url;
  }

  it('switches the till to Plural in Settings, and the header says so', async () => {
    await page.keyboard.press('F7');
    await page.getByRole('radio', { name: /^Plural/ }).check();
    await page.getByRole('button', { name: /^Save/ }).click();
    await textOf(page.locator('.gateway-name'), /Plural/);
    // Plural shares payments: the merchants the till shares with are set up once, here.
    const merchants = page.getByRole('form', { name: 'Merchants for split payments' });
    await merchants.getByRole('button', { name: 'Add a merchant' }).click();
    await page.keyboard.type('1233');
    await merchants.getByLabel('Merchant 1 name').fill('Stall 2 — Tea');
    await merchants.getByRole('button', { name: 'Save merchants' }).click();
    await textOf(merchants, /Merchants saved \(1\)\./);
    await page.keyboard.press('F1');
    // Plural takes rupees only, and can split a payment.
    const options = await page.getByLabel('Currency').locator('option').allTextContents();
    expect(options).toEqual([expect.stringMatching(/^INR/)]);
    await page.getByRole('group', { name: /Split between merchants/ }).waitFor();
  });

  it('a payment shared between two merchants, one held, is paid through the QR link on the phone', async () => {
    const url = await chargeByLink('50000', {
      split: async () => {
        // Keyboard first: the first share starts with the whole amount, Insert adds the next.
        await page.getByRole('button', { name: 'Split between merchants' }).click();
        await page.keyboard.type('1324');
        await page.keyboard.press('Tab');
        await page.keyboard.type('stall-7');
        await page.keyboard.press('Tab');
        const first = page.getByLabel('Share 1 amount');
        await first.fill('');
        await first.pressSequentially('30000');
        await textOf(page.locator('#split-remainder'), /₹200\.00 left to share/);
        await page.getByLabel('Share 1 on hold').check();
        await page.getByLabel('Share 1 on hold').press('Insert');
        // The saved merchant is offered, and its name shown once its id is in.
        expect(await page.getByLabel('Share 2 merchant id').getAttribute('list')).toBe('split-merchants');
        await page.keyboard.type('1233');
        await textOf(page.locator('.split-editor__merchant'), /Stall 2 — Tea/);
        await textOf(page.locator('#split-remainder'), /The shares add up to ₹500\.00 \(1 held\)/);
      },
    });
    await textOf(page.locator('.split-summary'), /1324 ₹300\.00 \(held\) · Stall 2 — Tea \(1233\) ₹200\.00/);
    // A card that asks for 3-D Secure: the challenge on the phone, then back to the till.
    const back = await payOnPhone(url, '4000 0000 0000 1091', true);
    expect(back).toMatch(/The counter has been told|Payment received, you can close this page/);
    await textOf(paymentState(), /Approved\. The payment is complete/);
    const order = await ledgerOrder(50_000);
    expect(order).toMatchObject({ status: 'PROCESSED', captured: 50_000, refunded: 0 });
    expect(order.splits.map((s) => [s.status, s.amount, s.released])).toEqual([
      ['HOLD', 30_000, 0],
      ['RELEASED', 20_000, 20_000],
    ]);
  });

  it('a declined card sends the phone back to a page that says it was not paid, never "Thank you"', async () => {
    // Found by using the app: after a decline the customer's phone read "Thank you — The counter has
    // been told", and the customer walked off believing they had paid.
    const url = await chargeByLink('12300');
    const phone = await browser.newPage();
    try {
      await phone.goto(url);
      await phone.getByLabel('Card number').fill('4000 0000 0000 0002');
      await phone.getByRole('button', { name: /^Pay/ }).click();
      await phone.getByRole('heading', { name: 'Not paid' }).waitFor({ timeout: STATUS_TIMEOUT });
      expect(new URL(phone.url()).pathname).toBe('/return/plural');
      expect(await phone.locator('main').textContent()).toMatch(/did not go through: nothing was taken/);
      expect(await phone.getByRole('heading', { name: 'Thank you' }).count()).toBe(0);
    } finally {
      await phone.close();
    }
    await textOf(page.getByRole('alert').filter({ hasText: /\S/ }), /Declined: Card declined\./);
  });

  it('the held share is released in part from Settlements, the rest refunded DO_NOT_RECOVER', async () => {
    await page.keyboard.press('F5');
    await page.getByRole('tab', { name: 'Settlements' }).click();
    const item = page.locator('li.settlement', { hasText: '₹500.00' }).first();
    await item.waitFor({ timeout: STATUS_TIMEOUT });
    await textOf(item, /HOLD/);
    await item.getByRole('button', { name: 'Release part…' }).click();
    const amount = page.getByLabel('Amount to release to 1324');
    await amount.pressSequentially('20000');
    await amount.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await textOf(dialog, /Release ₹200\.00 of ₹300\.00 to merchant 1324\?/);
    await textOf(dialog, /The other ₹100\.00 is refunded to the customer/);
    await dialog.getByRole('button', { name: 'Yes, release' }).click();
    await textOf(
      page.getByRole('status').filter({ hasText: 'Released' }),
      /Released ₹200\.00 of ₹300\.00 to 1324; ₹100\.00 refunded to the customer\./,
    );
    await textOf(item, /₹200\.00 of ₹300\.00 settled/);
    await expect.poll(async () => item.getByText('HOLD', { exact: true }).count()).toBe(0);

    const order = await ledgerOrder(50_000);
    expect(order).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded: 10_000 });
    expect(order.splits[0]).toMatchObject({
      status: 'RELEASED',
      release_amount: 20_000,
      released: 20_000,
      refunded_not_recovered: 10_000,
      unsettled_remainder: 0,
    });
    expect(order.refunds).toHaveLength(1);
    expect(order.refunds[0]!.splits).toEqual([expect.objectContaining({ amount: 10_000, status: 'DO_NOT_RECOVER' })]);

    // The details agree: the order, its shares with their statuses, and the refund.
    await page.getByRole('tab', { name: 'Transactions' }).click();
    const row = page.locator('tr', { hasText: '₹500.00' }).first();
    await row.waitFor({ timeout: STATUS_TIMEOUT });
    await row.getByRole('button', { name: /Details/ }).click();
    const shares = page.getByRole('table', { name: /Shares of/ });
    await textOf(shares, /1324.*RELEASED.*Stall 2 — Tea \(1233\).*RELEASED/s);
    await textOf(page.locator('main'), /Partially refunded/);
    await textOf(page.locator('main'), /₹100\.00/);

    // The refund names a share by what is left of it: 1324's rest went back with the release, its
    // ₹200.00 settled can be taken back; more than that is refused before anything is sent.
    const from = page.getByLabel('Take it from');
    const options = async () => (await from.locator('option').allTextContents()).slice(1);
    expect(await options()).toEqual([
      "1324's share (₹200.00 left to refund, RELEASED)",
      "Stall 2 — Tea (1233)'s share (₹200.00 left to refund, RELEASED)",
    ]);
    await from.selectOption({ label: "1324's share (₹200.00 left to refund, RELEASED)" });
    const refundAmount = page.getByLabel('Refund amount');
    expect(await refundAmount.inputValue()).toBe('₹200.00');
    await refundAmount.fill('');
    await refundAmount.pressSequentially('25000');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await textOf(
      page.locator('.refund-form'),
      /The refund amount can be at most ₹200\.00, what is left of 1324's share/,
    );
    expect((await ledgerOrder(50_000)).refunds).toHaveLength(1);
    await refundAmount.fill('');
    await refundAmount.pressSequentially('20000');
    // Enter in Take it from refunds, as in the amount (Chromium opens a closed select on Enter).
    await from.focus();
    await page.keyboard.press('Enter');
    await textOf(page.locator('main'), /Refunded ₹200\.00\./);
    // Nothing is left of 1324's share: it is no longer offered.
    await expect.poll(options).toEqual(["Stall 2 — Tea (1233)'s share (₹200.00 left to refund, RELEASED)"]);
    expect((await ledgerOrder(50_000)).splits[0]).toMatchObject({ refunded_recovered: 20_000 });
    await page.keyboard.press('Escape');
  });

  it('a pre-authorisation paid by link is captured in part from F4', async () => {
    const url = await chargeByLink('40000', { manual: true });
    await payOnPhone(url, '4111 1111 1111 1111', false);
    await textOf(paymentState(), /Authorised/);
    await page.keyboard.press('F4');
    const item = page.locator('.auth-item', { hasText: '₹400.00' }).first();
    await item.waitFor({ timeout: STATUS_TIMEOUT });
    const amount = item.getByLabel('Capture amount');
    await amount.fill('');
    await amount.pressSequentially('30000');
    await item.getByRole('button', { name: 'Capture' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'Captured' }), /Captured ₹300\.00 of ₹400\.00/);
    expect(await ledgerOrder(40_000)).toMatchObject({ status: 'PARTIALLY_CAPTURED', pre_auth: true, captured: 30_000 });
  });

  it('another pre-authorisation is cancelled from F4', async () => {
    await chargeByLink('25000', { manual: true });
    // The customer pays (here with the simulate screen's test card, as the page would).
    await page.keyboard.press('F3');
    await page.getByRole('button', { name: 'Pay the link' }).click();
    await textOf(
      page.getByRole('status').filter({ hasText: 'payment page' }),
      /Card 4111 1111 1111 1111 used on the payment page of ₹250\.00/,
    );
    await page.keyboard.press('F4');
    const item = page.locator('.auth-item', { hasText: '₹250.00' }).first();
    await item.waitFor({ timeout: STATUS_TIMEOUT });
    await item.getByRole('button', { name: 'Cancel authorisation' }).click();
    await item.getByRole('button', { name: 'Yes, cancel the authorisation' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'canceled' }), /Authorisation of ₹250\.00 canceled/);
    expect(await ledgerOrder(25_000)).toMatchObject({ status: 'CANCELLED', captured: 0 });
  });

  it('a release waiting for the gateway offers nothing more to press on its share until it is confirmed', async () => {
    // Found by using the app: while a release was queued, the share still offered Release, Release
    // part… and Cancel share, as if nothing had been asked; the host refuses each of them meanwhile.
    await chargeByLink('45000', {
      split: async () => {
        await page.getByRole('button', { name: 'Split between merchants' }).click();
        await page.keyboard.type('1324');
        const first = page.getByLabel('Share 1 amount');
        await first.fill('');
        await first.pressSequentially('25000');
        await page.getByLabel('Share 1 on hold').check();
        await first.press('Insert');
        await page.keyboard.type('1233');
      },
    });
    await page.keyboard.press('F3');
    await page.getByRole('button', { name: 'Pay the link' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'payment page' }), /of ₹450\.00/);
    await page.keyboard.press('F5');
    await page.getByRole('tab', { name: 'Settlements' }).click();
    const item = page.locator('li.settlement', { hasText: '₹450.00' }).first();
    const share = item.locator('li.share', { hasText: '1324' });
    await share.getByRole('button', { name: 'Release ₹250.00 to 1324' }).waitFor({ timeout: STATUS_TIMEOUT });
    const token = await sandboxToken();
    await failEveryCall(1, token);
    try {
      await share.getByRole('button', { name: 'Release ₹250.00 to 1324' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Yes, release' }).click();
      await textOf(share, /waiting for the gateway to confirm \(retried automatically\)/);
      await textOf(share, /The release is queued and will be sent automatically/);
      expect(await share.getByRole('button').allTextContents()).toEqual([]);
    } finally {
      await failEveryCall(0, token);
    }
    // Sent by itself once the gateway answers again: released, once.
    await textOf(share, /RELEASED/);
    const order = await ledgerOrder(45_000);
    expect(order.splits[0]).toMatchObject({ status: 'RELEASED', released: 25_000 });
  });

  it('no Plural client secret, signature key or access token ever crossed the bridge', async () => {
    const tokens = await accessTokens(app);
    // The till did fetch tokens (so the check below looks for real values).
    expect(tokens.length).toBeGreaterThan(0);
    expect(wire.length).toBeGreaterThan(0);
    expect(wire.join('\n')).toContain('"gateway":"plural"');
    const known = [plural.clientSecret, plural.signatureKey, ...tokens];
    expect(wire.flatMap((frame) => findKnownSecrets(frame, known))).toEqual([]);
  });
});

/** The embedded sandbox's Plural credentials, from its database (what the till uses and must never show). */
async function pluralCredentials(app: WebApp) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${app.dataDir}/sandbox.db`, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM plural_meta').all() as { key: string; value: string }[];
    const meta = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    if (!meta.client_id || !meta.client_secret || !meta.signature_key)
      throw new Error(`no Plural credentials in the sandbox database (${Object.keys(meta).join(', ')})`);
    return { clientId: meta.client_id, clientSecret: meta.client_secret, signatureKey: meta.signature_key };
  } finally {
    db.close();
  }
}

/** Every access token the sandbox issued (the till's among them). */
async function accessTokens(app: WebApp): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${app.dataDir}/sandbox.db`, { readonly: true });
  try {
    return (db.prepare('SELECT token FROM plural_tokens').all() as { token: string }[]).map((r) => r.token);
  } finally {
    db.close();
  }
}
