/**
 * A till on PayPlug, against the embedded sandbox's PayPlug emulator: pay by link (paid, declined,
 * aborted, lapsed), deferred capture, refunds, notes, saved cards, installment plans, and
 * switching the till between gateways without losing anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PAYPLUG_TEST_CARDS } from '../../common/test-cards';
import { startSandbox } from '../../sandbox/index';
import { FakeClock } from '../support/fake-clock';
import { startGatewayProxy } from '../support/gateway-proxy';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill } from '../support/payplug';

describe('a till on PayPlug', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const track = (t: TestHost) => {
    cleanup.push(() => t.close());
    return t;
  };

  it('pays by link: the QR link is paid by the customer and the till follows it to succeeded', async () => {
    const t = track(await payplugTill());
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.gateway).toMatchObject({ name: 'payplug', label: 'PayPlug' });
    expect(snapshot.gateway?.capabilities).toMatchObject({
      payByLink: true,
      readerLink: false,
      installments: { minCount: 2, maxCount: 4 },
    });
    const created = await t.call('payments.create', { amount: 2500, currency: 'EUR', description: 'Lamp' });
    expect(created).toMatchObject({ gateway: 'payplug', channel: 'link', status: 'pending' });
    expect(created.payUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/payplug\/pay\//);
    expect(created.next).toEqual(['show_link', 'cancel']);
    expect(Date.parse(created.payUrlExpiresAt!) - Date.parse(created.createdAt)).toBeGreaterThan(14 * 60_000);
    // The customer pays on their phone (here, through the sandbox as the page would).
    const paid = await payplug(t, 'POST', `/_sandbox/payments/${created.transactionId}/pay`, {
      card_number: '4242424242424242',
    });
    expect(paid.status).toBe(200);
    const done = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
    expect(done.card).toMatchObject({ last4: '4242' });
    expect(done.payUrl).toBeNull();
  });

  it("in live mode with no key yet: PayPlug's own capabilities and limits, marked not set up", async () => {
    // Found by a tester: with no key the host sent no gateway at all, so Create payment offered every
    // currency and readers, and the refusal said the key "was refused" although none was set.
    const t = track(await payplugTill());
    await t.call('settings.update', { mode: 'live', embeddedSandbox: false, payplugApiBaseUrl: 'https://127.0.0.1:9' });
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.gateway).toMatchObject({
      name: 'payplug',
      label: 'PayPlug',
      configured: false,
      limits: { currencies: ['EUR'], descriptionMax: 80 },
      capabilities: { payByLink: true, readerLink: false, cloudReaders: false, paymentMethods: ['link', 'card'] },
    });
    expect(t.events.filter((e) => e.type === 'settings').at(-1)).toMatchObject({
      gateway: { name: 'payplug', configured: false },
    });
    expect(await t.fail('payments.create', { amount: 2500, currency: 'EUR' })).toEqual({
      code: 'not_configured',
      message: 'PayPlug has no credentials for this mode yet. Add them in Settings (F7).',
    });
    // With a key it is set up: the same capabilities, from the gateway itself.
    await t.call('settings.update', { payplugSecretKey: 'sk_live_0123456789abcdef' });
    const keyed = await t.call('session.snapshot', {});
    expect(keyed.gateway).toMatchObject({ name: 'payplug', configured: true });
    expect(keyed.gateway?.capabilities).toEqual(snapshot.gateway?.capabilities);
  });

  it("takes links on the embedded sandbox with the account's public notification URL set in Settings", async () => {
    // The sandbox delivers to this machine only and refused every create made with the shop's
    // public URL ("notification_url must point at this machine"), leaving a failed payment each time.
    const t = track(await payplugTill());
    await t.call('settings.update', { payplugNotificationUrl: 'https://shop.example/hooks/payplug' });
    const created = await t.call('payments.create', { amount: 1200, currency: 'EUR' });
    expect(created).toMatchObject({ status: 'pending', payUrl: expect.any(String) });
    // A loopback URL (the till's own forwarded-notification endpoint) still reaches the sandbox's payments.
    await t.call('settings.update', { payplugNotificationUrl: 'http://127.0.0.1:9/webhooks/payplug' });
    const looped = await t.call('payments.create', { amount: 1300, currency: 'EUR' });
    const wire = (await payplug(t, 'GET', `/v1/payments/${looped.transactionId}`)).json as {
      notification: { url: string | null };
    };
    expect(wire.notification.url).toBe('http://127.0.0.1:9/webhooks/payplug');
  });

  it('leaves its readers idle: Reconnect says why instead of retrying a link PayPlug does not have', async () => {
    const t = track(await payplugTill());
    const [reader] = (await t.call('session.snapshot', {})).readers;
    expect(reader).toMatchObject({ hosted: true, status: 'offline', statusDetail: expect.stringMatching(/by link/) });
    expect(await t.fail('readers.reconnect', { readerId: reader!.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/not used while the till's gateway takes payments by link/),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log = await t.call('devlog.list', {});
    expect(log.filter((entry) => /^Link for/.test(entry.summary))).toEqual([]);
    // As a terminal on the shop's own bank it needs no gateway, and reconnects.
    await t.call('readers.configure', { readerId: reader!.id, standalone: true });
    await expect(t.call('readers.reconnect', { readerId: reader!.id })).resolves.toMatchObject({ standalone: true });
    // Back on the gateway, which has no reader link: idle again, not retrying one.
    await t.call('readers.configure', { readerId: reader!.id, standalone: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await t.call('devlog.list', {})).filter((entry) => /^Link for/.test(entry.summary))).toEqual([]);
    expect(await t.fail('readers.reconnect', { readerId: reader!.id })).toMatchObject({ code: 'conflict' });
  });

  it('refuses what PayPlug refuses before anything is journaled: USD, 99 cents, a reader', async () => {
    const t = track(await payplugTill());
    const before = (await t.call('payments.list', { filter: 'all', limit: 100 })).length;
    expect((await t.fail('payments.create', { amount: 2500, currency: 'USD' })).issues).toEqual([
      { path: 'currency', message: 'PayPlug takes EUR only' },
    ]);
    expect((await t.fail('payments.create', { amount: 99, currency: 'EUR' })).issues?.[0]?.path).toBe('amount');
    expect(
      (await t.fail('payments.create', { amount: 999, currency: 'EUR', channel: 'card_present' })).issues?.[0]?.path,
    ).toBe('channel');
    // A rule of PayPlug's the app applies itself is the input's fault, said so, and leaves no failed
    // payment behind (found by a tester: "The gateway refused", and a failed payment journaled).
    expect(await t.fail('payments.create', { amount: 1500, currency: 'EUR', saveCard: true })).toEqual({
      code: 'validation',
      message: "Offering to save the card needs the customer's first name, last name and email.",
      issues: [{ path: 'customer', message: expect.stringMatching(/^Offering to save the card needs/) }],
      gatewayType: 'invalid_request',
    });
    expect((await t.call('payments.list', { filter: 'all', limit: 100 })).length).toBe(before);
    const paid = await t.call('payments.create', { amount: 1500, currency: 'EUR' });
    await t.call('simulate.payLink', { paymentId: paid.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(paid.id, (p) => p.status === 'succeeded', 5_000);
    // The refund form shows the field's message: the cashier's words, not "at least 10" (found by a tester).
    expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 5 })).toMatchObject({
      code: 'validation',
      message: 'The refund amount must be at least €0.10 with PayPlug.',
      issues: [{ path: 'amount', message: 'The refund amount must be at least €0.10 with PayPlug.' }],
    });
    expect((await t.fail('payments.refund', { paymentId: paid.id, amount: 1501 })).issues).toEqual([
      { path: 'amount', message: 'The refund amount can be at most €15.00, what is left to refund.' },
    ]);
    // Found by a tester: a refund leaving less than PayPlug's smallest refund left money that
    // could never be refunded. It is refused with what can be done instead.
    expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 1495 })).toMatchObject({
      code: 'validation',
      message:
        "The refund amount would leave €0.05, less than PayPlug's smallest refund (€0.10), which could then never be refunded. Refund all €15.00, or at most €14.90.",
      issues: [
        {
          path: 'amount',
          message: expect.stringMatching(/^The refund amount would leave €0\.05, .* or at most €14\.90\.$/),
        },
      ],
    });
    expect(await t.call('payments.refund', { paymentId: paid.id, amount: 1485 })).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 1485,
    });
    // €0.15 left is too little to split: only all of it can go.
    expect((await t.fail('payments.refund', { paymentId: paid.id, amount: 10 })).message).toBe(
      "The refund amount would leave €0.05, less than PayPlug's smallest refund (€0.10), which could then never be refunded. Refund all €0.15.",
    );
    expect((await t.fail('payments.refund', { paymentId: paid.id, amount: 5 })).message).toBe(
      'The refund amount must be at least €0.10 with PayPlug.',
    );
    expect((await t.call('payments.refund', { paymentId: paid.id })).status).toBe('refunded');
  });

  it('a refund left unanswered is listed as queued in the details, and not offered again', async () => {
    // Found in a cashier-day hunt: PayPlug answered the refund with a 500 and the till kept it to
    // send after the settle window, but its details (read again from PayPlug, which answered those)
    // said "No refunds" and offered the whole amount: the cashier pressed Refund again, and both went.
    // PayPlug's own settle window: nothing is sent again within the test.
    const t = track(await payplugTill(undefined, { tuning: { settleWindowMs: 120_000 } }));
    const paid = await t.call('payments.create', { amount: 3100, currency: 'EUR' });
    await t.call('simulate.payLink', { paymentId: paid.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(paid.id, (p) => p.status === 'succeeded', 5_000);
    t.sandbox.payplug.setFaults({ error_rate: 1 });
    expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 31, reason: 'Wrong size' })).toMatchObject({
      code: 'offline',
      queued: true,
    });
    t.sandbox.payplug.setFaults({ error_rate: 0 });
    const detail = await waitFor(
      async () => {
        const read = await t.call('transactions.get', { transactionId: paid.transactionId! });
        return read.offline ? null : read;
      },
      5_000,
      'the details read from PayPlug again',
    );
    expect(detail.transaction.amountRefunded).toBe(0);
    expect(detail.refunds).toEqual([expect.objectContaining({ amount: 31, status: 'queued' })]);
  });

  it('two tills on one account numbering orders alike: a retried create finds its own payment, not the other till’s', async () => {
    // Found by a tester: the create key was the order and attempt only, the same on both tills; till
    // B's retry found till A's paid payment by that key and showed it approved for B's customer.
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const a = track(await payplugTill(sandbox));
    const b = track(await payplugTill(sandbox));
    const paid = await a.call('payments.create', { amount: 5000, currency: 'EUR', orderReference: 'TILL-1001' });
    await a.call('simulate.payLink', { paymentId: paid.id, cardNumber: '4242424242424242' });
    await a.waitForPayment(paid.id, (p) => p.status === 'succeeded', 5_000);
    sandbox.payplug.setFaults({ error_rate: 1 });
    expect(
      (await b.host.invoke('payments.create', { amount: 7000, currency: 'EUR', orderReference: 'TILL-1001' })).ok,
    ).toBe(false);
    sandbox.payplug.setFaults({ error_rate: 0 });
    const [mine] = (await b.call('payments.list', { filter: 'all', limit: 10 })).filter((p) => p.amount === 7000);
    const own = await b.waitForPayment(mine!.id, (p) => p.transactionId !== null && p.status === 'pending', 8_000);
    expect(own.transactionId).not.toBe(paid.transactionId);
    expect(own).toMatchObject({ amountCaptured: 0, payUrl: expect.any(String) });
  });

  it('a declined card shows the cashier wording once the link closes, and the cashier can abort an unpaid one', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 29, 10, 0, 0));
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = track(await payplugTill(sandbox));
    const declined = await t.call('payments.create', { amount: 1800, currency: 'EUR' });
    await payplug(t, 'POST', `/_sandbox/payments/${declined.transactionId}/pay`, {
      card_number: '4000000000000051',
    });
    const untried = await t.call('payments.create', { amount: 1700, currency: 'EUR' });
    // The customer may try another card on the page for 15 minutes; then the link closes.
    await payplug(t, 'POST', '/_sandbox/clock', { advance_seconds: 16 * 60 });
    await t.call('attention.retry', { paymentId: declined.id });
    const failed = await t.waitForPayment(declined.id, (p) => p.status === 'failed', 5_000);
    expect(failed.decline).toMatchObject({ code: 'card_declined', message: 'Card declined. Ask for another card.' });
    // A link nobody tried expired: not a decline (it read "Declined: Declined: The customer has not tried…").
    await t.call('attention.retry', { paymentId: untried.id });
    const expired = await t.waitForPayment(untried.id, (p) => p.status === 'failed', 5_000);
    expect(expired.decline).toMatchObject({
      code: 'link_expired',
      kind: 'not_completed',
      anotherCard: false,
      message: expect.stringMatching(/^The payment link expired before the customer paid/),
    });

    const unpaid = await t.call('payments.create', { amount: 1900, currency: 'EUR' });
    expect((await t.call('payments.cancel', { paymentId: unpaid.id })).status).toBe('canceled');
    const ledger = (await payplug(t, 'GET', '/_sandbox/ledger')).json as {
      payments: { id: string; status?: string }[];
    };
    expect(ledger.payments.map((p) => p.id)).toContain(unpaid.transactionId);
  });

  it('a cancel pressed on a link that lapsed unpaid meanwhile answers the payment as it ended, not a refusal', async () => {
    // Before, the cashier read "Not canceled: PayPlug shows this payment failed already, settled
    // outside this till (on PayPlug's dashboard, or by another till)": nobody settled anything, and
    // what the cancel was for had happened.
    const clock = new FakeClock(Date.UTC(2026, 10, 29, 10, 0, 0));
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = track(await payplugTill(sandbox, { tuning: { remotePollMs: 600_000 } }));
    const link = await t.call('payments.create', { amount: 1900, currency: 'EUR', orderReference: 'LAPSED-1' });
    await payplug(t, 'POST', '/_sandbox/clock', { advance_seconds: 16 * 60 });
    const answer = await t.call('payments.cancel', { paymentId: link.id });
    expect(answer).toMatchObject({ status: 'failed', attention: null, payUrl: null });
    expect(answer.decline).toMatchObject({ code: 'link_expired' });
  });

  it('an order with an open link charged at once gets no authorise-only payment back in its place', async () => {
    const t = track(await payplugTill());
    const order = { amount: 3000, currency: 'EUR', orderReference: 'ORD-HOW' };
    const open = await t.call('payments.create', order);
    expect(await t.fail('payments.create', { ...order, captureMethod: 'manual' })).toMatchObject({
      code: 'conflict',
      message: `Order ORD-HOW already has an open payment (${open.id}) charged at once, not authorised for a later capture. Cancel it before charging the order the other way.`,
      issues: [{ path: 'captureMethod' }],
    });
    await t.call('payments.cancel', { paymentId: open.id });
    const manual = await t.call('payments.create', { ...order, captureMethod: 'manual' });
    expect(manual).toMatchObject({ captureMethod: 'manual', status: 'pending' });
    expect(manual.id).not.toBe(open.id);
    // Asked the same way again, the same link comes back.
    expect((await t.call('payments.create', { ...order, captureMethod: 'manual' })).id).toBe(manual.id);
    expect((await t.fail('payments.create', order)).message).toMatch(
      /authorised for a later capture, not charged at once/,
    );
  });

  it('deferred capture: authorised with its expiry, captured whole, and a partial capture refused locally', async () => {
    const t = track(await payplugTill());
    const created = await t.call('payments.create', { amount: 4000, currency: 'EUR', captureMethod: 'manual' });
    await t.call('simulate.payLink', { paymentId: created.id, cardNumber: '4242424242424242' });
    const authorised = await t.waitForPayment(created.id, (p) => p.status === 'requires_capture', 5_000);
    expect(Date.parse(authorised.authorizationExpiresAt!) - Date.now()).toBeGreaterThan(6 * 24 * 3_600_000);
    // The Capture screen's gateway list says when it lapses too (one made elsewhere is known only there).
    const listed = await t.call('transactions.list', {
      status: 'requires_capture',
      sortField: 'created_at',
      sortOrder: 'asc',
      size: 100,
    });
    expect(listed.data.find((row) => row.id === created.transactionId)?.authorizationExpiresAt).toBe(
      authorised.authorizationExpiresAt,
    );
    // Shown under the Capture screen's amount: what PayPlug does and what to do instead.
    expect((await t.fail('payments.capture', { paymentId: created.id, amount: 1000 })).issues).toEqual([
      {
        path: 'amount',
        message: 'PayPlug captures the whole authorised amount (€40.00); capture it all, then refund the difference.',
      },
    ]);
    const captured = await t.call('payments.capture', { paymentId: created.id });
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 4000 });
    // Refunds: partial, then the rest; a note kept at the gateway.
    expect((await t.call('payments.refund', { paymentId: created.id, amount: 1500, reason: 'scratched' })).status).toBe(
      'partially_refunded',
    );
    expect((await t.call('payments.refund', { paymentId: created.id })).status).toBe('refunded');
    await t.call('payments.annotate', { paymentId: created.id, note: 'returned in store' });
    const detail = await t.call('transactions.get', { transactionId: created.transactionId! });
    expect(detail.transaction.note).toBe('returned in store');
    expect(detail.refunds.map((r) => r.amount).sort()).toEqual([1500, 2500]);
  });

  it('a gateway that takes connections and answers nothing: once known, Details and a note answer at once', async () => {
    // Found by a kill -9 hunt: each Details waited for a read of its own to time out (and a note for
    // recovery's read, then for one of its own), though the banner already said the gateway was
    // not answering. Now the second Details is the till's record at once, and the note is refused
    // at once, with no request sent for either.
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const sent: string[] = [];
    const relay = await startGatewayProxy(sandbox.url, { onRequest: (method, path) => sent.push(`${method} ${path}`) });
    cleanup.push(() => relay.close());
    const t = track(
      await payplugTill(sandbox, { payplugUrl: `${relay.url}/payplug`, tuning: { requestTimeoutMs: 2_000 } }),
    );
    const created = await t.call('payments.create', { amount: 2500, currency: 'EUR' });
    const tx = created.transactionId!;
    await payplug(t, 'POST', `/_sandbox/payments/${tx}/pay`, { card_number: '4242424242424242' });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 5_000);

    const held = relay.hold();
    cleanup.push(() => held.release());
    // The first Details asks the gateway, which does not answer: the till's record, and the till now knows.
    expect(await t.call('transactions.get', { transactionId: created.id })).toMatchObject({
      offline: true,
      transaction: { amount: 2500, status: 'succeeded' },
    });
    await waitFor(
      async () => (await t.call('session.snapshot', {})).connectivity.gateway === 'offline',
      5_000,
      'the offline banner',
    );
    const reads = () => sent.filter((r) => r.startsWith(`GET /payplug/v1/payments/${tx}`)).length;
    const before = reads();
    expect(await t.call('transactions.get', { transactionId: created.id })).toMatchObject({
      offline: true,
      transaction: { amount: 2500, status: 'succeeded' },
    });
    expect(await t.fail('payments.annotate', { paymentId: created.id, note: 'kept' })).toMatchObject({
      code: 'offline',
      message: expect.stringMatching(/not answering, so the note was not saved/),
    });
    expect(reads()).toBe(before);
    expect(sent.filter((r) => r.startsWith('PATCH'))).toEqual([]);
  });

  it('saves a card the customer agreed to keep, charges it in one click, and forgets it', async () => {
    const t = track(await payplugTill());
    const customer = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };
    const first = await t.call('payments.create', { amount: 1200, currency: 'EUR', saveCard: true, customer });
    await payplug(t, 'POST', `/_sandbox/payments/${first.transactionId}/pay`, {
      card_number: '4242424242424242',
      save_card: true,
    });
    await t.waitForPayment(first.id, (p) => p.status === 'succeeded', 5_000);
    const [card] = await waitFor(async () => {
      const cards = await t.call('savedCards.list', { customer: 'ADA@example.com' });
      return cards.length > 0 ? cards : undefined;
    });
    expect(card).toMatchObject({ customer: 'ada@example.com', last4: '4242' });
    const again = await t.call('payments.create', {
      amount: 800,
      currency: 'EUR',
      savedCardId: card!.cardId,
      customer,
    });
    expect((await t.waitForPayment(again.id, (p) => p.status === 'succeeded', 5_000)).amountCaptured).toBe(800);
    // Another customer cannot be charged on Ada's card, nor can a charge name no customer.
    const bob = { email: 'bob@example.com', firstName: 'Bob', lastName: 'Smith' };
    const onBob = await t.fail('payments.create', {
      amount: 900,
      currency: 'EUR',
      savedCardId: card!.cardId,
      customer: bob,
    });
    expect(onBob).toMatchObject({
      code: 'validation',
      issues: [{ path: 'savedCardId', message: expect.stringMatching(/not a card bob@example\.com saved/) }],
    });
    expect(await t.fail('payments.create', { amount: 900, currency: 'EUR', savedCardId: card!.cardId })).toMatchObject({
      code: 'validation',
      issues: [{ path: 'savedCardId' }],
    });
    // A charge on the card the gateway has not confirmed would still be sent after a Forget: refused
    // until it is settled (found by a tester: charged after Forget, once the gateway answered again).
    t.sandbox.payplug.setFaults({ error_rate: 1 });
    const sending = await t.host.invoke('payments.create', {
      amount: 1300,
      currency: 'EUR',
      savedCardId: card!.cardId,
      customer,
    });
    expect(sending.ok).toBe(false);
    expect(await t.fail('savedCards.forget', { cardId: card!.cardId })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/€13\.00 on this card .* still being sent/),
    });
    t.sandbox.payplug.setFaults({ error_rate: 0 });
    const [pending] = (await t.call('payments.list', { filter: 'all' })).filter((p) => p.amount === 1300);
    await t.waitForPayment(pending!.id, (p) => p.status === 'succeeded', 8_000);
    await t.call('savedCards.forget', { cardId: card!.cardId });
    expect(await t.call('savedCards.list', { customer: customer.email })).toEqual([]);
    // Forgotten means never charged again from this till, though the gateway still holds it.
    expect(
      await t.fail('payments.create', { amount: 700, currency: 'EUR', savedCardId: card!.cardId, customer }),
    ).toMatchObject({
      code: 'validation',
      issues: [{ path: 'savedCardId', message: expect.stringMatching(/forget/) }],
    });
    const charged = (await t.call('payments.list', { filter: 'all' })).filter(
      (p) => p.amount === 900 || p.amount === 700,
    );
    expect(charged).toEqual([]);
  });

  it("test mode: the Simulate screen is offered PayPlug's own test cards, and the first one pays", async () => {
    // Found by a tester: with PayPlug the Simulate screen listed PlutoPay's cards, 4000 0000 0000 0002 too.
    const t = track(await payplugTill());
    const cards = (await t.call('session.snapshot', {})).gateway?.linkTestCards ?? [];
    expect(cards.map((c) => c.number)).toEqual(PAYPLUG_TEST_CARDS.map((c) => c.number));
    expect(cards.map((c) => c.number)).not.toContain('4000000000000002');
    // The one the screen chooses at first approves on PayPlug's sandbox.
    const link = await t.call('payments.create', { amount: 1500, currency: 'EUR' });
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: cards[0]!.number });
    await t.waitForPayment(link.id, (p) => p.status === 'succeeded', 5_000);
  });

  it('test mode: paying a link with "save my card" ticked (F3) keeps the card, as the page would', async () => {
    const t = track(await payplugTill());
    const customer = { email: 'lin@example.com', firstName: 'Lin', lastName: 'Ma' };
    const link = await t.call('payments.create', { amount: 1500, currency: 'EUR', saveCard: true, customer });
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242', saveCard: true });
    await t.waitForPayment(link.id, (p) => p.status === 'succeeded', 5_000);
    const cards = await waitFor(async () => {
      const kept = await t.call('savedCards.list', { customer: customer.email });
      return kept.length > 0 ? kept : undefined;
    });
    expect(cards).toMatchObject([{ customer: 'lin@example.com', last4: '4242' }]);
    // On a payment that offers no saving the box is not on the page: ticked anyway, nothing is kept.
    const plain = await t.call('payments.create', { amount: 1200, currency: 'EUR', customer });
    await t.call('simulate.payLink', { paymentId: plain.id, cardNumber: '4242424242424242', saveCard: true });
    await t.waitForPayment(plain.id, (p) => p.status === 'succeeded', 5_000);
    expect(await t.call('savedCards.list', { customer: customer.email })).toHaveLength(1);
  });

  it('a key PayPlug refuses is "refused", not offline: new payments say to check the keys', async () => {
    const t = track(await payplugTill());
    await t.call('settings.update', {
      embeddedSandbox: false,
      payplugApiBaseUrl: t.sandbox.payplug.url,
      payplugSecretKey: 'sk_test_notavalidkey00000000000',
    });
    const snapshot = await waitFor(
      async () => {
        const s = await t.call('session.snapshot', {});
        return s.connectivity.gateway === 'refused' ? s : undefined;
      },
      5_000,
      'the key refused',
    );
    expect(snapshot.connectivity.lastError).toBeTruthy();
    const refused = await t.fail('payments.create', { amount: 1200, currency: 'EUR' });
    expect(refused).toMatchObject({ code: 'conflict' });
    expect(refused.message).toMatch(/refuses this till's credentials .*Check the keys and the API URL in Settings/);
    expect(refused.message).not.toMatch(/unreachable/);
  });

  it('an installment plan is created with its schedule, the first part paid by link, then aborted', async () => {
    const t = track(await payplugTill());
    const customer = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' };
    const plan = await t.call('installments.create', { amount: 30001, currency: 'EUR', count: 3, customer });
    expect(plan.status).toBe('active');
    expect(plan.schedule.map((e) => e.amount)).toEqual([10001, 10000, 10000]);
    expect(plan.payUrl).toMatch(/payplug/);
    expect(
      (await t.fail('installments.create', { amount: 30000, currency: 'EUR', count: 5, customer })).issues?.[0],
    ).toMatchObject({
      path: 'count',
    });
    const aborted = await t.call('installments.abort', { planId: plan.id });
    expect(aborted.status).toBe('aborted');
    expect((await t.call('installments.list', {})).find((p) => p.id === plan.id)?.status).toBe('aborted');
  });

  it('tells the cashier window as a plan changes: set up, its first part paid on the page, aborted', async () => {
    const t = track(await payplugTill());
    const customer = { email: 'mary@example.com', firstName: 'Mary', lastName: 'Jackson' };
    const plan = await t.call('installments.create', { amount: 9000, currency: 'EUR', count: 3, customer });
    const planEvents = () => t.events.flatMap((e) => (e.type === 'plan' && e.plan.id === plan.id ? [e.plan] : []));
    expect(planEvents().at(-1)).toMatchObject({ status: 'active', payUrl: plan.payUrl });
    // The customer pays the first part; nobody lists or refreshes plans: the host says so by itself.
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    const paid = await waitFor(() => planEvents().find((p) => p.schedule[0]?.paid), 8_000, 'the first part paid');
    // Paid, the first part's link is no longer offered: the plan runs on without a QR.
    expect(paid).toMatchObject({ status: 'active', payUrl: null, payUrlExpiresAt: null });
    expect(paid.schedule.map((e) => e.paid)).toEqual([true, false, false]);
    // The part paid is the till's money: captured today, though the till took it in after the fact.
    const x = await waitFor(
      async () => {
        const report = await t.call('reports.x', {});
        return report.totals[0]?.captured ? report : undefined;
      },
      8_000,
      'the part in the X',
    );
    expect(x.totals[0]).toMatchObject({ payments: 1, approvedAmount: 3000, captured: 3000, net: 3000 });
    await t.call('installments.abort', { planId: plan.id });
    expect(planEvents().at(-1)).toMatchObject({ status: 'aborted', payUrl: null });
  });

  it('an order whose plan the gateway has not confirmed: the cashier is told to wait for the till, not to abort it', async () => {
    // Found by a kill -9 hunt: the refusal said "Abort the plan", which cannot be done until the
    // gateway confirms the plan (the till refuses the abort of a plan it has no id for).
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const relay = await startGatewayProxy(sandbox.url);
    cleanup.push(() => relay.close());
    const t = track(await payplugTill(sandbox, { payplugUrl: `${relay.url}/payplug` }));
    const customer = { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' };
    const terms = { amount: 9000, currency: 'EUR', count: 3, customer, orderReference: 'ORD-UNSURE' } as const;
    // PayPlug makes the plan, its answer is lost, and PayPlug is out of reach since.
    const losing = relay.loseAnswer({
      matches: (method, path) => method === 'POST' && path.endsWith('/installment_plans'),
      fate: 'taken',
    });
    void t.host.invoke('installments.create', terms);
    await losing;
    relay.down();
    const unsure = await waitFor(
      async () => (await t.call('installments.list', {})).find((p) => p.orderReference === 'ORD-UNSURE'),
      5_000,
      'the plan listed',
    );
    expect(unsure.gatewayPlanId).toBeNull();
    expect(await t.fail('installments.abort', { planId: unsure.id })).toMatchObject({ code: 'conflict' });

    const refused = await t.fail('payments.create', { amount: 9000, currency: 'EUR', orderReference: 'ORD-UNSURE' });
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(/The gateway has not confirmed the plan yet, so it cannot be aborted/);
    expect(refused.message).toMatch(/the till looks for it by itself whenever the gateway answers/);
    expect(refused.message).toMatch(/Wait until its panel .* shows it running, then use Abort plan there/);

    // PayPlug answers again: the till finds the plan, and the way out is the abort.
    relay.up();
    await waitFor(
      async () => (await t.call('installments.list', {})).find((p) => p.id === unsure.id && p.status === 'active'),
      10_000,
      'the plan found running',
    );
    expect(
      (await t.fail('payments.create', { amount: 9000, currency: 'EUR', orderReference: 'ORD-UNSURE' })).message,
    ).toMatch(
      /Use Abort plan on its panel \(open it from Installment plans on Transactions\) before charging the order/,
    );
  });

  it('an order is paid one way only: a plan or a payment, never both, and never two plans', async () => {
    const t = track(await payplugTill());
    const customer = { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' };
    const terms = { amount: 9000, currency: 'EUR', count: 3, customer, orderReference: 'ORD-PLAN' } as const;
    const plan = await t.call('installments.create', terms);
    // Charge pressed twice: the same plan comes back, nothing new at the gateway.
    expect((await t.call('installments.create', terms)).id).toBe(plan.id);
    expect(await t.fail('installments.create', { ...terms, count: 2 })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already has a plan of €90\.00 in 3 installments/),
    });
    expect(
      await t.fail('payments.create', { amount: 9000, currency: 'EUR', orderReference: 'ORD-PLAN' }),
    ).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/paid in installments .*Use Abort plan on its panel .*before charging the order/),
    });
    // "ORD-PLAN#2" is the name of the plan's second part: not an order of its own (a tester's charge
    // under it made the gateway's second installment unable to join the journal).
    expect(
      await t.fail('payments.create', { amount: 1000, currency: 'EUR', orderReference: 'ORD-PLAN#2' }),
    ).toMatchObject({ code: 'conflict', message: expect.stringMatching(/paid in installments/) });
    // The first part paid, then the plan aborted: the shop still holds that money, so the order
    // takes no other payment until it is refunded.
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    await waitFor(async () => {
      const plans = await t.call('installments.list', {});
      return plans.find((p) => p.id === plan.id)?.schedule[0]?.paid ? true : undefined;
    });
    // The part's payment names the till's plan, not the gateway's, once the gateway says it is paid.
    const part = (await t.call('payments.list', { filter: 'all', limit: 100 })).find(
      (p) => p.transactionId === plan.schedule[0]!.paymentIds[0],
    );
    expect(part).toMatchObject({ status: 'succeeded', installmentPlanId: plan.id });
    await t.call('installments.abort', { planId: plan.id });
    // Both ways of charging the order give the same advice (found by a tester: "Charge a new order
    // instead." from one, "Refund what was paid before paying it again." from the other).
    const asPlan = await t.fail('installments.create', terms);
    expect(asPlan).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /partly paid in installments .*Refund that part on Transactions before paying this order again, or take the rest under a new order reference\.$/,
      ),
      issues: [{ path: 'orderReference' }],
    });
    const asPayment = await t.fail('payments.create', { amount: 9000, currency: 'EUR', orderReference: 'ORD-PLAN' });
    expect(asPayment).toEqual(asPlan);
    expect((await t.call('installments.list', {})).filter((p) => p.orderReference === 'ORD-PLAN')).toHaveLength(1);

    // And the other way round: an order with an open payment, or a paid one, gets no plan.
    const open = await t.call('payments.create', { amount: 4000, currency: 'EUR', orderReference: 'ORD-PAY' });
    expect(await t.fail('installments.create', { ...terms, orderReference: 'ORD-PAY' })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already has an open payment .*Cancel it/),
    });
    await payplug(t, 'POST', `/_sandbox/payments/${open.transactionId}/pay`, { card_number: '4242424242424242' });
    await t.waitForPayment(open.id, (p) => p.status === 'succeeded', 5_000);
    expect(await t.fail('installments.create', { ...terms, orderReference: 'ORD-PAY' })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/ORD-PAY is already paid/),
    });
  });

  it('Transactions search finds a payment by description, email, card last four and order reference', async () => {
    const t = track(await payplugTill());
    const paidByLink = async (fields: Record<string, unknown>, cardNumber: string) => {
      const created = await t.call('payments.create', { currency: 'EUR', ...fields });
      await t.call('simulate.payLink', { paymentId: created.id, cardNumber });
      return t.waitForPayment(created.id, (p) => p.status === 'succeeded', 5_000);
    };
    const vase = await paidByLink(
      { amount: 4500, description: 'Blue vase', receiptEmail: 'marie@example.fr', orderReference: 'VASE-77' },
      '5500005555555559',
    );
    await paidByLink(
      { amount: 2500, description: 'Red lamp', receiptEmail: 'paul@example.fr', orderReference: 'LAMP-12' },
      '4242424242424242',
    );

    for (const search of ['Blue', 'blue vase', 'marie@example.fr', '5559', 'VASE-77', 'vase-7']) {
      const found = await t.call('transactions.list', { search });
      expect(
        found.data.map((tx) => [tx.id, tx.orderReference]),
        search,
      ).toEqual([[vase.transactionId, 'VASE-77']]);
      expect(found.meta, search).toMatchObject({ currentPage: 1, lastPage: 1, total: 1 });
    }
    // Both, by what they share; other filters still apply; and nothing for what neither has.
    expect((await t.call('transactions.list', { search: 'example.fr' })).meta.total).toBe(2);
    expect((await t.call('transactions.list', { search: 'example.fr', status: 'refunded' })).data).toEqual([]);
    expect((await t.call('transactions.list', { search: 'teapot' })).meta.total).toBe(0);
  });

  it('Transactions search finds by order reference a payment older than the newest 300 PayPlug searches', async () => {
    const t = track(await payplugTill());
    const old = await t.call('payments.create', {
      amount: 3100,
      currency: 'EUR',
      description: 'Green bowl',
      orderReference: 'BOWL-5',
    });
    // 300 newer payments, made by the shop's web site on the same account.
    for (let batch = 0; batch < 15; batch += 1) {
      await Promise.all(
        Array.from({ length: 20 }, () => payplug(t, 'POST', '/v1/payments', { amount: 1000, currency: 'EUR' })),
      );
    }
    // The order reference is the till's own: its journal finds the payment PayPlug's window no longer holds.
    const found = await t.call('transactions.list', { search: 'BOWL-5' });
    expect(found.data.map((tx) => [tx.id, tx.orderReference])).toEqual([[old.transactionId, 'BOWL-5']]);
    expect(found.meta.total).toBe(1);
    // What only PayPlug holds is searched over its newest 300 payments (docs/gateway-payplug.md, Lists).
    expect((await t.call('transactions.list', { search: 'Green bowl' })).meta.total).toBe(0);
  });

  it('Transactions pages: past the last page the total stays what exists', async () => {
    const t = track(await payplugTill());
    for (let index = 0; index < 9; index += 1) {
      await t.call('payments.create', { amount: 1000 + index, currency: 'EUR', orderReference: `PAGE-${index}` });
    }
    const pages = [];
    for (const page of [1, 2, 3, 4]) pages.push(await t.call('transactions.list', { size: 5, page }));
    expect(pages.map((p) => p.data.length)).toEqual([5, 4, 0, 0]);
    // Page 1 cannot know the end yet (PayPlug gives no total) and says so; from page 2 on it is known.
    expect(pages[0]!.meta).toEqual({ currentPage: 1, lastPage: 2, perPage: 5, total: 6, more: true });
    expect(pages.slice(1).map((p) => p.meta)).toEqual([
      { currentPage: 2, lastPage: 2, perPage: 5, total: 9 },
      { currentPage: 3, lastPage: 2, perPage: 5, total: 9 },
      { currentPage: 4, lastPage: 2, perPage: 5, total: 9 },
    ]);
  });

  it('switching the till from PlutoPay to PayPlug and back loses nothing', async () => {
    const t = track(await startTestHost({ tuning: { remotePollMs: 50 } }));
    const reader = await t.onlineReader();
    const onPlutoPay = await t.call('payments.create', { amount: 1100, currency: 'EUR', captureMethod: 'manual' });
    await t.call('payments.process', { paymentId: onPlutoPay.id, readerId: reader.id });
    await t.waitForPayment(onPlutoPay.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(onPlutoPay.id, (p) => p.status === 'requires_capture');

    await t.call('settings.update', { gateway: 'payplug' });
    const onPayPlug = await t.call('payments.create', { amount: 1300, currency: 'EUR' });
    expect(onPayPlug.gateway).toBe('payplug');
    // The PlutoPay authorisation waits: nothing can be done to it from PayPlug, and nothing was lost.
    const waiting = (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.id === onPlutoPay.id)!;
    expect(waiting).toMatchObject({ status: 'requires_capture', next: [] });
    expect((await t.fail('payments.capture', { paymentId: onPlutoPay.id })).message).toMatch(/Switch back/);

    await t.call('settings.update', { gateway: 'plutopay' });
    await t.onlineReader();
    expect((await t.call('payments.capture', { paymentId: onPlutoPay.id })).status).toBe('succeeded');
    const payplugOne = (await t.call('payments.list', { filter: 'all', limit: 50 })).find(
      (p) => p.id === onPayPlug.id,
    )!;
    expect(payplugOne).toMatchObject({ gateway: 'payplug', status: 'pending', next: [] });
  });
});
