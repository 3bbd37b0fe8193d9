/**
 * PayPlug behind the port: pay by link (a hosted page the customer opens from a QR code at the
 * counter), deferred capture, refunds, saved cards, installment plans. No card readers, no
 * idempotency keys (objects are tagged and looked up instead, see tags.ts), unsigned
 * notifications (hints only). docs/gateway-payplug.md explains every choice made here.
 */
import { systemClock, type Clock } from '../../../common/clock';
import { PAYPLUG_TEST_CARDS } from '../../../common/test-cards';
import { afterChange, GatewayError, GatewayUnreadable, SAVED_CARD_REFUSED } from '../errors';
import { GatewayHttp, type GatewayHttpOptions } from '../http';
import type {
  GatewayCapabilities,
  GatewayPayment,
  InstallmentPlan,
  NewInstallmentPlan,
  NewPayment,
  PaymentGateway,
  PaymentPage,
  PaymentQuery,
} from '../port';
import { checkSchedule, MIN_REFUND, refuse, requireEur, requireIdentity } from './checks';
import { PAYPLUG_LIMITS, PayPlugClient, type CreatePaymentBody, type WireCustomer } from './client';
import { toInstallmentPlan, toPayment, toRefund } from './map';
import { NOTIFICATION_PATH, verifyPayPlugNotification } from './notifications';
import { parsePayPlugError, type WirePayment, type WireRefund } from './schemas';
import { hasKey, paymentTags, REASON_MAX, refundTags, TAG } from './tags';

export { PAYPLUG_LIMITS } from './client';
export { NOTIFICATION_PATH } from './notifications';

/** How long after a send whose outcome is unknown nothing is sent again (see the capability). */
export const PAYPLUG_SETTLE_WINDOW_MS = 120_000;

export const PAYPLUG_CAPABILITIES: GatewayCapabilities = {
  readerLink: false,
  cloudReaders: false,
  payByLink: true,
  deferredCapture: { authorizationDays: 7 },
  // authorized_amount on a hosted payment: the link authorises, F4 captures.
  deferredCaptureByLink: true,
  partialCapture: false,
  partialRefund: true,
  installments: { minCount: 2, maxCount: 4 },
  savedCards: true,
  splitSettlement: false,
  idempotencyKeys: false,
  // Nothing stops PayPlug making an object twice: a lookup that finds nothing proves nothing while
  // the first send may still land. Longer than a request's own timeout (15 s) with room to spare.
  resendAfterUnknownMs: PAYPLUG_SETTLE_WINDOW_MS,
  signedNotifications: false,
  listsPayments: true,
  // list() searches itself (id, order reference, description, email, last four) over the newest payments.
  transactionSearch: true,
  transactionSearchFinds: ['description', 'email', 'cardLast4'],
  filtersLinks: true,
  // An unpaid hosted page can be aborted (PATCH aborted: true).
  cancelsUnpaidLink: true,
  // Only against this app's sandbox: PayPlug itself has no call to pay a page without a browser.
  simulateCards: true,
  paymentNotes: true,
  // PayPlug mails its own payment confirmation to the customer it is given, not a counter receipt.
  receiptEmail: false,
  // PayPlug's API offers no dispute list to the till.
  disputes: false,
  // A hosted page (link), or a saved card charged without one (card).
  paymentMethods: ['link', 'card'],
};

/** How many of the newest payments findCreated and filtered or re-sorted lists look through. */
export const DEFAULT_RECENT_WINDOW = 300;
/**
 * How many of the newest payments findCreated looks through, at most, to reach back to a lost
 * create's first send: after a long outage, other tills and the shop's website may have made far
 * more than DEFAULT_RECENT_WINDOW payments since.
 */
export const DEFAULT_LOOKBACK_LIMIT = 5_000;
/** Clocks differ: a payment is taken as made before a send only if PayPlug dates it this much earlier. */
const CLOCK_SLACK_MS = 15 * 60_000;
/** Refund lists are paged through up to this many pages of 100 (a payment has a handful). */
const MAX_REFUND_PAGES = 20;

