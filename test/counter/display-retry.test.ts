/**
 * The customer display after a declined card and another try: the second result is a new screen,
 * not the first one's (which may be long over, so the display would jump straight to "Welcome").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { displayShows, startTestHost, type TestHost } from '../support/host';

describe('customer display', () => {
  let t: TestHost;
  afterEach(async () => {
    await t?.close();
  });

  it('a card declined again after another try shows its own result, from when it came', async () => {
    t = await startTestHost();
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 1250, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id, cardNumber: '4000000000000002' });
    const first = await displayShows(t, 'declined');

    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    const again = await displayShows(t, 'present_card');
    expect(Date.parse(again.at!)).toBeGreaterThan(Date.parse(first.at!));
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id, cardNumber: '4000000000000077' });
    const second = await displayShows(t, 'declined');
    expect(Date.parse(second.at!)).toBeGreaterThanOrEqual(Date.parse(again.at!));
  });

  it('a reader that gave up before any card (timeout, unplugged) never tells the customer the card was refused', async () => {
    // Found in Chromium with a Concert terminal unplugged before it took the request: the cashier
    // read "Not completed: the reader disconnected", the customer "The card was not accepted".
    t = await startTestHost();
    const reader = await t.onlineReader();
    await t.call('simulate.setFault', { readerId: reader.id, fault: 'timeout' });
    const created = await t.call('payments.create', { amount: 900, currency: 'EUR', readerId: reader.id });
    const open = await t.waitForPayment(created.id, (p) => p.status === 'pending' && p.decline !== null);
    expect(open.decline?.kind).toBe('not_completed');
    const shown = await displayShows(t, 'declined');
    expect(shown.message).toBe('The payment was not completed. No money was taken.');
  });
});
