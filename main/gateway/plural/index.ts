/**
 * Plural (Pine Labs) behind the port: pay by link on Plural's checkout page (a QR code at the
 * counter), pre-authorisation with full or partial capture, refunds, and split settlement — each
 * payment shared between merchants, held shares released (in full or in part) or cancelled by the
 * till. No card readers, no idempotency keys (deterministic references are looked up instead, see
 * references.ts), signed returns and webhooks. docs/gateway-plural.md explains every choice.
 */
import { systemClock, type Clock } from '../../../common/clock';
import { formatAmount } from '../../../common/money';
import { PLURAL_TEST_CARDS } from '../../../common/plural-test-cards';
import { afterChange, isGatewayError } from '../errors';
import type { GatewayHttpOptions } from '../http';
import type {
  GatewayCapabilities,
  GatewayPayment,
  NewPayment,
  PaymentGateway,
  PaymentPage,
  ReturnVerdict,
} from '../port';
import { checkCapture, checkNewCharge, refuse } from './checks';
import { PLURAL_LIMITS, PluralClient, inr, type CreateOrderBody, type WireRefundLine } from './client';
import { toPayment, toRefund } from './map';
import { NOTIFICATION_PATH, verifyPluralNotification } from './notifications';
import {
  captureReference,
  chargeReference,
  chargeTags,
  hasKey,
  MAX_REFUNDS,
  refundReference,
  refundTags,
  settlementLineReference,
  type RefundOp,
} from './references';
import type { WireOrder } from './schemas';
import { verifyReturnParams } from './signature';
import {
  allocateRefund,
  drawFromShares,
  chargeMoney,
  commitRoom,
  explicitRefund,
  MIN_LINE,
  REFUNDABLE,
  refundRoom,
  releasable,
  restToRefund,
  type ChargeMoney,
  type RefundLinePlan,
  type SplitMoney,
} from './splits';

export { PLURAL_LIMITS } from './client';
export { NOTIFICATION_PATH } from './notifications';

export const PLURAL_CAPABILITIES: GatewayCapabilities = {
  readerLink: false,
  cloudReaders: false,
  payByLink: true,
  // pre_auth: authorise on the checkout page, capture (or cancel) later; Plural states no lifetime.
  deferredCapture: { authorizationDays: null },
  deferredCaptureByLink: true,
  // A capture may be less than the authorisation (PARTIALLY_CAPTURED).
  partialCapture: true,
  partialRefund: true,
  installments: null,
  savedCards: false,
  splitSettlement: true,
  idempotencyKeys: false,
  // Every order and refund carries a reference derived from its key, which Plural refuses twice
  // (DUPLICATE_REQUEST): a resend racing a first send still on its way cannot make a second.
  resendAfterUnknownMs: 0,
  signedNotifications: true,
  // No order listing: the till lists the payments it made, from its journal.
  listsPayments: false,
  transactionSearch: false,
  transactionSearchFinds: [],
  filtersLinks: false,
  // An unpaid order's checkout page cannot be withdrawn; it stays open until it expires.
  cancelsUnpaidLink: false,
  // Against the app's sandbox only (see simulateLinkPayment).
  simulateCards: true,
  // An order's metadata is fixed when it is created.
  paymentNotes: false,
  receiptEmail: false,
  // Plural's API offers no dispute list to the till.
  disputes: false,
  paymentMethods: ['link'],
};

/**
 * The cards the app's Plural sandbox knows (common/plural-test-cards.ts): what the Simulate screen
 * offers on a Plural link. simulateLinkPayment passes a challenge card's 3-D Secure step.
 */
export const PLURAL_LINK_TEST_CARDS: readonly { number: string; label: string }[] = PLURAL_TEST_CARDS.map((card) => ({
  number: card.number,
  label: card.outcome.kind === 'challenge' ? `${card.label}, passed` : card.label,
}));

/** Plural's production API; every other base URL (its UAT, the app's sandbox) is test mode. */
export const LIVE_HOST = 'api.pluralpay.in';

