/**
 * Which payment the customer display shows when more than one is about: one the merchant's own
 * server pushed to a reader of the till, and a tip typed for an older payment while the display
 * shows a newer one. Through the host, against the sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReaderView } from '../../common/contract';
import { displayShows, startTestHost, waitFor, type TestHost } from '../support/host';

/** The merchant's own server: creates a payment at the gateway and pushes it to the till's reader. */
async function pushFromServer(t: TestHost, reader: ReaderView, amount: number): Promise<string> {
  const intent = (
    await t.api('POST', '/v1/terminal/create-payment', { amount, currency: 'eur', description: 'From the web shop' })
  ).json as { id: string };
  const listed = (await t.api('GET', '/v1/terminal/readers')).json as { data: { id: string; terminal_id: string }[] };
  const processor = listed.data.find((r) => r.terminal_id === reader.terminalId)!.id;
  const pushed = await t.api('POST', '/v1/terminal/process-payment', {
    payment_intent_id: intent.id,
    reader_id: processor,
  });
  expect(pushed.status).toBe(200);
  return intent.id;
}

async function adoptedOn(t: TestHost, transactionId: string) {
  return waitFor(
    async () =>
      (await t.call('payments.list', { filter: 'all', limit: 50 })).find(
        (p) => p.transactionId === transactionId && p.readerStage === 'waiting_for_card',
      ),
    5_000,
    'the pushed payment on the reader',
  );
}

describe('the customer display: which payment', () => {
  let t: TestHost;
  afterEach(async () => {
    await t?.close();
  });

  it("a payment the merchant's server pushed to the till's reader shows its amount on the display", async () => {
    // Found in a defect hunt: only the cashier's commands put a payment on the display, so the
    // customer paying a pushed payment saw the welcome screen (or the last customer's result).
    t = await startTestHost();
    const reader = await t.onlineReader();
    expect(await t.call('display.snapshot', {})).toMatchObject({ phase: 'idle' });
    const adopted = await adoptedOn(t, await pushFromServer(t, reader, 4200));
    expect(await displayShows(t, 'present_card')).toMatchObject({
      paymentId: adopted.id,
      amount: 4200,
      currency: 'EUR',
    });
    await t.call('simulate.presentCard', { readerId: reader.id });
    expect(await displayShows(t, 'approved')).toMatchObject({ paymentId: adopted.id });

    // After another customer's result, the next pushed payment replaces it as well.
    const next = await adoptedOn(t, await pushFromServer(t, reader, 990));
    expect(await displayShows(t, 'present_card')).toMatchObject({ paymentId: next.id, amount: 990 });
  });

  it('a pushed payment waits while the display is in the middle of the cashier’s payment, then shows', async () => {
    t = await startTestHost();
    await t.call('settings.update', { tipping: true });
    const reader = await t.onlineReader();
    await t.call('readers.addSimulated', { label: 'Second reader' });
    const second = await waitFor(
      async () =>
        (await t.call('readers.list', {})).find(
          (r) => r.hosted && r.label === 'Second reader' && r.status === 'online',
        ),
      5_000,
      'the second reader',
    );
    // The customer at the display is choosing a tip for the cashier's payment.
    const own = await t.call('payments.create', { amount: 1250, currency: 'EUR', askTip: true, readerId: reader.id });
    expect(await t.call('display.snapshot', {})).toMatchObject({ phase: 'tip', paymentId: own.id });
    const pushed = await adoptedOn(t, await pushFromServer(t, second, 4200));
    // The customer's tip screen is not taken away from under them.
    expect(await t.call('display.snapshot', {})).toMatchObject({ phase: 'tip', paymentId: own.id });
    await t.call('customer.chooseTip', { paymentId: own.id, tip: { kind: 'none' } });
    await t.waitForPayment(own.id, (p) => p.readerStage === 'waiting_for_card');
    expect(await displayShows(t, 'present_card')).toMatchObject({ paymentId: own.id, amount: 1250 });
    await t.call('simulate.presentCard', { readerId: reader.id });
    // Once the cashier's payment has its result, the pushed one still asking for a card shows.
    await t.waitForPayment(own.id, (p) => p.status === 'succeeded');
    expect(
      await waitFor(async () => {
        const view = await t.call('display.snapshot', {});
        return view.paymentId === pushed.id ? view : undefined;
      }),
    ).toMatchObject({ phase: 'present_card', amount: 4200 });
  });

  it('a tip typed for an older payment leaves the newer one on the display, and is the older one’s', async () => {
    t = await startTestHost();
    await t.call('settings.update', { tipping: true });
    const reader = await t.onlineReader();
    const older = await t.call('payments.create', {
      amount: 1250,
      currency: 'EUR',
      orderReference: 'OLDER',
      askTip: true,
      readerId: reader.id,
    });
    const newer = await t.call('payments.create', {
      amount: 3000,
      currency: 'EUR',
      orderReference: 'NEWER',
      askTip: true,
    });
    const before = await t.call('display.snapshot', {});
    expect(before).toMatchObject({ phase: 'tip', paymentId: newer.id, amount: 3000 });
    // The customer at the display is the newer payment's: the older one's tip is the cashier's to type.
    expect(
      await t.fail('customer.chooseTip', { paymentId: older.id, tip: { kind: 'percent', percent: 20 } }),
    ).toMatchObject({ code: 'conflict' });

    const tipped = await t.call('payments.setTip', { paymentId: older.id, tip: { kind: 'percent', percent: 15 } });
    expect(tipped).toMatchObject({ amount: 1438, tip: { state: 'chosen', preTipAmount: 1250, amount: 188 } });
    // It went to its reader; the display stays on the newer payment's tip screen.
    await t.waitForPayment(older.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(older.id, (p) => p.status === 'succeeded');
    expect(await t.call('display.snapshot', {})).toMatchObject({
      phase: 'tip',
      paymentId: newer.id,
      amount: 3000,
      tip: null,
      version: before.version,
    });
    expect(
      t.events.some((e) => e.type === 'display' && e.display.paymentId === older.id && e.display.tip !== null),
    ).toBe(false);
    // The older payment's receipt carries its own tip; the newer one is untouched.
    const receipt = await t.call('receipts.render', { paymentId: older.id, format: 'text' });
    expect(JSON.stringify(receipt)).toMatch(/Tip \(15%\)/);
    expect(await t.waitForPayment(newer.id, () => true)).toMatchObject({
      amount: 3000,
      tip: { state: 'awaiting' },
    });
    // The newer payment's customer still chooses their own tip on the display.
    expect(await t.call('customer.chooseTip', { paymentId: newer.id, tip: { kind: 'none' } })).toMatchObject({
      paymentId: newer.id,
    });
  });
});
