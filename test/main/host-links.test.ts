/**
 * Payments by link as the PayPlug and Plural soak lanes drive them, where the soak found the host
 * wrong: a cancel the gateway refused must not block the cancel asked for later. And PlutoPay's
 * links (checkout sessions) beside its readers: shown as a QR, paid on the page, withdrawn, never
 * made twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { customerPaysPlural } from '../support/plural';

/** The customer pays a PlutoPay checkout page from their phone: the page's form, over HTTP. */
async function customerPaysPlutoPay(payUrl: string, card = '4242424242424242'): Promise<number> {
  const answer = await fetch(payUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ card_number: card }).toString(),
    redirect: 'manual',
  });
  await answer.arrayBuffer();
  return answer.status;
}

describe('payments by link', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function pluralTill(): Promise<TestHost> {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const t = await startTestHost({ sandbox, useGateway: 'plural', tuning: { remotePollMs: 50 } });
    cleanup.push(() => t.close());
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
    return t;
  }

  it('Plural: a cancel refused while the link was unpaid does not block releasing the authorisation later', async () => {
    const t = await pluralTill();
    const created = await t.call('payments.create', { amount: 5000, currency: 'INR', captureMethod: 'manual' });
    expect(created).toMatchObject({ channel: 'link', status: 'pending' });
    // Plural cannot withdraw an unpaid link (the screen offers no cancel); sent anyway, it is refused.
    expect(created.next).not.toContain('cancel');
    const refused = await t.fail('payments.cancel', { paymentId: created.id });
    expect(refused.message).toMatch(/cannot withdraw an unpaid order/);
    // The customer pays anyway: the authorisation is held, and the cashier releases it.
    expect((await customerPaysPlural(t.sandbox, created.transactionId!)).status).toBe(200);
    await t.waitForPayment(created.id, (p) => p.status === 'requires_capture', 5_000);
    expect((await t.call('payments.cancel', { paymentId: created.id })).status).toBe('canceled');
  });

  async function plutoPayTill(): Promise<TestHost> {
    const t = await startTestHost({ tuning: { remotePollMs: 50 } });
    cleanup.push(() => t.close());
    return t;
  }

  it('PlutoPay: a QR link beside the readers, paid on the checkout page, followed to approved', async () => {
    const t = await plutoPayTill();
    const created = await t.call('payments.create', {
      amount: 2500,
      currency: 'USD',
      channel: 'link',
      orderReference: 'PLUTO-LINK-1',
    });
    expect(created).toMatchObject({ channel: 'link', status: 'pending', payUrl: expect.stringMatching(/\/pay\/cs_/) });
    expect(created.next).toEqual(expect.arrayContaining(['show_link', 'cancel']));
    expect(await t.call('display.snapshot', {})).toMatchObject({ phase: 'qr', payUrl: created.payUrl, amount: 2500 });
    // A declined card: the payment stays open, the page too, with the reason.
    expect(await customerPaysPlutoPay(created.payUrl!, '4000000000009995')).toBe(402);
    const declined = await t.waitForPayment(created.id, (p) => p.decline !== null, 5_000);
    expect(declined).toMatchObject({
      status: 'pending',
      payUrl: created.payUrl,
      decline: { kind: 'declined', anotherCard: true },
    });
    // The Simulate screen pays it as the customer's phone would (test mode), here with a card the
    // bank refuses; then the phone pays.
    const simulated = await t.call('simulate.payLink', { paymentId: created.id, cardNumber: '4000000000000077' });
    expect(simulated).toMatchObject({ status: 'pending', decline: { code: 'insufficient_funds' } });
    expect(await customerPaysPlutoPay(created.payUrl!)).toBe(200);
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 5_000);
    expect(paid).toMatchObject({ amount: 2500, payUrl: null, card: { brand: 'visa', last4: '4242' } });
    // The readers are as they were: the next payment goes to one.
    const next = await t.call('payments.create', { amount: 1250, currency: 'USD' });
    expect(next.channel).toBe('card_present');
  });

  it('PlutoPay: Transactions filtered by method Link lists the links, not the reader payments', async () => {
    // Found by a tester: PlutoPay refused payment_method_type=link (its links are card payments the
    // till tagged), and the screen kept showing the unfiltered rows.
    const t = await plutoPayTill();
    const link = await t.call('payments.create', { amount: 2500, currency: 'USD', channel: 'link' });
    expect(await customerPaysPlutoPay(link.payUrl!)).toBe(200);
    await t.waitForPayment(link.id, (p) => p.status === 'succeeded', 5_000);
    const reader = await t.onlineReader();
    const card = await t.call('payments.create', { amount: 1250, currency: 'USD', readerId: reader.id });
    await t.waitForPayment(card.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(card.id, (p) => p.status === 'succeeded');
    const links = await t.call('transactions.list', { paymentMethodType: 'link' });
    expect(links.data.map((row) => [row.id, row.paymentMethodType])).toEqual([[link.transactionId, 'link']]);
    const terminal = await t.call('transactions.list', { paymentMethodType: 'terminal' });
    // The sandbox holds seeded reader payments too; the link is not among them.
    expect(terminal.data.map((row) => row.id)).toContain(card.transactionId);
    expect(terminal.data.map((row) => row.id)).not.toContain(link.transactionId);
  });

  it('PlutoPay: a link charges when paid, so a later capture is refused before anything is made', async () => {
    const t = await plutoPayTill();
    const refused = await t.fail('payments.create', {
      amount: 2500,
      currency: 'USD',
      channel: 'link',
      captureMethod: 'manual',
      orderReference: 'PLUTO-LINK-MANUAL',
    });
    expect(refused).toMatchObject({ code: 'validation' });
    expect(refused.issues).toEqual([
      { path: 'captureMethod', message: expect.stringMatching(/cannot be captured later/) },
    ]);
    expect(await t.call('payments.list', { filter: 'all', limit: 10 })).toEqual([]);
  });

  it('PlutoPay: an unpaid link is withdrawn, and its page then refuses the card', async () => {
    const t = await plutoPayTill();
    const created = await t.call('payments.create', { amount: 990, currency: 'USD', channel: 'link' });
    expect((await t.call('payments.cancel', { paymentId: created.id })).status).toBe('canceled');
    // The session ends with its canceled payment: the page answers as for an expired link.
    expect(await customerPaysPlutoPay(created.payUrl!)).toBe(410);
    const [listed] = await t.call('payments.list', { filter: 'all', limit: 10 });
    expect(listed).toMatchObject({ id: created.id, status: 'canceled', payUrl: null });
  });

  it('PlutoPay: a link whose create answer was lost is found, not opened twice', async () => {
    const t = await plutoPayTill();
    t.sandbox.setFaults({ drop_after_commit_rate: 1 });
    let created;
    try {
      created = await t.call('payments.create', {
        amount: 4200,
        currency: 'USD',
        channel: 'link',
        orderReference: 'PLUTO-LINK-LOST',
      });
    } finally {
      t.sandbox.setFaults({ drop_after_commit_rate: 0 });
    }
    expect(created).toMatchObject({ status: 'pending', payUrl: expect.stringMatching(/\/pay\/cs_/) });
    const sessions = (await t.api('GET', '/v1/checkout/sessions?per_page=100')).json as {
      data: { metadata: Record<string, unknown> }[];
    };
    expect(sessions.data.filter((s) => s.metadata.order_reference === 'PLUTO-LINK-LOST')).toHaveLength(1);
  });
});