export interface PluralConfig {
  /** https://api.pluralpay.in (live), https://pluraluat.v2.pinepg.in (UAT), or the sandbox's `plural.url`. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Hex: the HMAC key (hex-decoded) of return-URL and webhook signatures. */
  signatureKey: string;
  /**
   * Where the customer's browser returns after paying on the checkout page (signed fields added);
   * a function is asked on every create (the till's own return address may change while it runs).
   */
  callbackUrl?: string | null | (() => string | null);
  http?: Omit<GatewayHttpOptions, 'baseUrl' | 'parseError'>;
  /** The token's expiry and Request-Timestamp are read from it; tests pass a FakeClock. */
  clock?: Clock;
}

export interface PluralGateway extends PaymentGateway {
  simulateLinkPayment(id: string, cardNumber: string): Promise<GatewayPayment>;
  readonly settlements: NonNullable<PaymentGateway['settlements']>;
  verifyReturn(params: Record<string, string>): ReturnVerdict;
}

/** A charge as it stands: the order and the refund orders this app can find for it. */
interface Charge {
  order: WireOrder;
  refunds: WireOrder[];
  /** The n of the next `-R{n}` refund reference. */
  nextRefund: number;
}

const REFUNDED_STATUSES = new Set(['PARTIALLY_REFUNDED', 'FULLY_REFUNDED', 'REFUNDED']);

function isLiveUrl(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname.toLowerCase() === LIVE_HOST;
  } catch {
    return false;
  }
}

