/**
 * A till on PayPlug, through the UI in Chromium: the cashier switches the till to PayPlug, shows a
 * payment link as a QR code, and the customer pays it on the sandbox's hosted page in a second
 * browser page (their phone); a reload mid-link; a declined card; a deferred payment captured from F4; a refund; a
 * card saved on a link, found and charged again without one; an installment plan created, its
 * first part paid on the page, and aborted; and switching back to PlutoPay loses nothing and sends
 * no key across the bridge.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PAYPLUG_TEST_CARDS } from '../../common/test-cards';
import { findKnownSecrets } from '../support/secrets';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const STATUS_TIMEOUT = 20_000;

describe.skipIf(!e2eAvailable())('a till on PayPlug, end to end (Chromium, web mode)', { timeout: 60_000 }, () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let wire: string[] = [];
  let payplug: { url: string; secretKey: string };

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchBrowser();
    const opened = await openApp(browser, app);
    page = opened.page;
    wire = opened.frames;
    await page.getByText('TEST MODE').first().waitFor({ timeout: STATUS_TIMEOUT });
    payplug = { url: `${app.sandboxUrl}/payplug`, secretKey: await payplugKey(app) };
  }, 60_000);

  afterEach(async (context) => {
    // The screen as the cashier saw it when a step failed: the evidence next to the error.
    if (context.task.result?.state === 'fail')
      await page.screenshot({
        path: `${process.env.E2E_SHOTS ?? '/tmp'}/payplug-${context.task.name.slice(0, 40)}.png`,
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

  /** The customer pays the link on their phone: the hosted page in another browser page. */
  async function payOnPhone(url: string, card: string) {
    const phone = await browser.newPage();
    try {
      await phone.goto(url);
      for (const [label, value] of [
        ['Email', 'customer@example.com'],
        ['First name', 'Ada'],
        ['Last name', 'Lovelace'],
      ] as const) {
        const field = phone.getByLabel(label, { exact: true });
        if ((await field.count()) > 0) await field.fill(value);
      }
      await phone.getByLabel('Card number').fill(card);
      await phone.getByLabel('Month (MM)').fill('12');
      await phone.getByLabel('Year (YYYY)').fill('2035');
      await phone.getByLabel('CVC').fill('123');
      await phone.getByRole('button', { name: /^(Pay|Authorize)/ }).click();
      await phone.waitForLoadState();
    } finally {
      await phone.close();
    }
  }

  async function chargeByLink(digits: string, options: { manual?: boolean } = {}): Promise<string> {
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially(digits);
    await page.getByLabel(options.manual ? /Manual/ : /Automatic/).check();
    await amount.press('Enter');
    await textOf(paymentState(), /Waiting for the customer to pay by link/);
    const qr = page.locator('img.pay-link__qr');
    await qr.waitFor({ timeout: STATUS_TIMEOUT });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    const url = (await page.locator('.pay-link__url').textContent())!.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/payplug\/pay\//);
    await textOf(page.locator('.pay-link__countdown'), /Link valid for \d+:\d\d/);
    return url;
  }

  it('switches the till to PayPlug in Settings, and the header says so', async () => {
    await page.keyboard.press('F7');
    await page.getByRole('radio', { name: /PayPlug/ }).check();
    await page.getByRole('button', { name: /^Save/ }).click();
    await textOf(page.locator('.gateway-name'), /PayPlug/);
    await page.keyboard.press('F1');
    // PayPlug takes euros only: the Create screen offers nothing else.
    const options = await page.getByLabel('Currency').locator('option').allTextContents();
    expect(options).toEqual([expect.stringMatching(/^EUR/)]);
  });

  it('a payment link paid on the hosted page with 4242 is approved on the till', async () => {
    const url = await chargeByLink('2500');
    await payOnPhone(url, '4242 4242 4242 4242');
    await textOf(paymentState(), /Approved\. The payment is complete/);
    await textOf(page.locator('.payment-card__meta'), /visa •••• 4242/);
  });

  it('a page reloaded mid-link opens on its QR, and Transactions follows the link as it is paid', async () => {
    // Found by using the app: the reload opened an empty Create form (the QR only behind F2), and a
    // link paid while Transactions was open kept reading "Pending" there.
    const url = await chargeByLink('1300');
    await page.reload();
    await page.getByRole('heading', { name: 'Process payment', level: 1 }).waitFor({ timeout: STATUS_TIMEOUT });
    await textOf(page.locator('.pay-link__url'), new RegExp(`^${url.replace(/[.?]/g, '\\$&')}$`));
    await textOf(paymentState(), /Waiting for the customer to pay by link/);
    await page.keyboard.press('F5');
    const row = page.locator('tr', { hasText: '€13.00' }).first();
    await textOf(row, /Pending/);
    await payOnPhone(url, '4242 4242 4242 4242');
    await textOf(row, /Succeeded/);
    expect(await page.getByRole('heading', { name: 'Transactions', level: 1 }).count()).toBe(1);
  });

  it('a link paid while the cashier is on Transactions is told in a banner that keeps the focus where it was', async () => {
    const url = await chargeByLink('1450');
    await page.keyboard.press('F5');
    await page.getByRole('heading', { name: 'Transactions', level: 1 }).waitFor({ timeout: STATUS_TIMEOUT });
    const focusBefore = await page.evaluate(() => document.activeElement?.outerHTML ?? '');
    await payOnPhone(url, '4242 4242 4242 4242');
    await textOf(page.locator('.banner--link[role=status]'), /^€14\.50 paid by link — \S+\. F2 to see it\./);
    expect(await page.evaluate(() => document.activeElement?.outerHTML ?? '')).toBe(focusBefore);
    await page.keyboard.press('F2');
    await textOf(page.locator('.payment-card'), /€14\.50/);
    await textOf(paymentState(), /Approved\. The payment is complete/);
    // Opened, it is no longer told: the banner's region is empty (and without its banner look).
    expect(await page.locator('.banner--link').count()).toBe(0);
  });

  it('a card declined with 0051 shows the cashier wording once the link closes', async () => {
    const url = await chargeByLink('1800');
    await payOnPhone(url, '4000 0000 0000 0051');
    // The customer could try another card for 15 minutes; move the sandbox's clock past that.
    const moved = await fetch(`${payplug.url}/_sandbox/clock`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${payplug.secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 16 * 60 }),
    });
    expect(moved.status).toBe(200);
    await textOf(page.getByRole('alert').filter({ hasText: /\S/ }), /Declined: Card declined\. Ask for another card\./);
    await textOf(paymentState(), /Declined\./);
  });

  it('an unpaid link cancelled with Esc reads canceled, not failed, in its details', async () => {
    // Found in a cashier hunt: the details of a link the cashier cancelled listed a "Failure",
    // in PayPlug's words: "You have aborted the transaction. (aborted)".
    await chargeByLink('1234');
    await page.keyboard.press('Escape');
    await textOf(paymentState(), /^Canceled\. No money was taken\.$/);
    await page.keyboard.press('F5');
    const row = page.locator('tr', { hasText: '€12.34' });
    await textOf(row, /Canceled/);
    await row.getByRole('button', { name: /Details/ }).click();
    const details = page.locator('dl').first();
    await textOf(details, /Status\s*Canceled/);
    expect(await details.textContent()).not.toMatch(/Failure|aborted the transaction/);
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Transactions', level: 1 }).waitFor({ timeout: STATUS_TIMEOUT });
  });

  it('a deferred payment is authorised by link and captured from F4', async () => {
    await chargeByLink('4000', { manual: true });
    // The customer pays (here with the simulate screen's test card, as the page would).
    await page.keyboard.press('F3');
    // PayPlug's own test cards, not PlutoPay's (found by a tester: 4000 0000 0000 0002 was offered).
    const offered = await page
      .getByRole('group', { name: 'Test card' })
      .getByRole('radio')
      .evaluateAll((radios) => radios.map((r) => (r as HTMLInputElement).value));
    expect(offered).toEqual(PAYPLUG_TEST_CARDS.map((c) => c.number));
    await page.getByRole('button', { name: 'Pay the link' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'payment page' }), /used on the payment page/);
    await page.keyboard.press('F4');
    const item = page.locator('.auth-item', { hasText: '€40.00' }).first();
    await item.waitFor({ timeout: STATUS_TIMEOUT });
    await textOf(item, /before it expires/);
    await item.getByRole('button', { name: 'Capture' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'Captured' }), /Captured €40\.00/);
  });

  it('a refund from Transactions → Details', async () => {
    await page.keyboard.press('F5');
    const row = page.locator('tr', { hasText: '€40.00' }).first();
    await row.waitFor({ timeout: STATUS_TIMEOUT });
    await row.getByRole('button', { name: /Details/ }).click();
    const refund = page.getByLabel(/Refund amount/);
    await refund.fill('');
    await refund.pressSequentially('1500');
    await page.getByRole('button', { name: /^Refund/ }).click();
    await textOf(page.locator('body'), /Partially refunded/);
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Transactions', level: 1 }).waitFor({ timeout: STATUS_TIMEOUT });
  });

  it('a card saved on a link is found, said, and charged without a QR, shown as a saved card', async () => {
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    const customer = async () => {
      await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
      await page.getByLabel('First name').fill('Ada');
      await page.getByLabel('Last name').fill('Lovelace');
    };
    await amount.fill('');
    await amount.pressSequentially('2000');
    await customer();
    await page.getByLabel(/Offer the customer to save their card/).check();
    await amount.press('Enter');
    await page.locator('img.pay-link__qr').waitFor({ timeout: STATUS_TIMEOUT });
    await page.keyboard.press('F3');
    await page.getByLabel(/The customer ticks .save my card./).check();
    await page.getByRole('button', { name: 'Pay the link' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'payment page' }), /used on the payment page/);

    await page.keyboard.press('F1');
    await amount.fill('');
    await amount.pressSequentially('1500');
    await customer();
    await page.getByRole('button', { name: 'Find saved cards' }).press('Enter');
    // Said, not only drawn: the list of cards appears below without a word otherwise.
    await textOf(
      page.getByRole('status').filter({ hasText: 'saved card for' }),
      /^1 saved card for ada@example\.com: choose one below to charge it, or pay by link\.$/,
    );
    await page.getByLabel(/Charge the saved visa •••• 4242/).check();
    await amount.press('Enter');
    await textOf(paymentState(), /Approved\. The payment is complete/);
    // Charged to the saved card: no link was shown, and the screen does not say "pay by link".
    await textOf(page.locator('.payment-card__meta'), /· saved card · visa •••• 4242$/);
    expect(await page.locator('.payment-card__meta').textContent()).not.toContain('pay by link');
    // Its details say so too (found in a cashier hunt: the timeline's first step read "pay by link").
    await page.keyboard.press('F5');
    const row = page.locator('tr', { hasText: '€15.00' }).filter({ hasText: 'Card •••• 4242' });
    await row.getByRole('button', { name: /Details/ }).click();
    const created = page.locator('li', { hasText: /Created — €15\.00/ });
    await textOf(created, /Created — €15\.00, automatic capture, order \S+, saved card$/);
    // Charged by the create itself: its timeline says so, with no later step to say it.
    await textOf(
      page.locator('li', { hasText: /Created at gateway — / }),
      /— pay_\w+ — charged at once, visa •••• 4242$/,
    );
    await page.keyboard.press('Escape');
  });

  it('an installment plan is created with its schedule, its first part paid on the page, and aborted', async () => {
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('30000');
    await page.getByLabel('Email', { exact: true }).fill('grace@example.com');
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    await page.getByLabel('Pay', { exact: true }).selectOption('3');
    // Enter in the Pay list charges, as in any field (found in a cashier hunt: Chromium opened the list).
    await page.getByLabel('Pay', { exact: true }).press('Enter');
    await page.getByRole('heading', { name: 'Installment plan' }).waitFor({ timeout: STATUS_TIMEOUT });
    await textOf(page.locator('.payment-state'), /€300\.00 in 3 installments for Grace Hopper: running/);
    expect(await page.locator('table.schedule tbody tr').count()).toBe(3);
    const url = (await page.locator('.pay-link__url').textContent())!.trim();
    await payOnPhone(url, '4242 4242 4242 4242');
    // The panel follows the host: the first part paid, its QR gone, the others still to come.
    await textOf(page.locator('table.schedule tbody tr'), /Paid/);
    // The counter is free: New payment (F1) has the focus, as after a link paid on screen.
    await expect
      .poll(() =>
        page.getByRole('button', { name: 'New payment (F1)' }).evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    expect(await page.locator('img.pay-link__qr').count()).toBe(0);
    expect(await page.locator('table.schedule tbody tr').nth(1).textContent()).toMatch(/Scheduled/);
    await textOf(page.locator('.payment-state'), /running/);
    await page.getByRole('button', { name: 'Abort plan' }).click();
    // Aborting cannot be undone: it is confirmed first, the focus on the confirmation (Enter aborts).
    const yes = page.getByRole('button', { name: 'Yes, abort the plan' });
    await yes.waitFor();
    expect(await yes.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.locator('.payment-state').textContent()).toMatch(/running/);
    await page.keyboard.press('Enter');
    await textOf(page.locator('.payment-state'), /aborted/);
    // The part paid is the till's own plan's, not a stranger's (found in a cashier hunt: its timeline
    // read "Adopted — created outside this till").
    await page.keyboard.press('F5');
    const part = page.locator('tr', { hasText: 'Installment 1 of 3' });
    await part.getByRole('button', { name: /Details/ }).click();
    const adopted = page.locator('li', { hasText: /Adopted — / });
    await textOf(adopted, /Adopted — made by the gateway for this till's installment plan \(pay_\w+\)$/);
    await page.keyboard.press('Escape');
  });

  it('switching back to PlutoPay loses nothing, and no key ever crossed the bridge', async () => {
    await page.keyboard.press('F7');
    await page.getByRole('radio', { name: /PlutoPay/ }).check();
    await page.getByRole('button', { name: /^Save/ }).click();
    await textOf(page.locator('.gateway-name'), /PlutoPay/);
    await page.keyboard.press('F5');
    // The PlutoPay list (no PayPlug payment in it), and the readers are back.
    await page.keyboard.press('F6');
    await textOf(page.locator('main'), /Simulated reader 1/);
    // The PayPlug payments are still in the till's journal.
    const list = wire.join('\n');
    expect(list).toContain('"gateway":"payplug"');
    const secrets = [payplug.secretKey, ...(await plutopayKeys(app))];
    expect(wire.flatMap((frame) => findKnownSecrets(frame, secrets))).toEqual([]);
  });
});

/** The embedded sandbox's PayPlug key, from its database (what the till uses and must never show). */
async function payplugKey(app: WebApp): Promise<string> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${app.dataDir}/sandbox.db`, { readonly: true });
  try {
    const rows = db.prepare('SELECT value FROM payplug_meta').all() as { value: string }[];
    const key = rows.map((r) => r.value).find((v) => /^sk_test_/.test(v));
    if (!key) throw new Error('no PayPlug key in the sandbox database');
    return key;
  } finally {
    db.close();
  }
}

async function plutopayKeys(app: WebApp): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${app.dataDir}/sandbox.db`, { readonly: true });
  try {
    const rows = db.prepare('SELECT value FROM meta').all() as { value: string }[];
    return rows.map((r) => r.value).filter((v) => /^(sk|pk)_test_/.test(v));
  } finally {
    db.close();
  }
}
