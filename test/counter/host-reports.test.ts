/**
 * X and Z reports through the host against the sandbox: the Z's totals are the sandbox ledger's
 * for the day, a payment made at the gateway without the till is "gateway only", terminal totals
 * typed from a ticket are compared, a standalone terminal's payments are in the report but
 * not expected at the gateway, a live report counts live payments only, and a day is closed once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { maskKey } from '../../main/core/masking';
import { startSandbox } from '../../sandbox/index';
import { startTestHost, type TestHost } from '../support/host';
import { payplug, ShiftedClock, shiftedClockAt } from '../support/payplug';
import { waitFor } from '../support/host';

interface LedgerRow {
  id: string;
  status: string;
  amount: number;
  amount_captured: number;
  created_at: string;
  seeded: boolean;
}

describe('reports through the host', () => {
  let t: TestHost;
  /** A sandbox a test started itself, on its own clock. */
  let closeSandbox: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await t?.close();
    await closeSandbox?.();
    closeSandbox = undefined;
  });

  async function charge(amount: number, extra: Record<string, unknown> = {}, card?: string) {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount, currency: 'EUR', ...extra });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id, ...(card ? { cardNumber: card } : {}) });
    return t.waitForPayment(created.id, (p) => p.status === 'succeeded' || p.decline !== null);
  }

  /** A €42 sale made at the gateway without the till (the merchant's website, another till). */
  async function saleElsewhere(orderReference: string) {
    const direct = await t.api('POST', '/v1/transactions', {
      amount: 4200,
      currency: 'EUR',
      confirm: true,
      payment_method: '4242424242424242',
      metadata: { order_reference: orderReference },
    });
    expect(direct.status).toBe(201);
    return direct.json as { id: string; created_at: string };
  }

  it('X then Z: the totals are the ledger’s for the day; a sandbox-only payment is "gateway only"', async () => {
    t = await startTestHost();
    await t.call('settings.update', { tipping: true, timeZone: 'Europe/Paris' });
    const tipped = await charge(1250, { tip: { kind: 'percent', percent: 15 } });
    expect(tipped.status).toBe('succeeded');
    await charge(3000);
    const declined = await charge(2000, {}, '4000000000000077');
    expect(declined.decline?.code).toBe('insufficient_funds');
    // A payment made at the gateway without the till (the merchant's website, say).
    const directId = (await saleElsewhere('WEB-77')).id;

    const x = await t.call('reports.x', {});
    expect(x).toMatchObject({ kind: 'X', paymentCount: 3 });
    expect(x.totals).toEqual([
      expect.objectContaining({ approvedCount: 2, approvedAmount: 4438, tips: 188, declinedCount: 0, openCount: 1 }),
    ]);

    const reconciliation = await t.call('reports.reconcile', {});
    expect(reconciliation.gateway.compared).toBe(true);
    expect(reconciliation.differences).toEqual([
      expect.objectContaining({ cause: 'gateway_only', gatewayId: directId, orderReference: 'WEB-77' }),
    ]);

    // The declined payment is still open (the card could be tried again): the day waits for it.
    expect((await t.fail('reports.close', { closedBy: 'Ada' })).message).toContain(declined.orderReference);
    await t.call('payments.cancel', { paymentId: declined.id });

    // The Z cannot be closed without someone's name; with it, the day is closed and numbered.
    expect((await t.fail('reports.close', { closedBy: '' })).code).toBe('validation');
    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z.z).toMatchObject({ number: 1, valid: true });
    expect(z.reconciliation?.differences.map((d) => d.cause)).toEqual(['gateway_only']);

    // The Z's totals equal the sandbox ledger's for the same period (the till's payments).
    const ledger = ((await t.api('GET', '/_sandbox/ledger')).json as { transactions: LedgerRow[] }).transactions;
    const inDay = ledger.filter(
      (row) => !row.seeded && row.id !== directId && row.created_at >= z.start && row.created_at < z.end,
    );
    const approved = inDay.filter((row) =>
      ['succeeded', 'requires_capture', 'refunded', 'partially_refunded'].includes(row.status),
    );
    expect(z.totals[0]).toMatchObject({
      approvedCount: approved.length,
      approvedAmount: approved.reduce((sum, row) => sum + row.amount, 0),
      captured: approved.reduce((sum, row) => sum + row.amount_captured, 0),
    });
    // The next X starts from zero.
    const after = await t.call('reports.x', {});
    expect(after.kind).toBe('X');
    expect(after.paymentCount).toBe(0);
    expect((await t.call('reports.list', {}))[0]).toMatchObject({ number: 1, closedBy: 'Ada', valid: true });
    const csv = await t.call('reports.csv', { number: 1 });
    expect(csv.content.split('\r\n')[0]).toMatch(/^row_type,local_time,payment_id/);
  });

  it('"By reader" names a payment by link as such, beside the readers, also for its refund', async () => {
    // Found by a tester: payments by link were grouped under "(none)".
    t = await startTestHost();
    await charge(3000);
    const link = await t.call('payments.create', { amount: 1250, currency: 'EUR', channel: 'link' });
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(link.id, (p) => p.status === 'succeeded', 5_000);
    await t.call('payments.refund', { paymentId: link.id, amount: 250 });
    await t.waitForPayment(link.id, (p) => p.amountRefunded === 250, 5_000);
    const x = await t.call('reports.x', {});
    expect(x.byReader.map((g) => [g.key, g.approvedAmount])).toEqual([
      ['Pay by link', 1250],
      ['Simulated reader 1', 3000],
    ]);
    expect(x.byReader.find((g) => g.key === 'Pay by link')).toMatchObject({ refunded: 250, net: 1000 });
    expect(x.byReader.some((g) => g.key === '(none)')).toBe(false);
  });

  it('a part captured at the gateway behind the till’s back is a difference of the captured amount', async () => {
    // Reconciliation compared amount, currency, refunded and status, never what was captured: a
    // capture the till did not hear of (made on the gateway's dashboard, say) left the day's
    // Captured short with nothing naming the amount.
    t = await startTestHost();
    const reader = await t.onlineReader();
    const held = await t.call('payments.create', { amount: 5000, currency: 'EUR', captureMethod: 'manual' });
    await t.call('payments.process', { paymentId: held.id, readerId: reader.id });
    await t.waitForPayment(held.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    const authorised = await t.waitForPayment(held.id, (p) => p.status === 'requires_capture');
    const captured = await t.api('POST', `/v1/transactions/${authorised.transactionId}/capture`, { amount: 3000 });
    expect(captured.status).toBe(200);

    const reconciliation = await t.call('reports.reconcile', {});
    expect(reconciliation.ok).toBe(false);
    expect(reconciliation.differences).toContainEqual(
      expect.objectContaining({
        cause: 'amounts_differ',
        journalId: held.id,
        gatewayId: authorised.transactionId,
        message: 'captured: journal €0.00, gateway €30.00',
      }),
    );
  });

  it('a day that switched gateway is reconciled against each gateway’s own records, and kept with its Z', async () => {
    // The shop took a card on PlutoPay in the morning and switched to PayPlug in Settings at noon.
    // Only the active gateway's payments were compared: the morning's were never checked against
    // PlutoPay, and the Z kept a verdict that said nothing of them.
    t = await startTestHost();
    await t.call('settings.update', { timeZone: 'Europe/Paris' });
    const morning = await charge(1800);
    expect(morning.status).toBe('succeeded');
    await t.call('settings.update', { gateway: 'payplug' });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
    const link = await t.call('payments.create', { amount: 2500, currency: 'EUR', description: 'Lamp' });
    await payplug(t, 'POST', `/_sandbox/payments/${link.transactionId}/pay`, { card_number: '4242424242424242' });
    await t.waitForPayment(link.id, (p) => p.status === 'succeeded', 8_000);

    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z.reconciliation?.gateways).toEqual([
      expect.objectContaining({ name: 'plutopay', compared: true, payments: 1, matched: 1, differences: 0 }),
      expect.objectContaining({ name: 'payplug', compared: true, payments: 1, matched: 1, differences: 0 }),
    ]);
    expect(z.reconciliation).toMatchObject({ ok: true, gateway: { label: 'PlutoPay and PayPlug', compared: true } });
    expect(z.text).toMatch(/PlutoPay\s+agreed \(1\)/);
    expect(z.text).toMatch(/PayPlug\s+agreed \(1\)/);
    const csv = (await t.call('reports.csv', { number: 1 })).content.split('\r\n');
    expect(csv.filter((l) => l.startsWith('reconciliation,')).map((l) => l.split(',').slice(-3)[0])).toEqual([
      'PlutoPay',
      'PayPlug',
    ]);
  });

  it('a payment made on another account of the gateway is named apart, not "journal only"', async () => {
    // The shop charged a card on the embedded sandbox, then typed its own PlutoPay account in Settings.
    // The day was compared with the new account's list only: the sandbox's sale showed as missing at
    // the gateway, and the Z kept a difference that was none.
    const own = await startSandbox({ port: 0, db: ':memory:' });
    t = await startTestHost();
    try {
      const morning = await charge(1800);
      expect(morning.status).toBe('succeeded');
      await t.call('settings.update', { embeddedSandbox: false, apiBaseUrl: own.url, secretKey: own.secret_key });
      await waitFor(
        async () => (await t.call('session.snapshot', {})).connectivity.recovering === null,
        5_000,
        'recovery',
      );
      const link = await t.call('payments.create', { amount: 2500, currency: 'EUR', channel: 'link' });
      await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242' });
      await t.waitForPayment(link.id, (p) => p.status === 'succeeded');

      const apart =
        '1 payment of the period was made on another account (the embedded sandbox), not compared: the till ' +
        `now reads PlutoPay on the account at ${own.url} with the key ${maskKey(own.secret_key)}.`;
      const reconciliation = await t.call('reports.reconcile', {});
      expect(reconciliation.differences).toEqual([]);
      expect(reconciliation.gateways).toEqual([
        {
          name: 'plutopay',
          label: 'PlutoPay',
          compared: true,
          gap: null,
          note: apart,
          payments: 1,
          matched: 1,
          differences: 0,
          otherAccounts: 1,
        },
      ]);
      expect(reconciliation.ok).toBe(true);

      const z = await t.call('reports.close', { closedBy: 'Ada' });
      expect(z.reconciliation?.differences).toEqual([]);
      expect(z.text).toMatch(/PlutoPay\s+agreed \(1\)/);
      expect(z.text.replace(/\s+/g, ' ')).toContain('1 payment of the period was made on another account');
      expect(z.text).not.toMatch(/journal only/i);
      const csv = (await t.call('reports.csv', { number: 1 })).content.split('\r\n');
      expect(csv.filter((l) => l.startsWith('reconciliation,'))).toEqual([
        expect.stringContaining('agreed, 1 matched; 1 made on another account, not compared'),
      ]);
    } finally {
      await t.close();
      await own.close();
    }
  });

  it('refunding a payment another till took counts the refund here, not the sale', async () => {
    t = await startTestHost();
    const own = await charge(1500);
    expect(own.status).toBe('succeeded');
    // Taken elsewhere (another till on the same account, the website): the till first meets it
    // when the cashier refunds it by the gateway's id.
    const directId = (await saleElsewhere('WEB-88')).id;
    const refunded = await t.call('payments.refund', { paymentId: directId, amount: 700 });
    expect(refunded).toMatchObject({ orderReference: 'WEB-88', amountRefunded: 700 });

    const x = await t.call('reports.x', {});
    expect(x.paymentCount).toBe(1);
    expect(x.totals).toEqual([expect.objectContaining({ approvedCount: 1, approvedAmount: 1500, refunded: 700 })]);

    // The gateway's list has it as another's sale, not as a payment of this till that differs.
    const reconciliation = await t.call('reports.reconcile', {});
    expect(reconciliation.differences).toEqual([
      expect.objectContaining({ cause: 'gateway_only', gatewayId: directId, orderReference: 'WEB-88' }),
    ]);

    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z).toMatchObject({
      paymentCount: 1,
      totals: [expect.objectContaining({ approvedAmount: 1500, refunded: 700 })],
    });
    const csv = (await t.call('reports.csv', { number: 1 })).content.split('\r\n');
    expect(csv.filter((row) => row.startsWith('payment,'))).toHaveLength(1);
    expect(csv.filter((row) => row.startsWith('refund,') && row.includes('WEB-88'))).toHaveLength(1);
  });

  it('money another till moves on a payment this till looked up is not counted here', async () => {
    // Found hunting: this till refunded €7 of another till's sale and that till refunded €5 more;
    // once this till read the sale again (Details), its day counted the other till's €5 as its own
    // refund too: in both tills' Zs. What this till itself moves (a refund, a capture) counts here.
    t = await startTestHost();
    const sale = (await saleElsewhere('WEB-90')).id;
    await t.call('payments.refund', { paymentId: sale, amount: 700 });
    expect((await t.api('POST', `/v1/transactions/${sale}/refunds`, { amount: 500 })).status).toBe(201);
    expect((await t.call('transactions.get', { transactionId: sale })).transaction.amountRefunded).toBe(1200);

    const held = await t.api('POST', '/v1/transactions', {
      amount: 3000,
      currency: 'EUR',
      confirm: true,
      capture_method: 'manual',
      payment_method: '4242424242424242',
      metadata: { order_reference: 'WEB-91' },
    });
    const auth = (held.json as { id: string }).id;
    await t.call('payments.capture', { paymentId: auth, amount: 1000 });
    expect((await t.call('transactions.get', { transactionId: auth })).transaction.amountCaptured).toBe(1000);

    const x = await t.call('reports.x', {});
    expect(x).toMatchObject({ paymentCount: 0 });
    // What this till did: the €7 refund and the €10 capture; not the other till's €5 refund.
    expect(x.totals).toEqual([expect.objectContaining({ captured: 1000, refunded: 700, net: 300 })]);
  });

  it('a refund of all that is left of another till’s sale refunds what is left at the gateway, and counts that', async () => {
    // Found hunting: another till refunded €5 after this one had refunded €7 of it; "refund the rest"
    // here asked the gateway for the €35 the journal last knew of, which it refused (€30 was left).
    t = await startTestHost();
    const sale = (await saleElsewhere('WEB-92')).id;
    await t.call('payments.refund', { paymentId: sale, amount: 700 });
    expect((await t.api('POST', `/v1/transactions/${sale}/refunds`, { amount: 500 })).status).toBe(201);
    const refunded = await t.call('payments.refund', { paymentId: sale });
    expect(refunded).toMatchObject({ status: 'refunded', amountRefunded: 4200 });
    const x = await t.call('reports.x', {});
    // This till's €7 and the €30 it moved last; not the other till's €5.
    expect(x.totals).toEqual([expect.objectContaining({ captured: 0, refunded: 3700, net: -3700 })]);
  });

  it('a payment looked up to refund is dated when the gateway made it, not when this till saw it', async () => {
    // Found by a tester: another till's sale from the morning, refunded here in the afternoon, had
    // the afternoon's date on its receipt and at the top of today's transactions.
    const clock = new ShiftedClock();
    t = await startTestHost({ clock });
    const direct = await saleElsewhere('WEB-89');
    const made = direct.created_at;
    clock.offsetMs = 5 * 3_600_000;
    const refunded = await t.call('payments.refund', { paymentId: direct.id, amount: 700 });
    expect(refunded.createdAt).toBe(new Date(made).toISOString());
    await t.call('settings.update', { timeZone: 'UTC' });
    const receipt = await t.call('receipts.render', { paymentId: refunded.id, format: 'text', width: 42 });
    const dateLine = receipt.content.split('\n').find((line) => line.trim().startsWith('Date'));
    expect(dateLine).toContain(new Date(made).toISOString().slice(11, 16));
  });

  it('a test payment stays out of the live X and Z, and its receipt still says TEST MODE in live mode', async () => {
    t = await startTestHost();
    const test = await charge(1250);
    expect(test.status).toBe('succeeded');
    expect((await t.call('reports.x', {})).paymentCount).toBe(1);

    // The till goes live the same day (the live gateway is not reachable here; nothing needs it).
    await t.call('settings.update', { mode: 'live', apiBaseUrl: 'https://127.0.0.1:9', embeddedSandbox: false });
    const x = await t.call('reports.x', {});
    expect(x).toMatchObject({ testMode: false, paymentCount: 0, totals: [] });
    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z).toMatchObject({ testMode: false, paymentCount: 0, totals: [], z: { number: 1 } });
    const csv = await t.call('reports.csv', { number: 1 });
    expect(csv.content).not.toContain(test.id);

    const receipt = await t.call('receipts.render', { paymentId: test.id, copy: 'customer', format: 'text' });
    expect(receipt.testMode).toBe(true);
    expect(receipt.content).toContain('TEST MODE — NO MONEY MOVED');
  });

  it('a payment on the reader keeps the day open until it ends; the Z’s CSV stays what the Z says', async () => {
    t = await startTestHost();
    const early = await charge(3000);
    const reader = await t.onlineReader();
    const late = await t.call('payments.create', { amount: 1250, currency: 'EUR' });
    await t.call('payments.process', { paymentId: late.id, readerId: reader.id });
    await t.waitForPayment(late.id, (p) => p.readerStage === 'waiting_for_card');

    const refused = await t.fail('reports.close', { closedBy: 'Ada' });
    expect(refused).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/1 payment is still in progress/),
    });
    expect(refused.message).toContain(late.orderReference);
    expect(refused.issues).toEqual([{ path: `inFlight.${late.id}`, message: late.orderReference }]);
    // An override does not lift it: closing now would leave the payment's outcome out of every Z.
    const overridden = await t.fail('reports.close', { closedBy: 'Ada', override: { by: 'Eve', reason: 'late' } });
    expect(overridden.code).toBe('conflict');
    expect(await t.call('reports.list', {})).toEqual([]);

    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(late.id, (p) => p.status === 'succeeded');
    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z).toMatchObject({ paymentCount: 2 });
    expect(z.totals[0]).toMatchObject({ approvedCount: 2, approvedAmount: 4250, refunded: 0, net: 4250 });

    // A refund after the close changes the payment, not the closed day: the CSV is the Z's.
    await t.call('payments.refund', { paymentId: early.id, amount: 500 });
    await t.waitForPayment(early.id, (p) => p.amountRefunded === 500);
    const lines = (await t.call('reports.csv', { number: 1 })).content.split('\r\n');
    const header = lines[0]!.split(',');
    const cell = (line: string, column: string) => line.split(',')[header.indexOf(column)];
    const totals = lines.find((line) => line.startsWith('total,'))!;
    expect([cell(totals, 'refunded'), cell(totals, 'net')]).toEqual(['0.00', '42.50']);
    expect(
      cell(
        lines.find((line) => line.includes(early.id))!,
        'refunded',
      ),
    ).toBe('0.00');

    // It counts on the day it was made: the next business day's X, which has no sale of its own.
    const next = await t.call('reports.x', {});
    expect(next.date > z.date).toBe(true);
    expect(next).toMatchObject({ kind: 'X', paymentCount: 0 });
    expect(next.totals).toEqual([
      expect.objectContaining({ currency: 'EUR', payments: 0, captured: 0, refunded: 500, net: -500 }),
    ]);
    const nextLines = (await t.call('reports.csv', {})).content.split('\r\n');
    const refundRow = nextLines.find((line) => line.startsWith('refund,'))!;
    expect([cell(refundRow, 'payment_id'), cell(refundRow, 'refunded'), cell(refundRow, 'net')]).toEqual([
      early.id,
      '5.00',
      '-5.00',
    ]);
    // The Z is what it was.
    expect((await t.call('reports.get', { number: 1 })).totals[0]).toMatchObject({ refunded: 0, net: 4250 });
  });

  it('two closes at once close the day once; the other, and any close later that evening, is a conflict', async () => {
    // At noon, on the till and the sandbox: a run at 23:59:59 closed one day, then the next.
    const clock = shiftedClockAt(12);
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    closeSandbox = () => sandbox.close();
    t = await startTestHost({ sandbox, clock });
    await charge(1250);
    const [first, second] = await Promise.all([
      t.host.invoke('reports.close', { closedBy: 'Ada' }),
      t.host.invoke('reports.close', { closedBy: 'Ben' }),
    ]);
    expect(first).toMatchObject({ ok: true, value: { z: { number: 1 } } });
    // Refused at once while the first runs, not queued behind the gateway's answer.
    expect(second).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/being closed already \(by Ada\)/) },
    });
    const later = await t.fail('reports.close', { closedBy: 'Ada' });
    expect(later).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already closed/) });
    expect((await t.call('reports.list', {})).map((z) => z.number)).toEqual([1]);
  });

  it('terminal totals from the ticket are compared; a standalone terminal’s payments are not expected at the gateway', async () => {
    t = await startTestHost();
    const reader = await t.onlineReader();
    await t.call('readers.configure', { readerId: reader.id, standalone: true });
    await t.onlineReader();
    const created = await t.call('payments.create', { amount: 1800, currency: 'EUR', readerId: reader.id });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded');

    const agreeing = await t.call('reports.reconcile', {
      terminal: [{ readerId: reader.id, currency: 'EUR', count: 1, amount: 1800 }],
    });
    expect(agreeing).toMatchObject({ ok: true, standalone: 1 });
    expect(agreeing.totals).toEqual([
      expect.objectContaining({ currency: 'EUR', terminal: { count: 1, amount: 1800 } }),
    ]);
    const differing = await t.call('reports.reconcile', {
      terminal: [{ readerId: reader.id, currency: 'EUR', count: 2, amount: 2500 }],
    });
    expect(differing.differences).toEqual([expect.objectContaining({ cause: 'terminal_differs' })]);

    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z.byReader).toEqual([expect.objectContaining({ key: 'Simulated reader 1', approvedAmount: 1800 })]);
    expect(z.text).toContain('BY READER');
  });

  it("terminal totals for all readers are the till's terminals: the gateway's own readers are not in them", async () => {
    // Found in a defect hunt: "All readers" was compared with every card payment of the day, those on
    // the gateway's own (cloud) readers too, which no terminal's ticket counts: a false difference.
    t = await startTestHost();
    const reader = await t.onlineReader();
    await t.call('readers.pair', { registrationCode: 'simulated-counter-2', label: 'Cloud counter' });
    const cloud = await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.kind === 'cloud' && r.status === 'online'),
      3_000,
      'cloud reader',
    );
    const onTerminal = await t.call('payments.create', { amount: 1800, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(onTerminal.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(onTerminal.id, (p) => p.status === 'succeeded');
    const onCloud = await t.call('payments.create', { amount: 700, currency: 'EUR' });
    await t.call('payments.process', { paymentId: onCloud.id, readerId: cloud.id });
    await t.call('simulate.presentCard', { readerId: cloud.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(onCloud.id, (p) => p.status === 'succeeded');

    const all = await t.call('reports.reconcile', { terminal: [{ currency: 'EUR', count: 1, amount: 1800 }] });
    expect(all.differences).toEqual([]);
    expect(all).toMatchObject({ ok: true });
    // Shown like with like: the journal's payments sent to the gateway (the cloud reader's too) next
    // to the gateway's, and the terminals' own next to their ticket (a 2 next to a 1 read as a mismatch).
    expect(all.totals).toEqual([
      {
        currency: 'EUR',
        journal: { count: 2, amount: 2500 },
        gateway: { count: 2, amount: 2500 },
        terminal: { count: 1, amount: 1800 },
        terminalJournal: { count: 1, amount: 1800 },
      },
    ]);
    // A ticket that does differ is still told, against the terminals' payments only.
    const short = await t.call('reports.reconcile', { terminal: [{ currency: 'EUR', count: 1, amount: 1700 }] });
    expect(short.differences).toEqual([
      expect.objectContaining({
        cause: 'terminal_differs',
        message: expect.stringMatching(/all terminals: 1 approved for .*17\.00.*journal 1 for .*18\.00/),
      }),
    ]);
    // Totals named for one of the gateway's own readers are refused, saying why: no terminal ticket has them.
    expect(
      await t.fail('reports.reconcile', { terminal: [{ readerId: cloud.id, currency: 'EUR', count: 1, amount: 700 }] }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'terminal.0.readerId' }] });
  });
});
