/**
 * The counter's day on PayPlug and Plural through the host, against the embedded sandbox: what the
 * receipts, the customer display and the reports say about payments by link, saved cards,
 * installments and shares — found by exercising them beyond PlutoPay's card payments.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { displayShows, type TestHost } from '../support/host';
import { payplugTill, ShiftedClock } from '../support/payplug';

describe('the counter’s day on PayPlug and Plural', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A PayPlug till and its sandbox on one wall clock the test moves. */
  async function payplugDay(): Promise<{ t: TestHost; clock: ShiftedClock }> {
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await payplugTill(sandbox, { clock });
    cleanup.push(() => t.close());
    await t.call('settings.update', { timeZone: 'Europe/Paris' });
    return { t, clock };
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
});
