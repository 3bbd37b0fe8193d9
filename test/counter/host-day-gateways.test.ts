/**
 * The counter's day on PayPlug and Plural through the host, against the embedded sandbox: what the
 * receipts, the customer display and the reports say about payments by link, saved cards,
 * installments and shares — found by exercising them beyond PlutoPay's card payments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { displayShows, waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill, ShiftedClock, shiftedClockAt } from '../support/payplug';
import { payOrder, pluralTill } from '../support/plural';

const ada = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };

describe('the counter’s day on PayPlug and Plural', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A PayPlug till and its sandbox on one wall clock the test moves. */
  async function payplugDay(
    planPollMs?: number,
  ): Promise<{ t: TestHost; clock: ShiftedClock; stopGateway: () => Promise<void> }> {
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    let stopped: Promise<void> | null = null;
    const stopGateway = () => (stopped ??= sandbox.close());
    cleanup.push(stopGateway);
    const t = await payplugTill(sandbox, { clock, ...(planPollMs ? { tuning: { planPollMs } } : {}) });
    cleanup.push(() => t.close());
    await t.call('settings.update', { timeZone: 'Europe/Paris' });
    return { t, clock, stopGateway };
  }

  const receipt = async (t: TestHost, paymentId: string, copy: 'customer' | 'merchant' = 'customer', width = 42) =>
    (await t.call('receipts.render', { paymentId, copy, format: 'text', width })).content;

  it('a PayPlug link that expired unpaid is not "declined": no card was refused, and the customer is told so', async () => {
    const { t, clock } = await payplugDay();
    const link = await t.call('payments.create', { amount: 2100, currency: 'EUR', channel: 'link' });
    expect((await displayShows(t, 'qr')).payUrl).toBe(link.payUrl);
    // PayPlug's page lasts 15 minutes.
    clock.offsetMs = 16 * 60_000;
    const expired = await t.waitForPayment(link.id, (p) => p.status === 'failed', 5_000);
    expect(expired.decline?.code).toBe('link_expired');

    const shown = await displayShows(t, 'declined');
    expect(shown.message).toBe('The payment link has expired. No money was taken.');

    const text = await receipt(t, link.id);
    expect(text).toMatch(/^ +NOT COMPLETED$/m);
    expect(text).not.toContain('DECLINED');
    // The customer's words, not the cashier's instruction ("Start a new payment…").
    expect(text.replace(/\s+/g, ' ')).toContain('Reason: The payment page expired before it was paid. (link_expired)');
    expect(text).not.toContain('Start a new payment');
    expect(text).toMatch(/^ +NO MONEY WAS TAKEN$/m);
  });

  it('"By reader": a link whose customer saved their card is a payment by link; the saved card charged later is not', async () => {
    const { t } = await payplugDay();
    const first = await t.call('payments.create', { amount: 2000, currency: 'EUR', saveCard: true, customer: ada });
    await payplug(t, 'POST', `/_sandbox/payments/${first.transactionId}/pay`, {
      card_number: '4242424242424242',
      exp_month: 12,
      exp_year: 2030,
      save_card: true,
    });
    await t.waitForPayment(first.id, (p) => p.status === 'succeeded', 5_000);
    const card = await waitFor(
      async () => (await t.call('savedCards.list', { customer: ada.email }))[0],
      5_000,
      'card',
    );
    const charged = await t.call('payments.create', {
      amount: 1600,
      currency: 'EUR',
      customer: ada,
      savedCardId: card.cardId,
    });
    await t.waitForPayment(charged.id, (p) => p.status === 'succeeded', 5_000);
    await t.call('payments.refund', { paymentId: first.id, amount: 500 });
    await t.waitForPayment(first.id, (p) => p.amountRefunded === 500, 5_000);

    const x = await t.call('reports.x', {});
    expect(x.byReader.map((g) => [g.key, g.approvedCount, g.approvedAmount, g.refunded])).toEqual([
      ['Pay by link', 1, 2000, 500],
      ['Saved card (no reader)', 1, 1600, 0],
    ]);
    const csv = (await t.call('reports.csv', {})).content.split('\r\n');
    expect(csv.find((row) => row.includes(first.id))).toContain(',Pay by link,PayPlug,');
    expect(csv.find((row) => row.includes(charged.id))).toContain(',Saved card (no reader),PayPlug,');
  });

  it('"By reader": the parts of an installment plan say which part they are; only the first was paid by link', async () => {
    // Found in a review: every part of a plan was "Pay by link", though PayPlug charges the later
    // parts by itself on the card the first was paid with; the customer paid only the first by link.
    const { t, clock } = await payplugDay(100);
    const plan = await t.call('installments.create', {
      amount: 9000,
      currency: 'EUR',
      count: 3,
      customer: ada,
      orderReference: 'SOFA-3',
    });
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    const due = plan.schedule[1]!.date;
    // 10:00 on the second part's date: PayPlug charged it at 00:00 (01:00 in Paris), by itself.
    clock.offsetMs = Date.parse(`${due}T10:00:00Z`) - Date.now();
    const payments = () => t.call('payments.list', { filter: 'all', limit: 50 });
    const second = await waitFor(
      async () => (await payments()).find((p) => p.orderReference === 'SOFA-3#2' && p.status === 'succeeded'),
      5_000,
      'the second part in the journal',
    );
    const first = (await payments()).find((p) => p.orderReference === 'SOFA-3#1')!;
    expect(first).toMatchObject({ status: 'succeeded', installment: { part: 1, of: 3 } });
    expect(second.installment).toEqual({ part: 2, of: 3 });
    await t.call('payments.refund', { paymentId: second.id, amount: 1000 });
    await t.waitForPayment(second.id, (p) => p.amountRefunded === 1000, 5_000);

    // No Z yet: the open period holds both days.
    const x = await t.call('reports.x', { date: due });
    expect(x.byReader.map((g) => [g.key, g.approvedCount, g.approvedAmount, g.refunded])).toEqual([
      ['Installment 1 of 3 (by link)', 1, 3000, 0],
      ['Installment 2 of 3', 1, 3000, 1000],
    ]);
    const csv = (await t.call('reports.csv', { date: due })).content.split('\r\n');
    expect(csv.find((row) => row.includes(first.id))).toContain(',Installment 1 of 3 (by link),PayPlug,');
    expect(csv.find((row) => row.includes(second.id))).toContain(',Installment 2 of 3,PayPlug,');
    // The receipt already said which part it is, and names no reader.
    const text = await receipt(t, second.id);
    expect(text).toMatch(/Installment 2 of 3/);
    expect(text).not.toMatch(/Pay by link|Reader/);
  });

  it('"By reader": a plan aborted before its first part was paid leaves no row of zeros', async () => {
    // Found in a cashier-day hunt on PayPlug: each plan whose first link expired or was aborted added
    // "Installment 1 of 4 (by link) 0 · €0.00 …" to the X report, rows of zeros "By card brand" left off.
    const { t } = await payplugDay();
    const paid = await t.call('payments.create', { amount: 2500, currency: 'EUR', channel: 'link' });
    await payplug(t, 'POST', `/_sandbox/payments/${paid.transactionId}/pay`, { card_number: '4242424242424242' });
    await t.waitForPayment(paid.id, (p) => p.status === 'succeeded', 5_000);
    const plan = await t.call('installments.create', { amount: 40_000, currency: 'EUR', count: 4, customer: ada });
    await t.call('installments.abort', { planId: plan.id });
    const part = plan.schedule[0]!.paymentIds[0]!;
    await waitFor(
      async () =>
        (await t.call('payments.list', { filter: 'all', limit: 50 })).some(
          (p) => p.transactionId === part && p.status === 'canceled',
        ),
      5_000,
      'the first part canceled with its plan',
    );
    const x = await t.call('reports.x', {});
    expect(x.totals[0]).toMatchObject({ payments: 2, approvedCount: 1, canceledCount: 1 });
    expect(x.byReader.map((g) => [g.key, g.approvedCount, g.approvedAmount])).toEqual([['Pay by link', 1, 2500]]);
  });

  it('a website sale paid by link and refunded at the till is a payment by link, not "(none)"', async () => {
    // Found in a hunt: a payment taken in after it was paid was journaled as card-present (its page
    // was gone), so its refund counted under "(none)" and the journal's list called it "Terminal".
    const { t, stopGateway } = await payplugDay();
    const web = (await payplug(t, 'POST', '/v1/payments', { amount: 4200, currency: 'EUR' })).json as { id: string };
    await payplug(t, 'POST', `/_sandbox/payments/${web.id}/pay`, { card_number: '4242424242424242' });
    const refunded = await t.call('payments.refund', { paymentId: web.id, amount: 1200 });
    await t.waitForPayment(refunded.id, (p) => p.amountRefunded === 1200, 5_000);
    expect(refunded.channel).toBe('link');
    const x = await t.call('reports.x', {});
    expect(x.byReader.map((g) => [g.key, g.refunded])).toEqual([['Pay by link', 1200]]);
    await stopGateway();
    const offline = await t.call('transactions.list', {});
    expect(offline.data.map((row) => [row.id, row.paymentMethodType])).toEqual([[web.id, 'link']]);
  });

  it('Transactions: the parts of an installment plan say which part they are, from the gateway or the journal', async () => {
    // Found in a review: the journal's list (the gateway down) showed every part as "Link".
    const { t, clock, stopGateway } = await payplugDay(100);
    const plan = await t.call('installments.create', {
      amount: 9000,
      currency: 'EUR',
      count: 3,
      customer: ada,
      orderReference: 'SOFA-4',
    });
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    clock.offsetMs = Date.parse(`${plan.schedule[1]!.date}T10:00:00Z`) - Date.now();
    const second = await waitFor(
      async () =>
        (await t.call('payments.list', { filter: 'all', limit: 50 })).find(
          (p) => p.orderReference === 'SOFA-4#2' && p.status === 'succeeded',
        ),
      5_000,
      'the second part in the journal',
    );
    const rows = async () =>
      (await t.call('transactions.list', {})).data.map((row) => [
        row.orderReference,
        row.paymentMethodType,
        row.installment,
      ]);
    const expected = [
      ['SOFA-4#2', 'card', { part: 2, of: 3 }],
      ['SOFA-4#1', 'link', { part: 1, of: 3 }],
    ];
    expect(await rows()).toEqual(expected);
    expect(
      (await t.call('transactions.get', { transactionId: second.transactionId! })).transaction.installment,
    ).toEqual({
      part: 2,
      of: 3,
    });
    await stopGateway();
    const offline = await t.call('transactions.list', {});
    expect(offline.offline).toBe(true);
    expect(await rows()).toEqual(expected);
    const detail = await t.call('transactions.get', { transactionId: second.transactionId! });
    expect(detail.offline).toBe(true);
    expect(detail.transaction).toMatchObject({ paymentMethodType: 'card', installment: { part: 2, of: 3 } });
    // The method filters agree with the rows' labels, counted and paged in the journal (found in a
    // review: "Link" listed the later part, labelled "card", and "Card" listed nothing).
    const filtered = async (paymentMethodType: 'link' | 'card' | 'terminal', search?: string) => {
      const page = await t.call('transactions.list', { paymentMethodType, size: 1, ...(search ? { search } : {}) });
      return {
        rows: page.data.map((row) => [row.orderReference, row.paymentMethodType]),
        total: page.meta.total,
        lastPage: page.meta.lastPage,
      };
    };
    expect(await filtered('link')).toEqual({ rows: [['SOFA-4#1', 'link']], total: 1, lastPage: 1 });
    expect(await filtered('card')).toEqual({ rows: [['SOFA-4#2', 'card']], total: 1, lastPage: 1 });
    expect(await filtered('terminal')).toEqual({ rows: [], total: 0, lastPage: 1 });
    expect(await filtered('card', 'SOFA-4')).toEqual({ rows: [['SOFA-4#2', 'card']], total: 1, lastPage: 1 });
    expect(await filtered('link', 'SOFA-4')).toEqual({ rows: [['SOFA-4#1', 'link']], total: 1, lastPage: 1 });
  });

  it('a Plural split payment: the merchant copy lists the shares as released, refunded and held; the customer copy does not', async () => {
    // Made at 13:24 UTC, as any run during about two minutes of a day is: Plural's order id
    // (v1-YYMMDDhhmmss-…), which the customer copy shows as the gateway's reference, then holds
    // 1324, the held share's merchant id.
    const clock = shiftedClockAt(13, 24);
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await pluralTill({ sandbox, clock });
    cleanup.push(() => t.close());
    await t.call('settings.update', { timeZone: 'Asia/Kolkata' });
    // ₹10 lakh, Plural's largest: ₹6 lakh held for stall 7, ₹4 lakh settled at once to 1233.
    const created = await t.call('payments.create', {
      amount: 100_000_000,
      currency: 'INR',
      orderReference: 'COURT-9',
      splits: [
        { merchantId: '1324', settlementReference: 'stall-7', amount: 60_000_000, onHold: true },
        { merchantId: '1233', amount: 40_000_000 },
      ],
    });
    await payOrder(t, created.transactionId!);
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded' && p.splits[0]?.next.length === 2);
    const [held, settled] = paid.splits;
    // Released in part: the rest (₹1 lakh) goes back to the customer, not recovered from the merchant.
    await t.call('settlements.release', { paymentId: paid.id, splitId: held!.id!, amount: 50_000_000 });
    await t.call('payments.refund', { paymentId: paid.id, splits: [{ splitId: settled!.id!, amount: 50_000 }] });
    await t.waitForPayment(paid.id, (p) => p.amountRefunded === 10_050_000, 8_000);

    const merchant = await receipt(t, paid.id, 'merchant', 42);
    expect(merchant).toMatch(/^TOTAL +₹10,00,000\.00$/m);
    expect(merchant).toMatch(/^NET +₹8,99,500\.00$/m);
    const shares = merchant.slice(merchant.indexOf('SHARES'));
    expect(shares).toMatch(
      /^1324 \(stall-7\) +₹6,00,000\.00\n {2}Released +₹5,00,000\.00\n {2}Refunded +−₹1,00,000\.00\n1233 +₹4,00,000\.00\n {2}Released +₹4,00,000\.00\n {2}Refunded +−₹500\.00$/m,
    );
    const customer = await receipt(t, paid.id, 'customer', 42);
    expect(customer).not.toContain('SHARES');
    // No share's line (a merchant's id starts it): the id's digits alone may be in the gateway's reference.
    expect(customer).not.toMatch(/^(1324|1233)\b/m);
    expect(customer).not.toContain('stall-7');
    expect(customer).toMatch(/^NET +₹8,99,500\.00$/m);

    // A share still held says so.
    const other = await t.call('payments.create', {
      amount: 50_000,
      currency: 'INR',
      orderReference: 'COURT-10',
      splits: [
        { merchantId: '1324', amount: 30_000, onHold: true },
        { merchantId: '1233', amount: 20_000 },
      ],
    });
    await payOrder(t, other.transactionId!);
    await t.waitForPayment(other.id, (p) => p.status === 'succeeded' && p.splits[0]?.next.length === 2);
    expect(await receipt(t, other.id, 'merchant', 32)).toMatch(
      /^1324 +₹300\.00\n {2}Held +₹300\.00\n1233 +₹200\.00\n {2}Released +₹200\.00$/m,
    );
  });

  it('a Plural link left unpaid is taken off the customer display by the cashier, and only that one', async () => {
    // Found in a defect hunt: Plural can neither withdraw an unpaid link nor let it expire, and the
    // cashier's screen said to take the code down, but the customer display kept its QR and amount
    // up for the next customer to scan, until the next payment was started.
    const dataDir = mkdtempSync(join(tmpdir(), 'pos-takedown-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    let t = await pluralTill({ sandbox, dataDir });
    const left = await t.call('payments.create', { amount: 125_000, currency: 'INR', orderReference: 'LEFT-1' });
    expect(await displayShows(t, 'qr')).toMatchObject({ paymentId: left.id, amount: 125_000 });
    expect(await t.call('display.takeDown', { paymentId: left.id })).toMatchObject({
      phase: 'idle',
      paymentId: null,
      amount: null,
      payUrl: null,
    });
    // Down for good: a restart does not put it back.
    await t.close();
    t = await pluralTill({ sandbox, dataDir });
    cleanup.push(() => t.close());
    expect(await t.call('display.snapshot', {})).toMatchObject({ phase: 'idle', paymentId: null });

    // A stale cashier screen never takes down the next customer's code.
    const next = await t.call('payments.create', { amount: 50_000, currency: 'INR', orderReference: 'NEXT-1' });
    await displayShows(t, 'qr');
    expect(await t.call('display.takeDown', { paymentId: left.id })).toMatchObject({ phase: 'qr', paymentId: next.id });
    // The link itself is untouched: paid later anyway, it is counted.
    await payOrder(t, left.transactionId!);
    await t.waitForPayment(left.id, (p) => p.status === 'succeeded', 8_000);
  });

  it('the customer display offers only the tips the gateway can charge, tip included', async () => {
    const { t } = await payplugDay();
    await t.call('settings.update', { tipping: true });
    // PayPlug takes at most €20,000.00: on €19,000.00 every preset (10, 15, 20 %) would be refused.
    const large = await t.call('payments.create', {
      amount: 1_900_000,
      currency: 'EUR',
      channel: 'link',
      askTip: true,
    });
    expect(await displayShows(t, 'tip')).toMatchObject({ paymentId: large.id, tipOptions: [] });
    await t.call('payments.cancel', { paymentId: large.id });
    const small = await t.call('payments.create', {
      amount: 1_750_000,
      currency: 'EUR',
      channel: 'link',
      askTip: true,
    });
    await waitFor(async () => (await t.call('display.snapshot', {})).paymentId === small.id, 5_000, 'the next payment');
    // 10 % makes €19,250.00; 15 % would make €20,125.00.
    expect((await t.call('display.snapshot', {})).tipOptions).toEqual([
      { percent: 10, tip: 175_000, total: 1_925_000 },
    ]);
    await t.call('customer.chooseTip', { paymentId: small.id, tip: { kind: 'percent', percent: 10 } });
    await t.waitForPayment(small.id, (p) => p.status === 'pending' && p.amount === 1_925_000);
    expect((await displayShows(t, 'qr')).amount).toBe(1_925_000);
  });

  it('on Plural a ₹8,80,000 payment is offered 10 % (₹9,68,000), not the presets past ₹10 lakh', async () => {
    const t = await pluralTill();
    cleanup.push(() => t.close());
    await t.call('settings.update', { tipping: true });
    const payment = await t.call('payments.create', { amount: 88_000_000, currency: 'INR', askTip: true });
    expect((await displayShows(t, 'tip')).tipOptions).toEqual([{ percent: 10, tip: 8_800_000, total: 96_800_000 }]);
    expect(
      (await t.fail('customer.chooseTip', { paymentId: payment.id, tip: { kind: 'percent', percent: 15 } })).code,
    ).toBe('validation');
  });

  it("an installment's receipt says which part of the plan it is, the first and one PayPlug charged later", async () => {
    const { t, clock } = await payplugDay(100);
    const grace = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' };
    const plan = await t.call('installments.create', {
      amount: 9000,
      currency: 'EUR',
      count: 3,
      customer: grace,
      orderReference: 'PLAN-R',
    });
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    const part = async (ref: string) =>
      (await t.call('payments.list', { filter: 'all', limit: 100 })).find(
        (p) => p.orderReference === ref && p.status === 'succeeded',
      );
    const first = await waitFor(() => part('PLAN-R#1'), 8_000, 'the first part paid');
    const firstReceipt = await receipt(t, first.id);
    expect(firstReceipt).toMatch(/^TOTAL +€30\.00\nInstallment 1 of 3\nPlan total +€90\.00$/m);
    // PayPlug charges the second part on its date by itself; the till takes it in.
    clock.offsetMs = Date.parse(`${plan.schedule[1]!.date}T10:00:00Z`) - Date.now();
    const second = await waitFor(() => part('PLAN-R#2'), 8_000, 'the second part');
    expect(await receipt(t, second.id, 'merchant', 32)).toMatch(
      /^TOTAL +€30\.00\nInstallment 2 of 3\nPlan total +€90\.00$/m,
    );
  });
});
