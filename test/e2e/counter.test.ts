/**
 * The counter's whole day end to end, through the UI, in Chromium with two pages: the cashier's
 * and the customer display's (its own URL and token). The host runs in web mode with a receipt
 * printer emulated on one socat pty and a Concert terminal emulated on another.
 *
 *  1. A payment with a 15 % tip chosen on the customer page, approved with a simulated card: the
 *     amounts on both pages, and the receipt (its text, and the ESC/POS bytes the printer got)
 *     matching the golden files, once the per-run values (date, ids, auth code) are masked.
 *  2. A terminal charging through the shop's own bank: a payment on the Concert emulator.
 *  3. A payment made directly at the sandbox shows as "gateway only" in the reconciliation.
 *  4. The X report, then the Z report: its totals are the sandbox ledger's for the till's payments
 *     of the day, plus the terminal's, which the Z lists by reader.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyPrinterEmulator, type PtyPrinterEmulator } from '../../drivers/printers/emulator';
import { serveEmulator, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { expectGolden, hexDump } from '../counter/golden';
import { hasTool } from '../support/tools';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const TIMEOUT = 15_000;

/** The embedded sandbox's PlutoPay secret key, read from its database (what a merchant's server holds). */
async function sandboxSecretKey(app: WebApp): Promise<string> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${app.dataDir}/sandbox.db`, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    for (const { name } of tables) {
      if (/^(payplug|plural)_/.test(name)) continue;
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        const key = Object.values(row).find((v) => typeof v === 'string' && /^sk_test_/.test(v));
        if (typeof key === 'string') return key;
      }
    }
    throw new Error('no sandbox secret key');
  } finally {
    db.close();
  }
}

/**
 * The per-run values of a receipt (local date and time, payment id, gateway reference, auth code)
 * replaced by placeholders of the same length, so the layout — and the bytes — stay comparable.
 */
/** Buttons and fields of the screen shorter than a touch target (48 px), as [text or label, height]. */
async function belowTouchTarget(page: Page): Promise<(string | number | null)[][]> {
  return page
    .locator(
      'main button:visible, main select:visible, main textarea:visible, main input:visible:not([type=radio]):not([type=checkbox])',
    )
    .evaluateAll((elements) =>
      elements
        .map((e) => [e.textContent || e.id, Math.round(e.getBoundingClientRect().height)])
        .filter(([, height]) => Number(height) < 48),
    );
}

function maskReceipt(text: string): { mask: (s: string) => string } {
  const value = (label: string) => new RegExp(`^${label} +(\\S.*\\S)$`, 'm').exec(text)?.[1];
  const date = value('Date');
  const payment = value('Payment');
  const reference = value('Gateway ref');
  const auth = value('Auth code');
  if (!date || !payment || !reference || !auth) throw new Error(`receipt without its values:\n${text}`);
  const same = (source: string, fill: string) => fill.repeat(source.length).slice(0, source.length);
  const pairs: [string, string][] = [
    [date, '2000-01-01 00:00 +00:00'.padEnd(date.length, '0').slice(0, date.length)],
    [payment, `pay_${same(payment.slice(4), 'X')}`],
    [reference, `txn_${same(reference.slice(4), 'X')}`],
    [auth, same(auth, 'A')],
  ];
  return {
    mask: (s) => pairs.reduce((out, [from, to]) => out.split(from).join(to), s),
  };
}

describe.skipIf(!e2eAvailable() || !hasTool('socat'))('the counter’s day end to end (Chromium, two pages)', () => {
  let printer: PtyPrinterEmulator;
  let terminalPty: PtyPair;
  let terminal: ServedEmulator;
  let app: WebApp;
  let browser: Browser;
  let cashier: Page;
  let customer: Page;
  let receiptText = '';

  beforeAll(async () => {
    printer = await startPtyPrinterEmulator();
    terminalPty = await createPtyPair();
    terminal = serveEmulator(await openSerialTransport(terminalPty.a), {
      script: { outcome: 'approve', delayMs: 200 },
    });
    app = await startWebApp({ args: ['--reader-port', terminalPty.b] });
    browser = await launchBrowser();
    cashier = (await openApp(browser, app)).page;
    await cashier.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    customer = await context.newPage();
    await customer.goto(app.displayUrl);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await terminal?.stop();
    await terminalPty?.stop();
    await printer?.stop();
  });

  async function status(page: Page, text: RegExp) {
    await expect
      .poll(async () => (await page.locator('.payment-state[role=status]').first().textContent()) ?? '', {
        timeout: TIMEOUT,
      })
      .toMatch(text);
  }

  async function amountOnDisplay(text: string) {
    await expect
      .poll(
        async () =>
          (await customer
            .getByTestId('display-amount')
            .textContent()
            .catch(() => '')) ?? '',
        {
          timeout: TIMEOUT,
        },
      )
      .toBe(text);
  }

  it('sets up the counter: the shop, its zone, tipping and the receipt printer; the display connects', async () => {
    await cashier.keyboard.press('F7');
    const form = cashier.getByRole('form', { name: 'Counter' });
    await form.getByLabel('Shop name on receipts').fill('Café des Arts');
    await form.getByLabel('Address (one line each)').fill('12 rue de la Paix\n75002 Paris');
    await form.getByLabel('Receipt footer (one line each)').fill('Merci et à bientôt !');
    await form.getByLabel('Time zone').fill('Europe/Paris');
    await form.getByRole('checkbox', { name: /Ask for a tip/ }).check();
    // A port typed wrong is saved (a printer may be switched on later), and said at once next to the field.
    await form.getByLabel('Serial port').fill('not a port');
    await form.getByRole('button', { name: 'Apply counter settings' }).click();
    await form.getByText('Counter settings saved.').waitFor({ timeout: TIMEOUT });
    const problem = form.locator('#printer-port-problem');
    await expect
      .poll(async () => (await problem.textContent().catch(() => '')) ?? '', { timeout: TIMEOUT })
      .toMatch(/^Saved, but nothing prints there\. The receipt printer does not answer .*: cannot open not a port: /);
    expect(await form.getByLabel('Serial port').getAttribute('aria-describedby')).toContain('printer-port-problem');
    await form.getByLabel('Serial port').fill(printer.path);
    await form.getByLabel('Print by itself after an approval').selectOption('customer');
    // Every field is a touch target, typed or not (found by a tester: the counter's text fields were 24 px).
    expect(await belowTouchTarget(cashier)).toEqual([]);
    await form.getByRole('button', { name: 'Apply counter settings' }).click();
    await form.getByText('Counter settings saved.').waitFor({ timeout: TIMEOUT });
    await expect.poll(() => problem.count(), { timeout: TIMEOUT }).toBe(0);
    await customer.getByRole('heading', { name: 'Welcome to Café des Arts' }).waitFor({ timeout: TIMEOUT });
    await cashier.getByText('Customer display: connected').waitFor({ timeout: TIMEOUT });
  });

  it('1. a 15 % tip chosen on the customer page, approved with a simulated card; the receipt is golden', async () => {
    await cashier.keyboard.press('F1');
    const amount = cashier.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('1250');
    await cashier.getByLabel('Order reference').fill('E2E-TIP-1');
    await cashier.getByLabel('Currency').selectOption('EUR');
    // A customer display is connected: the customer chooses the tip.
    expect(await cashier.getByRole('radio', { name: /customer chooses/ }).isChecked()).toBe(true);
    await amount.press('Enter');
    await cashier.getByText(/Waiting for the customer to choose a tip/).waitFor({ timeout: TIMEOUT });

    await amountOnDisplay('€12.50');
    await customer.getByRole('button', { name: /^15 %/ }).click();
    await amountOnDisplay('€14.38');
    await customer.getByText('€12.50 + tip €1.88').waitFor({ timeout: TIMEOUT });
    await customer.getByText('Present your card on the reader.').waitFor({ timeout: TIMEOUT });
    await status(cashier, /Waiting for card/);
    expect(await cashier.locator('.payment-card__amount').textContent()).toBe('€14.38');
    expect(await cashier.locator('.payment-card__tip').textContent()).toBe('€12.50 + tip €1.88 (15 %)');

    await cashier.keyboard.press('F3');
    await cashier.getByRole('radio', { name: /Visa — approved/ }).check();
    await cashier.getByRole('button', { name: 'Present card' }).click();
    await cashier.keyboard.press('F2');
    await status(cashier, /Approved\. The payment is complete/);
    await customer.getByText('Approved. Thank you!').waitFor({ timeout: TIMEOUT });
    await amountOnDisplay('€14.38');

    // The customer copy went to the printer by itself.
    const panel = cashier.getByRole('region', { name: 'Receipt' });
    await panel.getByText(/^Receipt printed/).waitFor({ timeout: TIMEOUT });
    await panel.getByRole('button', { name: 'Show receipt' }).click();
    receiptText = (await panel.getByLabel('Receipt preview').textContent()) ?? '';
    const { mask } = maskReceipt(receiptText);
    expectGolden('e2e/tip-receipt.w42.txt', mask(receiptText));
    const printed = Buffer.from(printer.emulator.printed).toString('latin1');
    expectGolden('e2e/tip-receipt.escpos.hex', hexDump(Uint8Array.from(Buffer.from(mask(printed), 'latin1'))));
    expect(printer.emulator.paper().cuts).toBe(1);
  });

  it('2. a terminal on the shop’s own bank: paired, switched, and charged through the Concert emulator', async () => {
    await cashier.keyboard.press('F6');
    const found = cashier.getByRole('article').filter({ hasText: terminalPty.b });
    await found.getByRole('button', { name: 'Pair' }).click({ timeout: TIMEOUT });
    const paired = cashier
      .getByRole('article', { name: /Concert|Ingenico/ })
      .filter({ has: cashier.getByRole('button', { name: 'Reconnect' }) });
    // The switch shows the host's word: it turns on once the host has changed the reader.
    const own = paired.getByRole('checkbox', { name: /charges through its own bank/ });
    await own.click({ timeout: TIMEOUT });
    await paired.getByRole('button', { name: /^Yes: .* charges through the shop's own bank$/ }).click();
    await expect.poll(() => own.isChecked(), { timeout: TIMEOUT }).toBe(true);
    await expect
      .poll(async () => (await paired.getByRole('status').textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/^Online/);

    await cashier.keyboard.press('F1');
    const amount = cashier.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('800');
    await cashier.getByLabel('Order reference').fill('E2E-BANK-1');
    const reader = cashier.getByLabel('Reader', { exact: true });
    const label = await reader.locator('option', { hasText: "shop's own bank" }).textContent({ timeout: TIMEOUT });
    await reader.selectOption({ label: label ?? '' });
    await amount.press('Enter');
    await amountOnDisplay('€8.00');
    await customer.getByRole('button', { name: 'No tip' }).click();
    await status(cashier, /Approved\. The payment is complete/);
    await cashier.getByText(/Charged by the terminal through the shop's own bank/).waitFor({ timeout: TIMEOUT });
    expect(terminal.emulator.requests.at(-1)).toMatchObject({
      amount: 800,
      currencyNumeric: '978',
      transactionType: '0',
    });
  });

  it('3–4. the X report, a sandbox-only payment "gateway only", then the Z report equal to the ledger', async () => {
    const key = await sandboxSecretKey(app);
    const direct = await fetch(`${app.sandboxUrl}/v1/transactions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        amount: 4200,
        currency: 'EUR',
        confirm: true,
        payment_method: '4242424242424242',
        metadata: { order_reference: 'WEB-77' },
      }),
    });
    expect(direct.status).toBe(201);
    const directId = ((await direct.json()) as { id: string }).id;

    await cashier.keyboard.press('F9');
    const totals = cashier.getByRole('table', { name: 'Totals EUR' });
    await expect
      .poll(async () => (await totals.getByRole('row', { name: /Approved/ }).textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/Approved \(2\)€22\.38/);
    expect(await totals.getByRole('row', { name: /Tips/ }).textContent()).toContain('€1.88');
    // Every button and field of the screen is a touch target (found by a tester: "Show as printed" was 32 px).
    expect(await belowTouchTarget(cashier)).toEqual([]);

    await cashier.getByRole('button', { name: 'Reconcile' }).click();
    const differences = cashier.getByRole('table', { name: 'Differences' });
    await differences.waitFor({ timeout: TIMEOUT });
    expect(await differences.getByRole('row').filter({ hasText: 'WEB-77' }).textContent()).toMatch(/^Gateway only/);
    await cashier.getByText(/1 payment charged through the shop's own bank/).waitFor({ timeout: TIMEOUT });

    const close = cashier.getByRole('form', { name: /Close the day/ });
    await close.getByLabel('Closed by').fill('Ada');
    await close.getByRole('button', { name: 'Close the day' }).click();
    await cashier.getByText('Day closed: Z report No. 1.').waitFor({ timeout: TIMEOUT });
    const z = cashier.getByRole('region', { name: 'Z report 1' });
    const zApproved =
      (await z
        .getByRole('table', { name: 'Totals EUR' })
        .getByRole('row', { name: /Approved/ })
        .textContent()) ?? '';
    expect(zApproved).toMatch(/Approved \(2\)€22\.38/);
    const byReader = z.getByRole('table', { name: 'By reader' });
    expect(
      await byReader
        .getByRole('row')
        .filter({ hasText: /Concert|Ingenico|Terminal/ })
        .textContent(),
    ).toContain('€8.00');

    // The ledger of the day: the till's gateway payments (not the one made without the till) are
    // exactly what the Z counts as charged through the gateway; the terminal's €8.00 is the rest.
    const ledger = (await (
      await fetch(`${app.sandboxUrl}/_sandbox/ledger`, { headers: { Authorization: `Bearer ${key}` } })
    ).json()) as {
      transactions: {
        id: string;
        status: string;
        amount: number;
        amount_captured: number;
        seeded: boolean;
        created_at: string;
      }[];
    };
    const today = ledger.transactions.filter((t) => !t.seeded && t.id !== directId);
    const approved = today.filter((t) =>
      ['succeeded', 'requires_capture', 'refunded', 'partially_refunded'].includes(t.status),
    );
    expect(approved.map((t) => t.amount)).toEqual([1438]);
    expect(approved.reduce((sum, t) => sum + t.amount_captured, 0) + 800).toBe(2238);
    const captured =
      (await z
        .getByRole('table', { name: 'Totals EUR' })
        .getByRole('row', { name: /Captured/ })
        .textContent()) ?? '';
    expect(captured).toContain('€22.38');

    // The next business day starts from zero.
    await cashier.getByRole('button', { name: 'Show X report' }).click();
    await cashier.getByText('No payments in this period.').waitFor({ timeout: TIMEOUT });
  });

  it('5. the customer display reloaded mid-payment still offers the tip; with the till gone it says so', async () => {
    await cashier.keyboard.press('F1');
    const amount = cashier.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('2000');
    await amount.press('Enter');
    await cashier.getByText(/Waiting for the customer to choose a tip/).waitFor({ timeout: TIMEOUT });
    await amountOnDisplay('€20.00');
    await customer.reload();
    await amountOnDisplay('€20.00');
    const tenPercent = customer.getByRole('button', { name: /^10 %/ });
    expect(await tenPercent.isEnabled({ timeout: TIMEOUT })).toBe(true);

    // The till stops (closed, crashed, restarting): the display does not go on as if nothing happened.
    const exited = new Promise((resolve) => app.process.once('exit', resolve));
    app.process.kill('SIGTERM');
    await exited;
    await customer
      .getByText('One moment, please: this screen has lost the connection to the till.', { exact: false })
      .waitFor({ timeout: TIMEOUT });
    expect(await tenPercent.isDisabled()).toBe(true);
  });
});
