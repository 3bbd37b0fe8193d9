/**
 * The receipt of a payment Transactions lists but the till did not take (the shop's website, another
 * till): Details offers it like any other, so showing it must work as printing it does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock';
import { startTestHost, type TestHost } from '../support/host';

describe('receipt of a payment made at the gateway without the till', () => {
  let t: TestHost;
  afterEach(async () => {
    await t?.close();
  });

  it('is shown by its transaction id, as Details asks for it', async () => {
    t = await startTestHost();
    const direct = await t.api('POST', '/v1/transactions', {
      amount: 4200,
      currency: 'EUR',
      confirm: true,
      payment_method: '4242424242424242',
      metadata: { order_reference: 'WEB-77' },
    });
    const transactionId = (direct.json as { id: string }).id;
    const detail = await t.call('transactions.get', { transactionId });
    expect(detail.payment).toBeNull();
    const text = await t.call('receipts.render', { paymentId: transactionId, format: 'text', width: 42 });
    expect(text.content).toContain('APPROVED');
    expect(text.content).toMatch(/TOTAL +€42\.00/);
    const html = await t.call('receipts.render', { paymentId: transactionId, format: 'html', copy: 'merchant' });
    expect(html.content).toContain('MERCHANT COPY');
  });

  it('is dated when the customer paid, not when the till looked it up', async () => {
    // The till looks the payment up three days after the website took it.
    const later = { ...systemClock, now: () => Date.now() + 3 * 86_400_000 };
    t = await startTestHost({ clock: later });
    // Its date is read below as a UTC date: the shop's day is UTC's, whatever this computer's zone.
    await t.call('settings.update', { timeZone: 'UTC' });
    const direct = await t.api('POST', '/v1/transactions', {
      amount: 1800,
      currency: 'EUR',
      confirm: true,
      payment_method: '4242424242424242',
    });
    const { id: transactionId, created_at: createdAt } = direct.json as { id: string; created_at: string };
    const paidOn = new Date(createdAt).toISOString().slice(0, 10);
    const text = await t.call('receipts.render', { paymentId: transactionId, format: 'text', width: 42 });
    expect(text.content).toMatch(new RegExp(`^Date +${paidOn} `, 'm'));
  });
});