export interface PayPlugConfig {
  /** https://api.payplug.com, or the sandbox's `{url}/payplug`; paths start with /v1. */
  baseUrl: string;
  /** sk_test_… or sk_live_…: the prefix is the mode. */
  secretKey: string;
  /**
   * Where PayPlug posts notifications for the payments and plans this till creates; null or absent:
   * none are asked for (the app polls). PayPlug wants a URL reachable from the Internet that the
   * shop forwards to the till's NOTIFICATION_PATH; the sandbox takes loopback URLs only. Asked on
   * every create, as Settings may change it meanwhile.
   */
  notificationUrl?: string | null | (() => string | null);
  /** Where the customer's browser goes after paying (hosted_payment.return_url). */
  returnUrl?: string | null;
  /** Where it goes after "Cancel payment" (hosted_payment.cancel_url). */
  cancelUrl?: string | null;
  http?: Omit<GatewayHttpOptions, 'baseUrl' | 'parseError'>;
  /** Default 300: newest payments searched by findCreated and by filtered lists. */
  recentWindow?: number;
  /** Default DEFAULT_LOOKBACK_LIMIT: the most findCreated looks through to reach back to a first send. */
  lookbackLimit?: number;
  /**
   * The settle window (capabilities.resendAfterUnknownMs); default PAYPLUG_SETTLE_WINDOW_MS. Tests
   * shorten it; ignored with a live key (sk_live_), where PayPlug's own always holds.
   */
  settleWindowMs?: number;
  /**
   * The till's clock: what "today" is when an installment schedule is checked. The host builds the
   * schedule on its own clock, so it is checked on that same clock (default: the system's).
   */
  clock?: Clock;
}

export interface PayPlugGateway extends PaymentGateway {
  /** Sandbox only: `saveCard` ticks the page's "save my card" box when the payment offers it. */
  simulateLinkPayment(id: string, cardNumber: string, options?: { saveCard?: boolean }): Promise<GatewayPayment>;
  readonly installments: {
    create(input: NewInstallmentPlan, key: string): Promise<InstallmentPlan>;
    retrieve(id: string): Promise<InstallmentPlan>;
    abort(id: string): Promise<InstallmentPlan>;
    /**
     * Retrieve-before-retry for a plan whose create answer was lost (not in the port yet). PayPlug
     * cannot list plans, but a plan's first payment appears among the newest payments at once.
     */
    findCreated(input: NewInstallmentPlan, key: string): Promise<InstallmentPlan | null>;
  };
}

function todayUtc(clock: Clock): string {
  return new Date(clock.now()).toISOString().slice(0, 10);
}

function isPlainQuery(query: PaymentQuery): boolean {
  return (
    !query.search &&
    !query.status &&
    !query.methodType &&
    !query.dateFrom &&
    !query.dateTo &&
    query.sortField === 'created_at' &&
    query.sortOrder === 'desc'
  );
}

