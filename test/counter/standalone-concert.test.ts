/**
 * A Concert terminal on the shop's own bank, end to end in the host over a real socat pty: the
 * emulator answers the purchase and the credit (transaction types 0 and 1), nothing reaches the
 * gateway, and the terminal's batch agrees with the journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveEmulator, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { pairTerminalOnPort, startTestHost, waitFor, type TestHost } from '../support/host';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('a standalone Concert terminal on a pty', () => {
  let pty: PtyPair;
  let terminal: ServedEmulator;
  let t: TestHost;

  beforeAll(async () => {
    pty = await createPtyPair();
    terminal = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'approve', delayMs: 100 } });
    t = await startTestHost({
      registry: createDefaultRegistry({ ports: [pty.b], serial: false, usb: false, pollIntervalMs: 200 }),
      defaultSimulatedReader: false,
    });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
    await terminal?.stop();
    await pty?.stop();
  });

  it('charges and refunds through the terminal; the gateway never hears of it', async () => {
    const paired = await pairTerminalOnPort(t, pty.b, 'Desk 5000', { standalone: true });
    const before = ((await t.api('GET', '/_sandbox/ledger')).json as { transactions: unknown[] }).transactions.length;

    const created = await t.call('payments.create', {
      amount: 1250,
      currency: 'EUR',
      orderReference: 'CONCERT-BANK-1',
      readerId: paired.id,
    });
    await t.call('payments.process', { paymentId: created.id, readerId: paired.id });
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 10_000);
    expect(paid).toMatchObject({ chargedBy: 'terminal', card: { brand: 'visa', last4: '0119' }, authCode: 'A00001' });
    // Made in test mode, but a real terminal charges through the shop's bank whatever the till's
    // mode: the receipt must not say that no money moved.
    for (const width of [32, 42] as const) {
      const receipt = await t.call('receipts.render', { paymentId: created.id, format: 'text', width });
      expect(receipt.content).not.toContain('NO MONEY MOVED');
      expect(receipt.content.replace(/[\s*]+/g, ' ').match(/TEST MODE — CHARGED BY THE SHOP'S BANK/g)).toHaveLength(2);
    }
    const page = await t.call('receipts.render', { paymentId: created.id, format: 'html', copy: 'merchant' });
    expect(page.document).not.toContain('NO MONEY MOVED');
    expect(page.document?.match(/TEST MODE — CHARGED BY THE SHOP&#39;S BANK/g)).toHaveLength(2);
    // Nor does the customer display, while it shows that payment.
    expect(await t.call('display.snapshot', {})).toMatchObject({
      paymentId: created.id,
      testMode: true,
      shopBankTerminal: true,
    });
    // Nor the day's test X report that counts it, on screen and on paper.
    const x = await t.call('reports.x', {});
    expect(x.testMode).toBe(true);
    expect(x.text).not.toContain('NO MONEY MOVED');
    expect(x.text.replace(/[\s*]+/g, ' ').match(/TEST MODE — CHARGED BY THE SHOP'S BANK/g)).toHaveLength(2);

    const refunded = await t.call('payments.refund', { paymentId: created.id, amount: 250 });
    expect(refunded).toMatchObject({ status: 'partially_refunded', amountRefunded: 250 });

    expect(terminal.emulator.requests.map((r) => [r.transactionType, r.amount, r.currencyNumeric])).toEqual([
      ['0', 1250, '978'],
      ['1', 250, '978'],
    ]);
    expect(terminal.emulator.batch()).toEqual([
      { transactionType: '0', currencyNumeric: '978', count: 1, amount: 1250 },
      { transactionType: '1', currencyNumeric: '978', count: 1, amount: 250 },
    ]);
    const after = ((await t.api('GET', '/_sandbox/ledger')).json as { transactions: unknown[] }).transactions.length;
    expect(after).toBe(before);
  });

  it('a refusal on the terminal is a decline; the terminal batch only counts approvals', async () => {
    const reader = (await t.call('readers.list', {})).find((r) => r.standalone)!;
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'refuse' };
    const created = await t.call('payments.create', { amount: 800, currency: 'EUR', readerId: reader.id });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    const declined = await t.waitForPayment(created.id, (p) => p.status === 'pending' && p.decline !== null, 10_000);
    expect(declined.decline?.code).toBe('card_declined');
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'approve' };
    expect(terminal.emulator.batch().find((b) => b.transactionType === '0')?.count).toBe(1);
  });

  it('charges and credits a payment only in the mode it was made in: the terminal moves real money', async () => {
    const reader = (await t.call('readers.list', {})).find((r) => r.standalone)!;
    const online = () =>
      waitFor(
        async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.status === 'online'),
        10_000,
        'the terminal online again',
      );
    const live = { mode: 'live', apiBaseUrl: 'https://127.0.0.1:9', embeddedSandbox: false };
    // A test payment the terminal refused: still open when the till goes live.
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'refuse' };
    const test = await t.call('payments.create', { amount: 900, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(test.id, (p) => p.status === 'pending' && p.decline !== null, 10_000);
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'approve' };
    const requests = () => terminal.emulator.requests.length;
    const asked = requests();

    await t.call('settings.update', live);
    await online();
    const refused = await t.fail('payments.process', { paymentId: test.id, readerId: reader.id });
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringMatching(/made in test mode/) });
    expect(requests()).toBe(asked);

    // A live payment, then back to test mode: its refund waits for live mode.
    const real = await t.call('payments.create', { amount: 1500, currency: 'EUR', readerId: reader.id });
    expect(await t.waitForPayment(real.id, (p) => p.status === 'succeeded', 10_000)).toMatchObject({ amount: 1500 });
    await t.call('settings.update', { mode: 'test', embeddedSandbox: true });
    await online();
    const charged = requests();
    expect(await t.fail('payments.refund', { paymentId: real.id, amount: 500 })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/made in live mode/),
    });
    expect(requests()).toBe(charged);
    expect((await t.waitForPayment(real.id, () => true)).amountRefunded).toBe(0);
    // In its own mode, the test payment goes to the terminal as before.
    await t.call('payments.process', { paymentId: test.id, readerId: reader.id });
    await t.waitForPayment(test.id, (p) => p.status === 'succeeded', 10_000);
  });
});