export function createPluralGateway(config: PluralConfig): PluralGateway {
  const clock = config.clock ?? systemClock;
  const api = new PluralClient(
    config.baseUrl,
    { clientId: config.clientId, clientSecret: config.clientSecret },
    clock,
    // Masked by value in the gateway's error texts (GatewayHttp): neither has a shape of its own.
    { ...config.http, secrets: () => [config.clientSecret, config.signatureKey] },
  );
  const live = isLiveUrl(config.baseUrl);
  const callbackUrlNow = (): string | null =>
    typeof config.callbackUrl === 'function' ? config.callbackUrl() : (config.callbackUrl ?? null);

  // ---- reading a charge ------------------------------------------------------------------------

  /** The refunds of a charge: `-R1`, `-R2`, … read until one does not exist. */
  async function findRefunds(order: WireOrder): Promise<{ refunds: WireOrder[]; next: number }> {
    const refunds: WireOrder[] = [];
    for (let n = 1; n <= MAX_REFUNDS; n += 1) {
      const found = await api.findOrderByReference(refundReference(order.order_id, n));
      if (found === null) return { refunds, next: n };
      // A reference taken by some other order is skipped (it can never be ours).
      if (found.type === 'REFUND' && found.parent_order_id === order.order_id) refunds.push(found);
    }
    return { refunds, next: MAX_REFUNDS + 1 };
  }

  /** The order and, when it says money went back, its refunds. */
  async function chargeOf(order: WireOrder): Promise<Charge> {
    if (order.type !== 'CHARGE') throw refuse(`${order.order_id} is a refund, not a payment.`, 'id', 'not_refundable');
    if (!REFUNDED_STATUSES.has(order.status)) return { order, refunds: [], nextRefund: 1 };
    const { refunds, next } = await findRefunds(order);
    return { order, refunds, nextRefund: next };
  }

  async function readCharge(id: string): Promise<Charge> {
    return chargeOf(await api.getOrder(id));
  }

  async function retrieve(id: string): Promise<GatewayPayment> {
    const charge = await readCharge(id);
    return toPayment(charge.order, charge.refunds);
  }

  // ---- refunds ---------------------------------------------------------------------------------

  /**
   * Makes one refund order (`-R{n}`, tagged with the key). Should `-R{n}` be taken meanwhile (409),
   * the refunds are read again: if one carries this key it is the one made — else the next n is used.
   */
  async function makeRefund(
    charge: Charge,
    amount: number,
    lines: readonly RefundLinePlan[],
    tags: { key: string; op: RefundOp; reason?: string | null },
  ): Promise<void> {
    let next = charge.nextRefund;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const reference = refundReference(charge.order.order_id, next);
      const splitLines: WireRefundLine[] = lines.map((line, index) => ({
        parent_order_split_settlement_id: line.split.id,
        split_merchant_id: line.split.merchantId,
        merchant_settlement_reference: settlementLineReference(reference, index),
        amount: inr(line.amount),
        ...(line.doNotRecover ? { status: 'DO_NOT_RECOVER' as const } : {}),
      }));
      try {
        await api.createRefund(charge.order.order_id, {
          merchant_order_reference: reference,
          order_amount: inr(amount),
          merchant_metadata: refundTags(tags),
          ...(splitLines.length > 0 ? { split_info: { split_type: 'AMOUNT', split_details: splitLines } } : {}),
        });
        return;
      } catch (error) {
        if (!isGatewayError(error, 'DUPLICATE_REQUEST')) throw error;
        const again = await findRefunds(charge.order);
        if (again.refunds.some((refund) => hasKey(refund.purchase_details?.merchant_metadata, tags.key))) return;
        next = again.next;
      }
    }
    throw refuse('Plural kept refusing the refund references as taken; try again.', null, 'refund_reference_taken');
  }

  function splitOf(money: ChargeMoney, splitId: string): SplitMoney {
    const split = money.splits.find((candidate) => candidate.id === splitId);
    if (!split) throw refuse(`This payment has no split ${splitId}.`, 'splitId', 'split_unknown');
    return split;
  }

  /** The DO_NOT_RECOVER refund of a split's unsettled rest, unless it was made already. */
  /** Whether a refund was made (nothing was left to refund: none). */
  async function refundRest(charge: Charge, splitId: string, key: string, op: RefundOp): Promise<boolean> {
    const money = chargeMoney(charge.order, charge.refunds);
    const split = splitOf(money, splitId);
    const rest = restToRefund(money, split);
    if (rest === 0) return false;
    await makeRefund(charge, rest, [{ split, amount: rest, doNotRecover: true }], { key, op });
    return true;
  }

  /**
   * The next step of a port call that may already have changed something at Plural (`made` says
   * what, null: nothing yet): once something was, a step that gets no answer leaves the call's
   * outcome unknown, never "not sent" (see afterChange).
   */
  const next = <T>(made: string | null, step: () => Promise<T>): Promise<T> =>
    made === null ? step() : afterChange(made, step);

  /** An order answer after a change, with the refunds found before it (unchanged by that change). */
  const after = (charge: Charge, order: WireOrder): Charge => ({ ...charge, order });

  // ---- the port --------------------------------------------------------------------------------

  /** Retrieve-before-retry: the charge made with `key` is the one with the reference `key` maps to. */
  async function findCreated(input: NewPayment, key: string): Promise<GatewayPayment | null> {
    const order = await api.findOrderByReference(chargeReference(input.orderReference, key));
    if (!order || order.type !== 'CHARGE' || !hasKey(order.purchase_details?.merchant_metadata, key)) return null;
    const charge = await chargeOf(order);
    return toPayment(charge.order, charge.refunds);
  }

  async function list(query: { page: number; size: number }): Promise<PaymentPage> {
    // Plural has no order listing: the host lists this till's payments from its journal.
    const page = Math.max(1, Math.floor(query.page));
    const size = Math.min(100, Math.max(1, Math.floor(query.size)));
    return { data: [], meta: { currentPage: page, lastPage: 1, perPage: size, total: 0 } };
  }

  return {
    name: 'plural',
    label: 'Plural',
    capabilities: PLURAL_CAPABILITIES,
    namesRequests: true,
    limits: PLURAL_LIMITS,
    linkTestCards: PLURAL_LINK_TEST_CARDS,

    async health() {
      // A new token proves both that Plural answers and that the credentials are good.
      await api.tokens.refresh({ timeoutMs: 3_000 });
    },

    async account() {
      // Plural has no account endpoint: a token proves the credentials.
      await api.tokens.get();
      return {
        id: live ? 'plural_live' : 'plural_test',
        businessName: null,
        displayName: null,
        defaultCurrency: 'INR',
        testMode: !live,
      };
    },

    checkCreate: (input) => void checkNewCharge(input),

    async create(input, key) {
      const { splitLines, customer } = checkNewCharge(input);
      const callbackUrl = callbackUrlNow();
      const body: CreateOrderBody = {
        merchant_order_reference: chargeReference(input.orderReference, key),
        order_amount: inr(input.amount),
        pre_auth: input.captureMethod === 'manual',
        allowed_payment_methods: ['CARD'],
        ...(input.description ? { notes: input.description } : {}),
        ...(callbackUrl ? { callback_url: callbackUrl } : {}),
        purchase_details: {
          ...(customer ? { customer } : {}),
          merchant_metadata: chargeTags({
            orderReference: input.orderReference,
            paymentId: input.paymentId,
            key,
            customerId: input.customerId,
          }),
          ...(splitLines ? { split_info: { split_type: 'AMOUNT', split_details: splitLines } } : {}),
        },
      };
      try {
        return toPayment(await api.createOrder(body));
      } catch (error) {
        // The reference is taken: by this very create, whose first answer was lost? Then it is the one.
        if (isGatewayError(error, 'DUPLICATE_REQUEST')) {
          const made = await findCreated(input, key);
          if (made) return made;
        }
        throw error;
      }
    },

    findCreated,

    retrieve,
    list,

    async capture(id, amount, key) {
      const order = await api.getOrder(id);
      const reference = captureReference(key);
      const captures = (order.payments ?? []).flatMap((payment) => payment.capture_data ?? []);
      // Already captured by this very capture (its answer lost): nothing more to do.
      if (captures.some((capture) => capture.merchant_capture_reference === reference)) return retrieve(id);
      const wanted = amount ?? order.order_amount.value;
      // Plural refuses anything but an AUTHORIZED pre_auth order (INVALID_ORDER_STATE); of one, an
      // amount it would refuse is refused here, in the cashier's terms.
      if (order.status === 'AUTHORIZED') checkCapture(order, wanted);
      return toPayment(await api.capture(id, reference, wanted));
    },

    async cancel(id, _key) {
      const order = await api.getOrder(id);
      if (order.status === 'CANCELLED') return toPayment(order);
      if (order.status === 'CREATED' || order.status === 'PENDING' || order.status === 'ATTEMPTED')
        throw refuse(
          'Plural cannot withdraw an unpaid order: its checkout page stays open. Take the QR code down; should the customer pay anyway, refund the payment.',
          'id',
          'cancel_unpaid_unsupported',
        );
      // An AUTHORIZED pre_auth order; Plural refuses any other status (INVALID_ORDER_STATE).
      return toPayment(await api.cancelOrder(id));
    },

    async refund(id, params, key) {
      const charge = await readCharge(id);
      if (charge.refunds.some((refund) => hasKey(refund.purchase_details?.merchant_metadata, key)))
        return toPayment(charge.order, charge.refunds);
      const { order } = charge;
      if (!REFUNDABLE.has(order.status))
        throw refuse(
          `This payment is ${order.status}: Plural refunds only a paid payment with money left to refund.`,
          'id',
          'not_refundable',
        );
      const money = chargeMoney(order, charge.refunds);
      const left = refundRoom(money);
      const requested = params.splits && params.splits.length > 0 ? params.splits : null;
      const amount = params.amount ?? (requested ? requested.reduce((sum, line) => sum + line.amount, 0) : left);
      if (!Number.isInteger(amount) || amount < MIN_LINE || amount > left)
        throw refuse(
          `A refund is from ${formatAmount(MIN_LINE, 'INR')} to what is left (${formatAmount(left, 'INR')}), in whole paise; not ${Number.isInteger(amount) ? formatAmount(amount, 'INR') : amount}.`,
          'amount',
          'refund_amount_invalid',
        );
      let plan: { cancel: string[]; lines: RefundLinePlan[] } = { cancel: [], lines: [] };
      if (money.splits.length > 0) {
        if (requested) {
          const total = requested.reduce((sum, line) => sum + line.amount, 0);
          if (total !== amount)
            throw refuse(
              `The shares named add up to ${formatAmount(total, 'INR')}, not the refund's ${formatAmount(amount, 'INR')}.`,
              'splits',
              'refund_split_invalid',
            );
          plan = explicitRefund(money, requested);
        } else plan = allocateRefund(money, amount);
      } else if (requested) {
        throw refuse('This payment has no splits to refund from.', 'splits', 'refund_split_invalid');
      }
      let current = charge;
      let made: string | null = null;
      for (const splitId of plan.cancel) {
        current = after(current, await next(made, () => api.cancelSplit(id, splitId)));
        made = 'Plural cancelled a held share for the refund';
      }
      await next(made, () =>
        makeRefund(current, amount, plan.lines, { key, op: 'refund', reason: params.reason ?? null }),
      );
      return afterChange('Plural made the refund', () => retrieve(id));
    },

    drawRefund: drawFromShares,

    async refundExists(id, key) {
      const charge = await readCharge(id);
      return charge.refunds.some((refund) => hasKey(refund.purchase_details?.merchant_metadata, key));
    },

    async refunds(id) {
      return (await readCharge(id)).refunds.map(toRefund);
    },

    async simulateLinkPayment(id, cardNumber) {
      if (live) throw refuse('Test cards cannot pay in live mode.', null, 'live_mode');
      const { order } = await api.sandboxPay(id, cardNumber);
      const charge = await chargeOf(order);
      return toPayment(charge.order, charge.refunds);
    },

    settlements: {
      async release(paymentId, splitId, amount, key) {
        let charge = await readCharge(paymentId);
        let made: string | null = null;
        const money = chargeMoney(charge.order, charge.refunds);
        const split = splitOf(money, splitId);
        const wanted = amount ?? split.amount;
        const rest = split.amount - wanted;
        if (!Number.isInteger(wanted) || wanted < MIN_LINE || rest < 0 || (rest > 0 && rest < MIN_LINE))
          throw refuse(
            `Release from ${formatAmount(MIN_LINE, 'INR')} up to the share's ${formatAmount(split.amount, 'INR')}, in whole paise, leaving either nothing or at least ${formatAmount(MIN_LINE, 'INR')} to refund (Plural refunds no less): not ${Number.isInteger(wanted) ? formatAmount(wanted, 'INR') : wanted}.`,
            'amount',
            'release_amount_invalid',
          );
        if (split.status === 'HOLD') {
          // After a partial capture the captured money may not fund the whole share (Plural:
          // AMOUNT_EXCEEDED); said here in rupees, with what can be done.
          const room = commitRoom(money);
          const most = releasable(money, split);
          if (REFUNDABLE.has(charge.order.status) && wanted > room)
            throw refuse(
              `Only ${formatAmount(room, 'INR')} of this payment's captured money is left to settle: ${most > 0 ? `release at most ${formatAmount(most, 'INR')} of ${split.merchantId}'s share (the rest is refunded to the customer as far as it was captured), or cancel the share` : `cancel ${split.merchantId}'s share`}.`,
              'amount',
              'release_amount_invalid',
            );
          charge = after(charge, await api.releaseSplit(paymentId, splitId, rest > 0 ? wanted : undefined));
          made = 'Plural released the share';
        } else if (split.status === 'RELEASED') {
          // Released already: by this very release (its answer lost), or otherwise.
          const released = split.releaseAmount ?? split.amount;
          const same = split.releaseAmount === null ? rest === 0 : released === wanted;
          if (!same)
            throw refuse(
              split.releaseAmount === null
                ? `${split.merchantId}'s share is settled to the merchant without a hold: there is nothing to release.`
                : `${split.merchantId}'s share was released already (${formatAmount(released, 'INR')}): Plural releases a share once.`,
              'splitId',
              'split_not_held',
            );
        } else {
          throw refuse(
            `${split.merchantId}'s share is ${split.status.toLowerCase()}: only a held share can be released.`,
            'splitId',
            'split_not_held',
          );
        }
        // After a partial release the rest goes back to the customer, DO_NOT_RECOVER, as Plural requires.
        if (await next(made, () => refundRest(charge, splitId, key, 'release')))
          made ??= "Plural refunded the rest of the share's money";
        return next(made, () => retrieve(paymentId));
      },

      async cancel(paymentId, splitId, key) {
        let charge = await readCharge(paymentId);
        const split = splitOf(chargeMoney(charge.order, charge.refunds), splitId);
        // Plural refuses a released split (INVALID_SPLIT_STATE); a cancelled one was cancelled by
        // this very call (its answer lost) or before: only its refund may be left to do.
        let made: string | null = null;
        if (split.status !== 'CANCELLED') {
          charge = after(charge, await api.cancelSplit(paymentId, splitId));
          made = 'Plural cancelled the share';
        }
        // The split's money goes back to the customer, DO_NOT_RECOVER, as Plural requires.
        if (await next(made, () => refundRest(charge, splitId, key, 'cancel')))
          made ??= "Plural refunded the share's money";
        return next(made, () => retrieve(paymentId));
      },
    },

    verifyReturn: (params) => verifyReturnParams(config.signatureKey, params),

    notifications: {
      path: NOTIFICATION_PATH,
      verify: (input) => verifyPluralNotification({ ...input, signatureKey: config.signatureKey }),
    },
  };
}
