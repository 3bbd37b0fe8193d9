import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_CARDS } from '../../common/test-cards';
import { startTestHost, waitFor, type TestHost } from '../support/host';

describe('host against the sandbox: the cashier flow', () => {
  let t: TestHost;
  beforeEach(async () => {
    t = await startTestHost();
  });
  afterEach(async () => {
    await t.close();
  });

  it('starts in test mode with one simulated reader paired, linked and online', async () => {
    // The merchant account is read in the background once the host serves.
    const snapshot = await waitFor(async () => {
      const s = await t.call('session.snapshot', {});
      return s.merchant ? s : undefined;
    });
    expect(snapshot.mode).toBe('test');
    expect(snapshot.merchant?.testMode).toBe(true);
    // The Simulate screen offers PlutoPay's own test cards for its links.
    expect(snapshot.gateway?.linkTestCards.map((c) => c.number)).toEqual(TEST_CARDS.map((c) => c.number));
    const reader = await t.onlineReader();
    expect(reader.terminalId).not.toBeNull();
    const gatewayReaders = (await t.api('GET', '/v1/terminal/readers')).json as {
      data: { terminal_id: string; status: string }[];
    };
    expect(gatewayReaders.data.find((r) => r.terminal_id === reader.terminalId)?.status).toBe('online');
  });

  it('the snapshot holds every open payment, however many newer ones were taken', async () => {
    // Found by a tester: the snapshot held the newest 50 payments only, so an open payment (a
    // table's bill not paid yet) vanished from Process payment once 50 newer ones existed.
    const open = await t.call('payments.create', { amount: 1500, currency: 'EUR', orderReference: 'TABLE-7' });
    for (let i = 0; i < 52; i++) {
      const later = await t.call('payments.create', { amount: 500 + i, currency: 'EUR' });
      await t.call('payments.cancel', { paymentId: later.id });
    }
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.payments.find((p) => p.id === open.id)).toMatchObject({
      status: 'pending',
      orderReference: 'TABLE-7',
    });
    // The newest 50, and the open one besides.
    expect(snapshot.payments.filter((p) => p.status === 'canceled')).toHaveLength(50);
    expect(snapshot.payments).toHaveLength(51);
  });

  it('automatic capture: create → process → present card → succeeded', async () => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 1250, currency: 'EUR', description: 'Coffee' });
    expect(created.status).toBe('pending');
    expect(created.reference).toMatch(/^txn_/);
    const processing = await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    expect(processing.status).toBe('in_progress');
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    const done = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect(done).toMatchObject({ amountCaptured: 1250, card: { brand: 'visa', last4: '4242' }, decline: null });
    const tx = (await t.api('GET', `/v1/transactions/${created.transactionId}`)).json as { status: string };
    expect(tx.status).toBe('succeeded');
    const seqs = t.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('a reader the "No answer" fault holds says so, and a card presented to it is refused with that reason', async () => {
    // Found by a tester: Simulate payment listed the reader as waiting ("Expected outcome: Approved")
    // and Present card answered only "This reader is not waiting for a card."
    const reader = await t.onlineReader();
    await t.call('simulate.setFault', { readerId: reader.id, fault: 'no_answer' });
    const sent = await t.call('payments.create', { amount: 1250, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(sent.id, (p) => p.readerStage === 'waiting_for_card');
    const held = await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.heldByFault === 'no_answer'),
      3_000,
      'reader held by the fault',
    );
    expect(held.action?.paymentId).toBe(sent.id);
    expect(await t.fail('simulate.presentCard', { readerId: reader.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^This simulated reader has the "No answer" fault: it ignores cards/),
    });
    // Canceled, the reader is free and takes the next payment's card.
    await t.call('payments.cancel', { paymentId: sent.id });
    await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.action === null),
      3_000,
      'reader idle',
    );
    expect((await t.call('readers.list', {})).find((r) => r.id === reader.id)).not.toHaveProperty('heldByFault');
  });

  it('a create that names the reader sends the payment to it in the same command', async () => {
    const reader = await t.onlineReader();
    const sent = await t.call('payments.create', { amount: 900, currency: 'EUR', readerId: reader.id });
    expect(sent).toMatchObject({ status: 'in_progress', readerId: reader.id, readerStage: 'sent' });
    expect(sent).not.toHaveProperty('notSent');
    // The same order again is the same payment, already on the reader: nothing is sent twice.
    const again = await t.call('payments.create', {
      amount: 900,
      currency: 'EUR',
      readerId: reader.id,
      orderReference: sent.orderReference,
    });
    expect(again.id).toBe(sent.id);
    await t.waitForPayment(sent.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(sent.id, (p) => p.status === 'succeeded');

    // A reader it cannot go to: the payment is created, waits pending, and says why it was not sent.
    const unsent = await t.call('payments.create', { amount: 300, currency: 'EUR', readerId: 'rdr_nosuchreader' });
    expect(unsent).toMatchObject({ status: 'pending', notSent: { code: 'not_found' } });
    expect((await t.call('payments.process', { paymentId: unsent.id, readerId: reader.id })).status).toBe(
      'in_progress',
    );
  });

  it('an order open on a reader gets no QR payment back in its place, nor the other way round', async () => {
    // A create for an order with an open payment gives that payment back (a retry after a lost
    // answer); asked as a QR code it gave back the reader payment, a way to pay that was not there.
    const order = { amount: 2200, currency: 'USD', orderReference: 'ORD-WAY' };
    const onReader = await t.call('payments.create', order);
    expect(await t.fail('payments.create', { ...order, channel: 'link' })).toMatchObject({
      code: 'conflict',
      message: `Order ORD-WAY already has an open payment (${onReader.id}) on a card reader, not by payment link (QR code). Cancel it before charging the order the other way.`,
      issues: [{ path: 'channel' }],
    });
    expect((await t.call('payments.create', { ...order, channel: 'card_present' })).id).toBe(onReader.id);
    await t.call('payments.cancel', { paymentId: onReader.id });
    const byLink = await t.call('payments.create', { ...order, channel: 'link' });
    expect(byLink).toMatchObject({ channel: 'link', status: 'pending' });
    expect((await t.fail('payments.create', order)).message).toMatch(
      /by payment link \(QR code\), not on a card reader/,
    );
  });

  it('manual capture: requires_capture → capture part → succeeded with the captured amount', async () => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 5000, currency: 'USD', captureMethod: 'manual' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id, cardNumber: '5500 0055 5555 5559' });
    const authorised = await t.waitForPayment(created.id, (p) => p.status === 'requires_capture');
    expect(authorised.amountCapturable).toBe(5000);
    expect((await t.call('payments.list', { filter: 'uncaptured', limit: 10 })).map((p) => p.id)).toContain(created.id);
    const tooMuch = await t.fail('payments.capture', { paymentId: created.id, amount: 6000 });
    expect(tooMuch.code).toBe('validation');
    // The Capture screen shows the field's message under the amount: money, never cents.
    expect(tooMuch.issues).toEqual([{ path: 'amount', message: 'At most $50.00 can be captured.' }]);
    const captured = await t.call('payments.capture', { paymentId: created.id, amount: 3000 });
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 3000 });
    // The Transactions row carries what was taken beside what was authorised (the list shows both).
    const row = (await t.call('transactions.list', {})).data.find((r) => r.id === created.transactionId);
    expect(row).toMatchObject({ amount: 5000, amountCaptured: 3000, status: 'succeeded' });
  });

  it('a decline is shown in cashier words, then another card on the same payment succeeds', async () => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 2000, currency: 'EUR' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id, cardNumber: '4000000000000077' });
    const declined = await t.waitForPayment(created.id, (p) => p.status === 'pending' && p.decline !== null);
    expect(declined.decline).toMatchObject({ code: 'insufficient_funds', anotherCard: true });
    expect(declined.decline?.message).toMatch(/Not enough funds/);
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect(paid.decline).toBeNull();
    expect(paid.transactionId).toBe(created.transactionId);
  });

  it('cashier cancel while waiting for the card cancels the payment and frees the reader', async () => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 990, currency: 'EUR' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    const canceled = await t.call('payments.cancel', { paymentId: created.id });
    expect(canceled.status).toBe('canceled');
    await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.action === null),
      3_000,
      'reader idle',
    );
    const next = await t.call('payments.create', { amount: 700, currency: 'EUR' });
    await t.call('payments.process', { paymentId: next.id, readerId: reader.id });
    await t.waitForPayment(next.id, (p) => p.readerStage === 'waiting_for_card');
  });

  it('refuses a Settings change that restarts the readers while a payment is on one', async () => {
    // Found by a tester: saving Settings (a key removed, the mode switched) mid-authorisation cut the
    // reader off, and an approved card came back as "try another card".
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 640, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    for (const change of [{ secretKey: '' }, { gateway: 'payplug' }, { mode: 'live' }])
      expect(await t.fail('settings.update', change)).toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/^A payment is on Simulated reader 1\. Finish or cancel it/),
      });
    expect(await t.call('settings.get', {})).toMatchObject({ mode: 'test', gateway: 'plutopay' });
    // What does not restart the readers is still saved.
    await t.call('settings.update', { shopName: 'Corner Café' });
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.action === null),
      3_000,
      'reader idle',
    );
    expect((await t.call('settings.update', { gateway: 'payplug' })).gateway).toBe('payplug');
  });

  it('a test payment waits untouched in live mode: never sent to the live account, never an attention item', async () => {
    const link = await t.call('payments.create', { amount: 900, currency: 'EUR', channel: 'link' });
    expect(link.status).toBe('pending');
    await t.call('settings.update', { mode: 'live', apiBaseUrl: 'https://127.0.0.1:9', embeddedSandbox: false });
    expect(await t.fail('payments.cancel', { paymentId: link.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^This payment was made in test mode; the till is in live mode\./),
    });
    await t.call('attention.retry', { paymentId: link.id }).catch(() => undefined);
    expect(await t.call('attention.list', {})).toEqual([]);
  });

  it('gives every reader its own name: the next free number, and a name in use refused', async () => {
    // Found by a tester: forget reader 1 of two, add one, and there were two "Simulated reader 2".
    const first = await t.onlineReader();
    const second = await t.call('readers.addSimulated', {});
    expect(second.label).toBe('Simulated reader 2');
    await t.call('readers.forget', { readerId: first.id });
    expect((await t.call('readers.addSimulated', {})).label).toBe('Simulated reader 1');
    expect((await t.call('readers.addSimulated', {})).label).toBe('Simulated reader 3');
    const taken = { code: 'validation', issues: [{ path: 'label' }] };
    expect(await t.fail('readers.addSimulated', { label: 'simulated READER 2' })).toMatchObject(taken);
    expect(await t.fail('readers.configure', { readerId: second.id, label: 'Simulated reader 3' })).toMatchObject(
      taken,
    );
    expect(await t.fail('readers.pair', { registrationCode: 'simulated', label: 'Simulated reader 1' })).toMatchObject(
      taken,
    );
    // A rename refused with another change in the same command changes nothing at all (found by
    // sending both: the reader was switched to the shop's own bank, then the name refused).
    expect(
      await t.fail('readers.configure', { readerId: second.id, standalone: true, label: 'Simulated reader 3' }),
    ).toMatchObject(taken);
    expect((await t.call('readers.list', {})).find((r) => r.id === second.id)).toMatchObject({
      label: 'Simulated reader 2',
      standalone: false,
    });
    // Renaming a reader to its own name, in another case, is not a clash.
    expect((await t.call('readers.configure', { readerId: second.id, label: 'SIMULATED reader 2' })).label).toBe(
      'SIMULATED reader 2',
    );
    // The gateway's readers registered twice by the same code get a number too.
    const one = await t.call('readers.pair', { registrationCode: 'simulated' });
    const two = await t.call('readers.pair', { registrationCode: 'simulated' });
    expect([one.label, two.label]).toEqual(['Reader simulated', 'Reader simulated 2']);
  });

  it('refunds partially, then the rest, never more than what remains', async () => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 3000, currency: 'GBP' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    const partial = await t.call('payments.refund', { paymentId: created.transactionId, amount: 1000 });
    expect(partial).toMatchObject({ status: 'partially_refunded', amountRefunded: 1000 });
    expect((await t.fail('payments.refund', { paymentId: created.id, amount: 2500 })).message).toMatch(
      /^The refund amount can be at most £20\.00, what is left to refund\./,
    );
    const rest = await t.call('payments.refund', { paymentId: created.id });
    expect(rest).toMatchObject({ status: 'refunded', amountRefunded: 3000 });
    // Nothing is left: said plainly, with what was refunded (it said "at most £0.00"), with or without an amount.
    for (const input of [{ paymentId: created.id }, { paymentId: created.id, amount: 100 }])
      expect(await t.fail('payments.refund', input)).toEqual({
        code: 'conflict',
        message: 'Nothing is left to refund: £30.00 was refunded already.',
      });
    const detail = await t.call('transactions.get', { transactionId: created.transactionId });
    // The till's own payment id finds the same transaction.
    expect((await t.call('transactions.get', { transactionId: created.id })).transaction.id).toBe(
      created.transactionId,
    );
    expect(detail.refunds.map((r) => r.amount).sort()).toEqual([1000, 2000]);
    expect(detail.timeline.map((e) => e.event)).toEqual(
      expect.arrayContaining(['created', 'sent_to_reader', 'succeeded', 'refunded']),
    );
  });

  it("a payment pushed to the app's reader by the merchant's own server appears and completes", async () => {
    const reader = await t.onlineReader();
    const intent = (
      await t.api('POST', '/v1/terminal/create-payment', {
        amount: 4200,
        currency: 'eur',
        description: 'From the web shop',
      })
    ).json as { id: string };
    const gatewayReaderId = (await t.api('GET', '/v1/terminal/readers')).json as {
      data: { id: string; terminal_id: string }[];
    };
    const processor = gatewayReaderId.data.find((r) => r.terminal_id === reader.terminalId)!.id;
    expect(
      (await t.api('POST', '/v1/terminal/process-payment', { payment_intent_id: intent.id, reader_id: processor }))
        .status,
    ).toBe(200);
    const adopted = await waitFor(
      async () =>
        (await t.call('payments.list', { filter: 'all', limit: 50 })).find(
          (p) => p.transactionId === intent.id && p.readerStage === 'waiting_for_card',
        ),
      5_000,
      'adopted payment',
    );
    expect(adopted.amount).toBe(4200);
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(adopted.id, (p) => p.status === 'succeeded');
  });

  it('a sandbox-hosted simulated reader works over plain HTTP too', async () => {
    await t.call('readers.pair', { registrationCode: 'simulated-counter-2', label: 'Cloud sim' });
    const cloud = await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.kind === 'cloud' && r.status === 'online'),
      3_000,
      'cloud reader',
    );
    const created = await t.call('payments.create', { amount: 1500, currency: 'EUR' });
    await t.call('payments.process', { paymentId: created.id, readerId: cloud.id });
    // Forgotten mid-payment, the payment could never be cancelled: refused while it collects.
    expect(await t.fail('readers.forget', { readerId: cloud.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/collecting a payment \(€15\.00/),
    });
    await t.call('simulate.presentCard', { readerId: cloud.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
  });

  it("refuses a switch of gateway or mode while a payment is on one of the gateway's own readers", async () => {
    // Found in a defect hunt: only the readers this till hosts were checked, so a switch went through
    // while the gateway's reader held the customer's card; the payment, no link, was then followed by
    // nothing and its approval reached the till only once switched back.
    await t.call('readers.pair', { registrationCode: 'simulated-counter-4', label: 'Counter cloud' });
    const cloud = await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.label === 'Counter cloud' && r.status === 'online'),
      3_000,
      'cloud reader',
    );
    const created = await t.call('payments.create', { amount: 1900, currency: 'EUR', readerId: cloud.id });
    await t.waitForPayment(created.id, (p) => p.status === 'in_progress');
    for (const change of [{ gateway: 'payplug' }, { mode: 'live' }])
      expect(await t.fail('settings.update', change)).toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/^A payment is on Counter cloud\. Finish or cancel it/),
      });
    expect(await t.call('settings.get', {})).toMatchObject({ mode: 'test', gateway: 'plutopay' });
    await t.call('simulate.presentCard', { readerId: cloud.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect((await t.call('settings.update', { gateway: 'payplug' })).gateway).toBe('payplug');
  });

  it("a gateway's reader collecting for someone else (another till, the web shop) is not forgotten", async () => {
    await t.call('readers.pair', { registrationCode: 'simulated-counter-3', label: 'Shared reader' });
    const cloud = await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.label === 'Shared reader' && r.status === 'online'),
      3_000,
      'cloud reader',
    );
    const listed = (await t.api('GET', '/v1/terminal/readers')).json as { data: { id: string; label: string }[] };
    const gatewayId = listed.data.find((r) => r.label === 'Shared reader')!.id;
    const intent = (await t.api('POST', '/v1/terminal/create-payment', { amount: 2700, currency: 'eur' })).json as {
      id: string;
    };
    await t.api('POST', '/v1/terminal/process-payment', { payment_intent_id: intent.id, reader_id: gatewayId });
    expect(await t.fail('readers.forget', { readerId: cloud.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/collecting a payment/),
    });
    expect((await t.call('readers.list', {})).some((r) => r.id === cloud.id)).toBe(true);
  });

  it('answers bad input with validation errors and changes nothing', async () => {
    const before = await t.call('payments.list', { filter: 'all', limit: 100 });
    for (const input of [
      { amount: -5, currency: 'EUR' },
      { amount: 12.5, currency: 'EUR' },
      { amount: 100, currency: 'XXX' },
      { amount: 100, currency: 'EUR', extra: 1 },
      null,
      'x',
    ]) {
      const error = await t.fail('payments.create', input);
      expect(error.code).toBe('validation');
    }
    expect((await t.fail('nope' as never, {})).message).toMatch(/Unknown command/);
    expect(await t.call('payments.list', { filter: 'all', limit: 100 })).toEqual(before);
  });

  it('refuses a date range that ends before it starts, on From, instead of answering "0 transactions"', async () => {
    // Found by a cashier: From after To read "0 transactions · No transactions match", as if searched.
    const error = await t.fail('transactions.list', { dateFrom: '2026-12-05', dateTo: '2026-12-01' });
    expect(error.code).toBe('validation');
    expect(error.issues).toEqual([expect.objectContaining({ path: 'dateFrom' })]);
    expect(error.message).toContain('the "From" date is after the "To" date');
    // One day (From = To) is a range.
    expect(await t.call('transactions.list', { dateFrom: '2026-12-01', dateTo: '2026-12-01' })).toHaveProperty('meta');
  });

  it('refuses text holding half a surrogate pair before anything is written, naming the field', async () => {
    const before = await t.call('payments.list', { filter: 'all', limit: 100 });
    // The journal cannot keep such text, and the gateway refuses it: refused here, nothing is left behind.
    const error = await t.fail('payments.create', {
      amount: 1000,
      currency: 'EUR',
      orderReference: 'BROKEN-TEXT',
      description: 'Caf\uD83D',
    });
    expect(error).toMatchObject({ code: 'validation', issues: [{ path: 'description' }] });
    expect(error.message).toMatch(/broken character/);
    const customer = { email: 'a@example.com', firstName: 'A\uDC00', lastName: 'B' };
    expect(await t.fail('payments.create', { amount: 1000, currency: 'EUR', channel: 'link', customer })).toMatchObject(
      {
        code: 'validation',
        issues: [{ path: 'customer.firstName' }],
      },
    );
    expect(await t.call('payments.list', { filter: 'all', limit: 100 })).toEqual(before);
    // A whole pair is a character like any other.
    const emoji = await t.call('payments.create', { amount: 1000, currency: 'EUR', description: 'Café \uD83D\uDE00' });
    expect(emoji.description).toBe('Café 😀');
  });

  it('refuses a fund code (CLF, USN) as a payment currency before anything is written', async () => {
    // Found by an integrator: ISO's fund codes were taken as currencies; no gateway settles them.
    const before = await t.call('payments.list', { filter: 'all', limit: 100 });
    for (const currency of ['CLF', 'usn']) {
      const error = await t.fail('payments.create', { amount: 1000, currency, orderReference: `FUND-${currency}` });
      expect(error).toMatchObject({ code: 'validation', issues: [{ path: 'currency' }] });
      expect(error.message).toMatch(/fund code/);
    }
    expect(await t.call('payments.list', { filter: 'all', limit: 100 })).toEqual(before);
  });

  it('the same order is never charged twice', async () => {
    const first = await t.call('payments.create', { amount: 1000, currency: 'EUR', orderReference: 'ORDER-77' });
    const again = await t.call('payments.create', { amount: 1000, currency: 'EUR', orderReference: 'ORDER-77' });
    expect(again.id).toBe(first.id);
    const different = await t.fail('payments.create', { amount: 2000, currency: 'EUR', orderReference: 'ORDER-77' });
    expect(different.code).toBe('conflict');
    const ledger = (await t.api('GET', '/_sandbox/ledger')).json as {
      transactions: { idempotency_key: string | null }[];
    };
    expect(ledger.transactions.filter((tx) => tx.idempotency_key?.startsWith('pos-ORDER-77-'))).toHaveLength(1);
  });

  it('an order already paid is refused in the cashier’s words, naming the order reference', async () => {
    // Found by a keyboard tester: "Order ORDER-1 is already paid (pay_LFX6…, succeeded)." and the
    // cursor in Amount, while the order reference is what needs changing.
    const reader = await t.onlineReader();
    const paid = await t.call('payments.create', { amount: 1250, currency: 'USD', orderReference: 'ORDER-PAID-1' });
    await t.call('payments.process', { paymentId: paid.id, readerId: reader.id });
    await t.waitForPayment(paid.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(paid.id, (p) => p.status === 'succeeded');
    expect(await t.fail('payments.create', { amount: 1250, currency: 'USD', orderReference: 'ORDER-PAID-1' })).toEqual({
      code: 'conflict',
      message: 'Order ORDER-PAID-1 is already paid ($12.50, approved). Use a new order reference.',
      issues: [{ path: 'orderReference', message: 'This order is already paid: use a new order reference.' }],
    });
  });

  it('Transactions shows and finds the order reference, which only the till knows (issue 9 #9)', async () => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', {
      amount: 1990,
      currency: 'EUR',
      orderReference: 'ORDER-778899',
      description: 'Bread',
    });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    const found = await t.call('transactions.list', { search: 'ORDER-778899' });
    expect(found.data.map((tx) => [tx.id, tx.orderReference])).toEqual([[created.transactionId, 'ORDER-778899']]);
    expect(found.meta.total).toBe(1);
    // A prefix finds it too, case-insensitively; other filters still apply.
    expect((await t.call('transactions.list', { search: 'order-7788' })).data).toHaveLength(1);
    expect((await t.call('transactions.list', { search: 'ORDER-778899', status: 'refunded' })).data).toHaveLength(0);
    // Every row of the plain list carries its order reference.
    const all = await t.call('transactions.list', {});
    expect(all.data.find((tx) => tx.id === created.transactionId)?.orderReference).toBe('ORDER-778899');
    const detail = await t.call('transactions.get', { transactionId: created.transactionId! });
    expect(detail.transaction.orderReference).toBe('ORDER-778899');
  });

  it('refuses what the gateway would refuse before anything is journaled, on the field (issue 9 #14)', async () => {
    const before = await t.call('payments.list', { filter: 'all', limit: 200 });
    const tooSmall = await t.fail('payments.create', { amount: 49, currency: 'EUR' });
    expect(tooSmall).toMatchObject({
      code: 'validation',
      issues: [{ path: 'amount', message: 'at least €0.50 with PlutoPay' }],
    });
    // 251 emoji pass a 500-character check counted in code points, but PlutoPay counts UTF-16 units.
    const emoji = await t.fail('payments.create', { amount: 1000, currency: 'EUR', description: '😀'.repeat(251) });
    expect(emoji.issues).toEqual([{ path: 'description', message: expect.stringMatching(/at most 500 characters/) }]);
    expect(await t.call('payments.list', { filter: 'all', limit: 200 })).toHaveLength(before.length);
    // Exactly at the limits is fine.
    const ok = await t.call('payments.create', { amount: 50, currency: 'EUR', description: '😀'.repeat(250) });
    expect(ok.status).toBe('pending');
  });
});