function matches(payment: GatewayPayment, query: PaymentQuery): boolean {
  if (query.status && payment.status !== query.status) return false;
  if (query.methodType && payment.methodType !== query.methodType) return false;
  const day = payment.createdAt.slice(0, 10);
  if (query.dateFrom && day < query.dateFrom) return false;
  if (query.dateTo && day > query.dateTo) return false;
  if (query.search) {
    const needle = query.search.trim().toLowerCase();
    const haystack = [
      payment.id,
      payment.orderReference,
      payment.description,
      payment.receiptEmail,
      payment.card?.last4,
    ];
    if (!haystack.some((text) => text?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/**
 * Status sorts by name, as PlutoPay's list and the journal's (Plural) do: the same Sort by gives
 * the same order on every gateway (found by a tester: PayPlug alone sorted by stage).
 */
function compare(a: GatewayPayment, b: GatewayPayment, field: PaymentQuery['sortField']): number {
  if (field === 'amount') return a.amount - b.amount;
  const [x, y] = field === 'status' ? [a.status, b.status] : [a.createdAt, b.createdAt];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * PayPlug's test cards (common/test-cards.ts; not 4000 0000 0000 0002, which its table lacks): what
 * the Simulate screen offers on a PayPlug link.
 */
export const PAYPLUG_LINK_TEST_CARDS: readonly { number: string; label: string }[] = PAYPLUG_TEST_CARDS.map(
  ({ number, label }) => ({ number, label }),
);

export function createPayPlugGateway(config: PayPlugConfig): PayPlugGateway {
  const http = new GatewayHttp({
    ...config.http,
    baseUrl: config.baseUrl,
    parseError: parsePayPlugError,
    // Masked by value in the gateway's error texts, whatever their shape.
    secrets: () => [config.secretKey],
  });
  const api = new PayPlugClient(http, config.secretKey);
  const recentWindow = Math.max(1, config.recentWindow ?? DEFAULT_RECENT_WINDOW);
  const lookbackLimit = Math.max(1, config.lookbackLimit ?? DEFAULT_LOOKBACK_LIMIT);
  const clock = config.clock ?? systemClock;
  const notificationUrlNow = (): string | null =>
    typeof config.notificationUrl === 'function' ? config.notificationUrl() : (config.notificationUrl ?? null);

  const hostedPayment = (): CreatePaymentBody['hosted_payment'] | undefined => {
    const urls = {
      ...(config.returnUrl ? { return_url: config.returnUrl } : {}),
      ...(config.cancelUrl ? { cancel_url: config.cancelUrl } : {}),
    };
    return Object.keys(urls).length > 0 ? urls : undefined;
  };

  /**
   * The newest payments, page by page (100 a page), until `stop` says so or the window is read.
   * A page with nothing new that says more follow is an answer that cannot be read: a gateway (or a
   * cache in the way) that ignores `page` would otherwise be asked for ever, and taking "not found"
   * from it would send a create again that it may hold already.
   */
  async function scanRecent(stop: (payment: WirePayment) => boolean, limit = recentWindow): Promise<WirePayment[]> {
    const seen: WirePayment[] = [];
    const ids = new Set<string>();
    // One page size throughout: PayPlug's `page` counts pages of `per_page`. A payment created
    // meanwhile shifts the pages by one: nothing is missed, and the one seen twice is skipped.
    const perPage = Math.min(100, limit);
    for (let page = 0; seen.length < limit; page += 1) {
      const list = await api.listPayments(page, perPage);
      let fresh = 0;
      for (const payment of list.data) {
        if (seen.length >= limit) return seen;
        if (ids.has(payment.id)) continue;
        ids.add(payment.id);
        seen.push(payment);
        fresh += 1;
        if (stop(payment)) return seen;
      }
      if (!list.hasMore || list.data.length === 0) break;
      if (fresh === 0)
        throw new GatewayUnreadable(
          `PayPlug's page ${page} of its payments holds only payments its earlier pages gave, and says more follow: its pages cannot be read.`,
        );
    }
    return seen;
  }

  /** A payment's refunds, each once (the same rule on pages as scanRecent's). */
  async function allRefunds(paymentId: string): Promise<WireRefund[]> {
    const out: WireRefund[] = [];
    const ids = new Set<string>();
    for (let page = 0; page < MAX_REFUND_PAGES; page += 1) {
      const list = await api.listRefunds(paymentId, page, 100);
      const fresh = list.data.filter((refund) => !ids.has(refund.id));
      for (const refund of fresh) ids.add(refund.id);
      out.push(...fresh);
      if (!list.hasMore || list.data.length === 0) break;
      if (fresh.length === 0)
        throw new GatewayUnreadable(
          `PayPlug's page ${page} of the refunds of ${paymentId} holds only refunds its earlier pages gave, and says more follow: its pages cannot be read.`,
        );
    }
    return out;
  }

  /** What create refuses before calling PayPlug; the customer it sends. */
  function checkNew(input: NewPayment): WireCustomer | undefined {
    if (input.channel !== 'link')
      throw refuse(
        'PayPlug has no card readers: take this payment by link (QR code) instead.',
        'channel',
        'channel_unsupported',
      );
    requireEur(input.currency);
    return customerOf(input);
  }

  function customerOf(input: NewPayment): WireCustomer | undefined {
    if (input.savedCardId || input.allowSaveCard) {
      const why = input.savedCardId ? 'A payment with a saved card' : 'Offering to save the card';
      return requireIdentity(input.customer ?? null, why);
    }
    const email = input.customer?.email?.trim() || input.receiptEmail?.trim() || '';
    const first = input.customer?.firstName?.trim() ?? '';
    const last = input.customer?.lastName?.trim() ?? '';
    const customer = {
      ...(email ? { email } : {}),
      ...(first ? { first_name: first } : {}),
      ...(last ? { last_name: last } : {}),
    };
    return Object.keys(customer).length > 0 ? customer : undefined;
  }

  /**
   * The last non-empty page of `size` before `empty` (known empty) and how many payments there are
   * up to its end, found by bisection: a few calls, not one per page. Page 0 means none at all.
   */
  async function lastPageBefore(empty: number, size: number): Promise<{ page: number; total: number }> {
    let found = { page: 0, total: 0 };
    let below = 0;
    let above = empty;
    while (above - below > 1) {
      const middle = Math.floor((below + above) / 2);
      const answer = await api.listPayments(middle - 1, size);
      if (answer.data.length === 0) {
        above = middle;
        continue;
      }
      below = middle;
      found = { page: middle, total: (middle - 1) * size + answer.data.length };
      // A short page, or one with nothing after it, is the last.
      if (!answer.hasMore || answer.data.length < size) break;
    }
    return found;
  }

  async function list(query: PaymentQuery): Promise<PaymentPage> {
    const page = Math.max(1, Math.floor(query.page));
    const size = Math.min(100, Math.max(1, Math.floor(query.size)));
    if (isPlainQuery(query)) {
      // PayPlug's own order (newest first) and paging: one call. PayPlug does not say how many
      // payments there are, so `total` counts those up to this page, plus one when there are more.
      const answer = await api.listPayments(page - 1, size);
      if (answer.data.length === 0 && page > 1) {
        // Past the end: the pages before were not all full, so find where the payments end.
        const end = await lastPageBefore(page, size);
        return {
          data: [],
          meta: { currentPage: page, lastPage: Math.max(1, end.page), perPage: size, total: end.total },
        };
      }
      const seen = (page - 1) * size + answer.data.length;
      return {
        data: answer.data.map(toPayment),
        meta: {
          currentPage: page,
          lastPage: answer.hasMore ? page + 1 : page,
          perPage: size,
          total: seen + (answer.hasMore ? 1 : 0),
          ...(answer.hasMore ? { more: true as const } : {}),
        },
      };
    }
    // PayPlug can neither search, filter nor sort: that is done here, over the newest payments.
    const since = query.dateFrom;
    const recent = (
      await scanRecent((payment) => since !== undefined && new Date(payment.created_at * 1000).toISOString() < since)
    ).map(toPayment);
    const found = recent.map((payment, index) => ({ payment, index })).filter(({ payment }) => matches(payment, query));
    const direction = query.sortOrder === 'asc' ? 1 : -1;
    found.sort((a, b) => {
      const order = compare(a.payment, b.payment, query.sortField);
      // Ties keep PayPlug's order (newest first), reversed for ascending.
      return order !== 0 ? order * direction : (a.index - b.index) * -direction;
    });
    const total = found.length;
    return {
      data: found.slice((page - 1) * size, page * size).map(({ payment }) => payment),
      meta: { currentPage: page, lastPage: Math.max(1, Math.ceil(total / size)), perPage: size, total },
    };
  }

  return {
    name: 'payplug',
    label: 'PayPlug',
    // A shorter window is for tests only: with a live key PayPlug's own always holds.
    capabilities:
      config.settleWindowMs === undefined || api.isLive
        ? PAYPLUG_CAPABILITIES
        : { ...PAYPLUG_CAPABILITIES, resendAfterUnknownMs: Math.max(0, config.settleWindowMs) },
    limits: PAYPLUG_LIMITS,
    linkTestCards: PAYPLUG_LINK_TEST_CARDS,

    async health() {
      await api.listPayments(0, 1, 3_000);
    },

    async account() {
      // PayPlug's API has no account object: listing one payment proves the key works.
      await api.listPayments(0, 1);
      const live = api.isLive;
      return {
        id: live ? 'payplug_live' : 'payplug_test',
        businessName: null,
        displayName: null,
        defaultCurrency: 'EUR',
        testMode: !live,
      };
    },

    checkCreate: (input) => void checkNew(input),

    async create(input, key) {
      const customer = checkNew(input);
      const hosted = input.savedCardId ? undefined : hostedPayment();
      const body: CreatePaymentBody = {
        ...(input.captureMethod === 'manual' ? { authorized_amount: input.amount } : { amount: input.amount }),
        currency: input.currency.toUpperCase(),
        ...(customer ? { customer } : {}),
        ...(input.savedCardId ? { payment_method: input.savedCardId } : {}),
        ...(hosted ? { hosted_payment: hosted } : {}),
        ...notificationTo(notificationUrlNow()),
        ...(input.allowSaveCard && !input.savedCardId ? { allow_save_card: true } : {}),
        ...(input.description ? { description: input.description } : {}),
        metadata: paymentTags({
          orderReference: input.orderReference,
          paymentId: input.paymentId,
          key,
          customerId: input.customerId,
        }),
      };
      try {
        return toPayment(await api.createPayment(body));
      } catch (error) {
        // PayPlug refuses a card id it no longer charges (expired, past its 15 months, unknown to
        // this account or mode) naming `payment_method`: said in the port's terms, so the host can
        // stop offering the card rather than pass on a refusal naming a wire field.
        if (input.savedCardId && error instanceof GatewayError && error.param === 'payment_method')
          throw new GatewayError(error.status, error.type, error.message, 'savedCardId', SAVED_CARD_REFUSED);
        throw error;
      }
    },

    async findCreated(_input, key, since) {
      // Newest first: once a payment made before the first send is seen, none further can be it.
      const before = (payment: WirePayment) =>
        since !== undefined && payment.created_at * 1000 < since - CLOCK_SLACK_MS;
      const limit = since === undefined ? recentWindow : Math.max(recentWindow, lookbackLimit);
      // Never less far than without `since`: a till whose clock runs ahead would take the newest
      // payments for older than its first send, and stop before its own.
      let looked = 0;
      const recent = await scanRecent(
        (payment) => hasKey(payment.metadata, key) || (++looked >= recentWindow && before(payment)),
        limit,
      );
      const found = recent.find((payment) => hasKey(payment.metadata, key));
      if (found) return toPayment(found);
      // Not found among the newest, yet those do not reach back to the first send (after a long
      // outage, the shop's other payments since): not found proves nothing, and a resend of a
      // saved card's charge would charge it twice.
      if (since !== undefined && recent.length >= limit && !recent.some(before))
        throw new GatewayUnreadable(
          `PayPlug's ${recent.length} newest payments do not reach back to when this payment was first sent (${new Date(since).toISOString()}): whether it was made cannot be told from them.`,
        );
      return null;
    },

    async withdrawSpareLinks(key, keep, since) {
      const made = (payment: WirePayment) => payment.created_at * 1000 >= since - CLOCK_SLACK_MS;
      // Newest first: every send of the create is after its first, so the scan stops before it.
      const recent = await scanRecent((payment) => !made(payment));
      const spares = recent.filter(
        (payment) =>
          payment.id !== keep &&
          made(payment) &&
          hasKey(payment.metadata, key) &&
          !payment.is_paid &&
          payment.failure === null &&
          (payment.authorization?.authorized_at ?? null) === null,
      );
      for (const spare of spares) await api.abortPayment(spare.id);
      return spares.map((spare) => spare.id);
    },

    retrieve: async (id) => toPayment(await api.getPayment(id)),

    list,

    async capture(id, amount, _key) {
      // PATCH {captured: true} is naturally safe to repeat: a second one is refused, never doubled.
      if (amount !== undefined) {
        const current = await api.getPayment(id);
        const authorized = current.authorization?.authorized_amount ?? current.amount;
        if (amount !== authorized)
          throw refuse(
            `PayPlug captures the whole authorized amount (${authorized} cents) or nothing: it cannot capture ${amount}. Capture it all and refund the difference.`,
            'amount',
            'partial_capture_unsupported',
          );
      }
      return toPayment(await api.capturePayment(id));
    },

    // PATCH {aborted: true}: an unpaid payment's page closes; an authorized, uncaptured one can no
    // longer be captured. A paid or failed payment is refused by PayPlug (refund a paid one).
    cancel: async (id, _key) => toPayment(await api.abortPayment(id)),

    async refund(id, params, key) {
      if (params.amount !== undefined && (!Number.isInteger(params.amount) || params.amount < MIN_REFUND))
        throw refuse(
          `PayPlug refunds at least 10 cents (a whole number of cents), not ${params.amount}.`,
          'amount',
          'refund_amount_invalid',
        );
      await api.createRefund(id, {
        ...(params.amount !== undefined ? { amount: params.amount } : {}),
        metadata: refundTags({ key, reason: params.reason }),
      });
      // Made: a read that gets no answer leaves the refund unknown (its settle window holds any resend).
      return toPayment(await afterChange('PayPlug made the refund', () => api.getPayment(id)));
    },

    async refundExists(id, key) {
      return (await allRefunds(id)).some((refund) => hasKey(refund.metadata, key));
    },

    refunds: async (id) => (await allRefunds(id)).map(toRefund),

    async annotate(id, note) {
      // PATCH {metadata} replaces every key: the app's tags are sent back with the note.
      const current = await api.getPayment(id);
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(current.metadata ?? {}))
        if (typeof value === 'string') metadata[key] = value;
      if (note.trim()) metadata[TAG.note] = note.trim().slice(0, REASON_MAX);
      else delete metadata[TAG.note];
      return toPayment(await api.updatePaymentMetadata(id, metadata));
    },

    async simulateLinkPayment(id, cardNumber, options = {}) {
      if (api.isLive) throw refuse('Test cards cannot pay in live mode.', null, 'live_mode');
      // The page shows the "save my card" box only when the payment offers it: tick it only then.
      const offered = options.saveCard === true && (await api.getPayment(id)).allow_save_card === true;
      return toPayment(
        await api.sandboxPay(id, {
          card_number: cardNumber,
          ...(options.saveCard === false || offered ? { save_card: options.saveCard } : {}),
        }),
      );
    },

    installments: {
      async create(input, key) {
        const currency = requireEur(input.currency);
        const schedule = checkSchedule(input.schedule, todayUtc(clock));
        const customer = requireIdentity(input.customer, 'An installment plan');
        const hosted = hostedPayment();
        return toInstallmentPlan(
          await api.createInstallmentPlan({
            currency,
            schedule,
            customer,
            ...(hosted ? { hosted_payment: hosted } : {}),
            ...notificationTo(notificationUrlNow()),
            metadata: paymentTags({ orderReference: input.orderReference, paymentId: input.paymentId, key }),
          }),
        );
      },
      retrieve: async (id) => toInstallmentPlan(await api.getInstallmentPlan(id)),
      abort: async (id) => toInstallmentPlan(await api.abortInstallmentPlan(id)),
      async findCreated(_input, key) {
        // Each plan once, newest first (its later installments name it again).
        const recent = await scanRecent(() => false);
        const planIds = new Set(recent.map((payment) => payment.installment_plan_id).filter((id) => id !== null));
        for (const planId of planIds) {
          const plan = await api.getInstallmentPlan(planId);
          if (hasKey(plan.metadata, key)) return toInstallmentPlan(plan);
        }
        return null;
      },
    },

    notifications: {
      path: NOTIFICATION_PATH,
      verify: (input) => verifyPayPlugNotification({ rawBody: input.rawBody, live: api.isLive }),
    },
  };
}

function notificationTo(url: string | null): { notification_url?: string } {
  return url ? { notification_url: url } : {};
}
