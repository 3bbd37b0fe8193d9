/**
 * The port's contract: what every PaymentGateway must do, exercised through the port only, so the
 * same suite runs against each gateway (over real HTTP, against its sandbox emulator). What a
 * gateway may do differently is chosen from its capabilities, never its name:
 * - the channel: `link` when it pays by link and hosts no reader, else `card_present` (a subject
 *   may name the channel, to run the suite again on a gateway's other one);
 * - paying: `simulateLinkPayment` for a link, a gateway-simulated reader for card present;
 * - a lost answer: with idempotency keys the same create is resent; without, findCreated finds it;
 * - deferred capture only with `capabilities.deferredCapture`.
 * The subject adds the few things the port does not cover: the emulator's faults and ledger, the
 * sandbox's approving test card, and what the gateway's API cannot do at all (no capability says
 * so yet): list payments, or withdraw an unpaid pay-by-link payment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_NAMES } from '../../common/contract';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import type { GatewayPayment, NewPayment, PaymentGateway } from '../../main/gateway/port';
import { badServer, caught, closedPortUrl, type BadServer } from './helpers';

export interface ContractSubject {
  readonly gateway: PaymentGateway;
  /** The same gateway, configured alike, at another base URL (an unreachable or misbehaving one). */
  at(baseUrl: string): PaymentGateway;
  /** The emulator's `drop_after_commit_rate`: 1 loses the answer of every change after committing it. */
  dropAfterCommit(rate: 0 | 1): void;
  /** The gateway ids of the payments the emulator's ledger holds for a create made with `key`. */
  ledgerPaymentsFor(key: string): Promise<string[]>;
  /** The channel to exercise; by default the gateway's natural one (link only without readers). */
  readonly channel?: NewPayment['channel'];
  /** A test card the gateway's sandbox approves without a challenge (default 4242 4242 4242 4242). */
  readonly approvedCard?: string;
  /**
   * What the gateway's API has no call for: `list` — its payments cannot be listed (list answers
   * an empty page and the host lists from its journal); `cancelUnpaid` — an unpaid pay-by-link
   * payment cannot be withdrawn (cancel refuses it and leaves it as it was).
   */
  readonly cannot?: { readonly list?: boolean; readonly cancelUnpaid?: boolean };
  /**
   * A gateway whose calls first fetch an access token there: a working answer of that endpoint, so
   * a misbehaving server's answer reaches the call itself (an unreadable token answer means the
   * call was never sent — tested with the gateway's own client).
   */
  readonly token?: { readonly path: string; readonly answer: () => string };
  close(): Promise<void>;
}

const DEFAULT_APPROVED_CARD = '4242424242424242';

export function describePaymentGatewayContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`PaymentGateway contract: ${name}`, () => {
    let subject: ContractSubject;
    let gateway: PaymentGateway;
    let currency: string;
    let channel: NewPayment['channel'];
    let readerId: string | null = null;
    let counter = 0;
    let approvedCard = DEFAULT_APPROVED_CARD;

    beforeAll(async () => {
      subject = await factory();
      gateway = subject.gateway;
      approvedCard = subject.approvedCard ?? DEFAULT_APPROVED_CARD;
      const account = await gateway.account();
      const accepted = gateway.limits.currencies;
      currency = !accepted || accepted.includes(account.defaultCurrency) ? account.defaultCurrency : accepted[0]!;
      channel =
        subject.channel ??
        (gateway.capabilities.payByLink && !gateway.capabilities.readerLink ? 'link' : 'card_present');
    });

    afterAll(async () => {
      await subject?.close();
    });

    const amount = () => Math.min(Math.max(2500, gateway.limits.amount.min), gateway.limits.amount.max);

    function newPayment(overrides: Partial<NewPayment> = {}): NewPayment {
      counter += 1;
      return {
        amount: amount(),
        currency,
        captureMethod: 'automatic',
        description: `Contract ${counter}`,
        customerId: null,
        receiptEmail: null,
        orderReference: `contract-${counter}`,
        paymentId: `pay_contract${String(counter).padStart(8, '0')}`,
        channel,
        ...overrides,
      };
    }

    const key = (what: string) => `contract-${what}-${counter}`;

    /** The customer pays with a test card: on the link's page, or on a gateway-simulated reader. */
    async function collect(payment: GatewayPayment, card = approvedCard): Promise<GatewayPayment> {
      if (channel === 'link') {
        expect(gateway.simulateLinkPayment, 'a pay-by-link gateway simulates the customer').toBeTypeOf('function');
        return gateway.simulateLinkPayment!(payment.id, card);
      }
      const readers = gateway.readers;
      if (!readers) throw new Error(`${name} takes card-present payments but has no readers`);
      if (readerId === null) {
        const registered = await readers.register({ name: 'Contract reader', registrationCode: 'simulated' });
        readerId = registered.readerId;
      }
      await readers.push(payment.id, readerId);
      await readers.simulate(readerId, card);
      return gateway.retrieve(payment.id);
    }

    it('names itself and states its limits', () => {
      expect(gateway.label).not.toBe('');
      expect(gateway.limits.amount.min).toBeGreaterThan(0);
      expect(gateway.limits.amount.max).toBeGreaterThanOrEqual(gateway.limits.amount.min);
      expect(GATEWAY_NAMES).toContain(gateway.name);
      if (gateway.limits.currencies) expect(gateway.limits.currencies.length).toBeGreaterThan(0);
    });

    it('answers health and account (test mode, an ISO currency)', async () => {
      await expect(gateway.health()).resolves.toBeUndefined();
      const account = await gateway.account();
      expect(account.testMode).toBe(true);
      expect(account.defaultCurrency).toMatch(/^[A-Z]{3}$/);
      expect(account.id).not.toBe('');
    });

    it('creates a payment for its channel and retrieves it', async () => {
      const input = newPayment();
      const created = await gateway.create(input, key('create'));
      expect(created).toMatchObject({
        status: 'pending',
        amount: input.amount,
        currency,
        captureMethod: 'automatic',
        orderReference: input.orderReference,
        amountRefunded: 0,
        amountCaptured: 0,
        card: null,
        failure: null,
      });
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      if (channel === 'link') expect(created.payUrl).toMatch(/^https?:\/\//);
      const read = await gateway.retrieve(created.id);
      expect(read).toMatchObject({
        id: created.id,
        status: 'pending',
        amount: input.amount,
        orderReference: input.orderReference,
      });
    });

    it('lists payments newest first, the new ones included', async () => {
      if (subject.cannot?.list) {
        // Nothing to list from: an empty, well-formed page, and the payments are still there.
        const made = await gateway.create(newPayment(), key('list-none'));
        const page = await gateway.list({ sortField: 'created_at', sortOrder: 'desc', page: 1, size: 20 });
        expect(page).toEqual({ data: [], meta: { currentPage: 1, lastPage: 1, perPage: 20, total: 0 } });
        expect((await gateway.retrieve(made.id)).id).toBe(made.id);
        return;
      }
      const first = await gateway.create(newPayment(), key('list-a'));
      const second = await gateway.create(newPayment(), key('list-b'));
      const page = await gateway.list({ sortField: 'created_at', sortOrder: 'desc', page: 1, size: 20 });
      const ids = page.data.map((payment) => payment.id);
      expect(ids).toContain(first.id);
      expect(ids).toContain(second.id);
      // Newest first: a later payment is never listed after an earlier one.
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
      const times = page.data.map((payment) => Date.parse(payment.createdAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(page.meta.currentPage).toBe(1);
      expect(page.meta.perPage).toBe(20);
      expect(page.meta.total).toBeGreaterThanOrEqual(2);
    });

    it('never makes a second payment of a create whose answer was lost', async () => {
      const input = newPayment();
      const createKey = key('lost');
      subject.dropAfterCommit(1);
      let lost: unknown;
      try {
        lost = await caught(gateway.create(input, createKey));
      } finally {
        subject.dropAfterCommit(0);
      }
      expect(lost).toBeInstanceOf(GatewayUnreachable);
      expect((lost as GatewayUnreachable).outcome).toBe('unknown');

      let payment: GatewayPayment;
      if (gateway.capabilities.idempotencyKeys) {
        // The key makes the resend safe: the same payment comes back.
        payment = await gateway.create(input, createKey);
      } else {
        // Retrieve before retry: the payment is found by its tag.
        const found = await gateway.findCreated(input, createKey);
        expect(found).not.toBeNull();
        payment = found!;
        expect(await gateway.findCreated(input, `${createKey}-never-sent`)).toBeNull();
      }
      expect(payment).toMatchObject({ amount: input.amount, orderReference: input.orderReference, status: 'pending' });
      expect(await subject.ledgerPaymentsFor(createKey)).toEqual([payment.id]);
    });

    it('is paid with a test card', async () => {
      const created = await gateway.create(newPayment(), key('pay'));
      const paid = await collect(created);
      expect(paid).toMatchObject({
        id: created.id,
        status: 'succeeded',
        amountCaptured: created.amount,
        failure: null,
        payUrl: null,
      });
      expect(paid.card?.last4).toBe(approvedCard.slice(-4));
      expect((await gateway.retrieve(created.id)).status).toBe('succeeded');
    });

    it('refunds part, then the rest, and lists the refunds', async () => {
      const paid = await collect(await gateway.create(newPayment(), key('refund')));
      const firstKey = key('refund-1');
      const part = await gateway.refund(paid.id, { amount: 1000, reason: 'Contract partial' }, firstKey);
      expect(part).toMatchObject({ id: paid.id, status: 'partially_refunded', amountRefunded: 1000 });

      if (gateway.capabilities.idempotencyKeys) {
        // Resending with the same key refunds nothing more.
        const again = await gateway.refund(paid.id, { amount: 1000, reason: 'Contract partial' }, firstKey);
        expect(again.amountRefunded).toBe(1000);
      } else {
        expect(await gateway.refundExists(paid.id, firstKey)).toBe(true);
        expect(await gateway.refundExists(paid.id, `${firstKey}-never-sent`)).toBe(false);
      }

      const rest = await gateway.refund(paid.id, {}, key('refund-2'));
      expect(rest).toMatchObject({ status: 'refunded', amountRefunded: paid.amount });

      const refunds = await gateway.refunds(paid.id);
      expect(refunds.map((refund) => refund.amount).sort((a, b) => a - b)).toEqual([1000, paid.amount - 1000]);
      for (const refund of refunds) expect(refund).toMatchObject({ paymentId: paid.id, currency });
    });

    it('captures a deferred payment (when it has deferred capture)', async (context) => {
      if (!gateway.capabilities.deferredCapture) context.skip();
      const input = newPayment({ captureMethod: 'manual' });
      if (channel === 'link' && !gateway.capabilities.deferredCaptureByLink) {
        // Its links are captured when paid: a later capture is refused before anything is made.
        const refused = await caught(gateway.create(input, key('deferred')));
        expect(refused).toBeInstanceOf(GatewayError);
        expect(await subject.ledgerPaymentsFor(key('deferred'))).toEqual([]);
        return;
      }
      const created = await gateway.create(input, key('deferred'));
      expect(created.captureMethod).toBe('manual');
      const authorized = await collect(created);
      expect(authorized).toMatchObject({ status: 'requires_capture', amountCapturable: created.amount });
      const captured = await gateway.capture(created.id, undefined, key('capture'));
      expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: created.amount, amountCapturable: 0 });
    });

    it('cancels an unpaid payment', async () => {
      const created = await gateway.create(newPayment(), key('cancel'));
      if (subject.cannot?.cancelUnpaid) {
        // Refused with a reason, and nothing changed: the payment can still be paid.
        const refused = await caught(gateway.cancel(created.id, key('cancel-op')));
        expect(refused).toBeInstanceOf(GatewayError);
        expect((refused as GatewayError).message).not.toBe('');
        expect(await gateway.retrieve(created.id)).toMatchObject({ status: 'pending', payUrl: created.payUrl });
        return;
      }
      const canceled = await gateway.cancel(created.id, key('cancel-op'));
      expect(canceled).toMatchObject({ id: created.id, status: 'canceled', payUrl: null });
      expect((await gateway.retrieve(created.id)).status).toBe('canceled');
    });

    it('refuses a notification it cannot verify (when it takes notifications)', (context) => {
      const notifications = gateway.notifications;
      if (!notifications) return context.skip();
      expect(notifications.path).toMatch(/^\/webhooks\/[a-z]+$/);
      const verdict = notifications.verify({
        rawBody: Buffer.from('{"forged": true, "status": "succeeded"}'),
        headers: { 'content-type': 'application/json' },
        nowMs: Date.now(),
        remember: () => true,
      });
      expect(verdict.ok).toBe(false);
    });

    it('reports a refusal as a GatewayError with a message', async () => {
      const unknown = await caught(gateway.retrieve('nonexistent_00000000000000'));
      expect(unknown).toBeInstanceOf(GatewayError);
      expect((unknown as GatewayError).status).toBeGreaterThanOrEqual(400);
      expect((unknown as GatewayError).status).toBeLessThan(500);
      expect((unknown as GatewayError).message).not.toBe('');

      const paid = await collect(await gateway.create(newPayment(), key('over-refund')));
      const tooMuch = await caught(gateway.refund(paid.id, { amount: paid.amount + 100 }, key('over-refund-op')));
      expect(tooMuch).toBeInstanceOf(GatewayError);
      expect((tooMuch as GatewayError).message).not.toBe('');
      expect((await gateway.retrieve(paid.id)).amountRefunded).toBe(0);
    });

    it('reports an unreachable gateway as GatewayUnreachable, not sent', async () => {
      // Port 9 is one fetch() refuses outright; the other is a loopback port nobody listens on.
      for (const baseUrl of ['http://127.0.0.1:9', await closedPortUrl()]) {
        const nowhere = subject.at(baseUrl);
        const read = await caught(nowhere.retrieve('anything'));
        expect(read, baseUrl).toBeInstanceOf(GatewayUnreachable);
        expect((read as GatewayUnreachable).outcome, baseUrl).toBe('not_sent');
        const made = await caught(nowhere.create(newPayment(), key('nowhere')));
        expect(made, baseUrl).toBeInstanceOf(GatewayUnreachable);
        expect((made as GatewayUnreachable).outcome, baseUrl).toBe('not_sent');
      }
    });

    describe('a server answering what the gateway cannot read', () => {
      let bad: BadServer;
      beforeAll(async () => {
        bad = await badServer();
      });
      afterAll(async () => {
        await bad?.close();
      });

      it('is GatewayUnreachable with an unknown outcome (garbage, wrong shape, unreadable refusal)', async () => {
        const confused = subject.at(bad.url);
        if (subject.token) bad.answerAt(subject.token.path, 200, subject.token.answer());
        for (const [status, body] of [
          [200, 'this is not JSON {'],
          [200, '{"hello": "world"}'],
          [400, '<html>Bad gateway</html>'],
        ] as const) {
          bad.answer(status, body);
          const read = await caught(confused.retrieve('anything'));
          expect(read, `${status} ${body}`).toBeInstanceOf(GatewayUnreachable);
          expect((read as GatewayUnreachable).outcome).toBe('unknown');
          const made = await caught(confused.create(newPayment(), key('garbage')));
          expect(made).toBeInstanceOf(GatewayUnreachable);
          expect((made as GatewayUnreachable).outcome).toBe('unknown');
        }
      });
    });
  });
}
