/**
 * PlutoPay behind the port: cloud terminals and a reader link for the readers this app hosts, pay
 * by link through checkout sessions, idempotency keys on every change but the checkout session,
 * signed webhooks. The wire format stays in this folder.
 */
import { afterChange, GatewayError, GatewayUnreadable, isGatewayError } from '../errors';
import { GatewayHttp, type GatewayHttpOptions } from '../http';
import type { GatewayCapabilities, GatewayPayment, GatewayReaders, NewPayment, PaymentGateway } from '../port';
import { TEST_CARDS } from '../../../common/test-cards';
import { PLUTOPAY_LIMITS, PlutoPayClient } from './client';

export { PLUTOPAY_LIMITS } from './client';
import { PlutoPayReaderLink } from './link';
import { isLinkTransaction, LINK_TAG, toDispute, toPayment, toReader, toRefund } from './map';
import { verifyPlutoPayNotification, WEBHOOK_PATH } from './notifications';
import { parsePlutoPayError, type CheckoutSession } from './schemas';
import { CheckoutSessions, SESSION_LOOKUP_PAGES } from './sessions';

/** Pages of 100 transactions, newest first, searched for a reader payment's create (findCreated). */
const CREATED_LOOKUP_PAGES = 5;

export const PLUTOPAY_CAPABILITIES: GatewayCapabilities = {
  readerLink: true,
  cloudReaders: true,
  // Checkout sessions: PlutoPay's hosted page, shown as a QR code at the counter.
  payByLink: true,
  deferredCapture: { authorizationDays: null },
  // A checkout session has no capture method: its payment is captured when the customer pays.
  deferredCaptureByLink: false,
  partialCapture: true,
  partialRefund: true,
  installments: null,
  savedCards: false,
  splitSettlement: false,
  idempotencyKeys: true,
  // A resend with the key answers the first request's object: never a second one.
  resendAfterUnknownMs: 0,
  signedNotifications: true,
  listsPayments: true,
  transactionSearch: true,
  // Its list's search: reference, description or receipt email (not a card's digits).
  transactionSearchFinds: ['description', 'email'],
  // Its link payments are card payments the till tagged: its list cannot filter them.
  filtersLinks: false,
  // Canceling the session's pending transaction closes its page.
  cancelsUnpaidLink: true,
  simulateCards: true,
  paymentNotes: false,
  // receipt_email on the create: PlutoPay mails the receipt when the payment succeeds.
  receiptEmail: true,
  // GET /v1/disputes and the dispute.created webhook.
  disputes: true,
  // Its API's payment_method_type, and links (checkout sessions) marked by the till.
  paymentMethods: ['card', 'wallet', 'bank_transfer', 'terminal', 'link'],
};

export interface PlutoPayConfig {
  baseUrl: string;
  secretKey: string;
  /** The signing secret of the webhook endpoint whose events the shop forwards here. */
  webhookSecret: () => string | null;
  http?: Omit<GatewayHttpOptions, 'baseUrl' | 'parseError'>;
  /** The checkout sessions kept in memory (tests pass one to count it); a new one by default. */
  sessions?: CheckoutSessions;
}

/**
 * PlutoPay's test cards (common/test-cards.ts, the app's sandbox's and its simulated readers'): what
 * the Simulate screen offers on a PlutoPay link.
 */
export const PLUTOPAY_LINK_TEST_CARDS: readonly { number: string; label: string }[] = TEST_CARDS.map(
  ({ number, label }) => ({ number, label }),
);

export function createPlutoPayGateway(config: PlutoPayConfig): PaymentGateway {
  const http = new GatewayHttp({
    ...config.http,
    baseUrl: config.baseUrl,
    parseError: parsePlutoPayError,
    // Masked by value in the gateway's error texts, whatever their shape.
    secrets: () => [config.secretKey, config.webhookSecret()],
  });
  const api = new PlutoPayClient(http, config.secretKey);
  const readers: GatewayReaders = {
    list: async () => (await api.listReaders()).map(toReader),
    get: async (id) => toReader(await api.getReader(id)),
    async register(params) {
      const terminal = await api.createTerminal({
        name: params.name,
        registration_code: params.registrationCode,
        ...(params.locationName ? { location_name: params.locationName } : {}),
      });
      return { terminalId: terminal.id, readerId: terminal.processor_terminal_id };
    },
    async findRegistered(registrationCode) {
      const terminal = await api.findTerminalBySerial(registrationCode);
      return terminal ? { terminalId: terminal.id, readerId: terminal.processor_terminal_id } : null;
    },
    remove: (terminalId) => api.deleteTerminal(terminalId),
    push: async (paymentId, readerId) => toReader(await api.processPayment(paymentId, readerId)),
    cancelAction: async (readerId) => toReader(await api.cancelReaderAction(readerId)),
    simulate: async (readerId, cardNumber) => toReader(await api.simulatePayment(readerId, cardNumber)),
    link: new PlutoPayReaderLink(http, config.secretKey),
  };

  // Pay by link. Checkout sessions, by the transaction they were made for: what this process made
  // or found, bounded (see sessions.ts); one no longer payable is dropped.
  const sessions = config.sessions ?? new CheckoutSessions();
  const findSession = async (match: (session: CheckoutSession) => boolean): Promise<CheckoutSession | null> => {
    for (let page = 1; page <= SESSION_LOOKUP_PAGES; page++) {
      const answer = await api.listCheckoutSessions({ page, per_page: 100 });
      // Another page than the one asked for (a cache, or a gateway ignoring `page`) cannot say the
      // session is not there: "not found" would open a second page for the same payment.
      if (answer.meta.current_page !== page)
        throw new GatewayUnreadable(
          `PlutoPay answered page ${answer.meta.current_page} of its checkout sessions when asked for page ${page}.`,
        );
      const hit = answer.data.find(match);
      if (hit) {
        sessions.set(hit);
        return hit;
      }
      if (page >= answer.meta.last_page) break;
    }
    return null;
  };
  /** The link payment the till's create made, by the key in its checkout session's metadata, or null. */
  const findLink = async (input: NewPayment, key: string): Promise<GatewayPayment | null> => {
    const session = await findSession(madeWith(input, key));
    return session ? linkPayment(session) : null;
  };
  /**
   * The reader payment the till's create made (its metadata names the till's payment id), among the
   * newest transactions back to the day before `since` (a day's margin for the two clocks), or null.
   * Throws when those pages do not reach back that far: "not found" would be a guess.
   */
  const findTransaction = async (input: NewPayment, since: number | undefined): Promise<GatewayPayment | null> => {
    const from = since === undefined ? undefined : since - 86_400_000;
    for (let page = 1; page <= CREATED_LOOKUP_PAGES; page++) {
      const answer = await api.listTransactions({
        ...(from !== undefined ? { date_from: new Date(from).toISOString().slice(0, 10) } : {}),
        sortField: 'created_at',
        sortOrder: 'desc',
        page,
        size: 100,
      });
      if (answer.meta.current_page !== page)
        throw new GatewayUnreadable(
          `PlutoPay answered page ${answer.meta.current_page} of its transactions when asked for page ${page}.`,
        );
      const hit = answer.data.find((tx) => tx.metadata?.pos_payment_id === input.paymentId && !isLinkTransaction(tx));
      if (hit) return toPayment(hit);
      const oldest = answer.data.at(-1);
      if (page >= answer.meta.last_page || (from !== undefined && oldest && Date.parse(oldest.created_at) < from))
        return null;
    }
    throw new GatewayUnreadable(
      `PlutoPay has more than ${CREATED_LOOKUP_PAGES * 100} transactions since this payment's create was sent: the till cannot tell whether it was made.`,
    );
  };
  const sessionOf = async (transactionId: string) =>
    sessions.get(transactionId) ?? (await findSession((session) => session.transaction_id === transactionId));
  // The session's create takes no idempotency key: its metadata carries the till's, so a resend
  // (or recovery) finds the session an earlier send made instead of opening a second page.
  const madeWith = (input: NewPayment, key: string) => (session: CheckoutSession) =>
    session.metadata?.pos_payment_id === input.paymentId && session.metadata?.pos_key === key;
  const linkPayment = async (session: CheckoutSession): Promise<GatewayPayment> => {
    try {
      return toPayment(await api.getTransaction(session.transaction_id), session);
    } catch (error) {
      // The session was made; it names a transaction the gateway does not know. That is an answer
      // that cannot be used, not a refusal of the create: its key finds the session again.
      if (isGatewayError(error) && error.status === 404)
        throw new GatewayUnreadable(
          `The checkout session's answer names transaction ${session.transaction_id}, which PlutoPay does not know.`,
        );
      throw error;
    }
  };

  return {
    name: 'plutopay',
    label: 'PlutoPay',
    capabilities: PLUTOPAY_CAPABILITIES,
    limits: PLUTOPAY_LIMITS,
    linkTestCards: PLUTOPAY_LINK_TEST_CARDS,
    async health() {
      await api.health();
    },
    async account() {
      const m = await api.merchant();
      return {
        id: m.id,
        businessName: m.business_name,
        displayName: m.display_name,
        defaultCurrency: m.default_currency.toUpperCase(),
        testMode: m.test_mode,
      };
    },
    async create(input: NewPayment, key: string) {
      if (input.channel === 'link') {
        if (input.captureMethod === 'manual')
          throw new GatewayError(
            400,
            'invalid_request_error',
            'A PlutoPay payment link is captured when the customer pays: choose automatic capture.',
            'capture_method',
          );
        const email = input.receiptEmail ?? input.customer?.email ?? null;
        const session =
          (await findSession(madeWith(input, key))) ??
          (await api.createCheckoutSession({
            amount: input.amount,
            currency: input.currency,
            ...(input.description ? { description: input.description } : {}),
            ...(email ? { customer_email: email } : {}),
            metadata: {
              order_reference: input.orderReference,
              pos_payment_id: input.paymentId,
              pos_key: key,
              [LINK_TAG.key]: LINK_TAG.value,
            },
          }));
        sessions.set(session);
        // The page exists from here on: a read that gets no answer leaves the create unknown (its
        // key finds the session again), never "not sent".
        return afterChange('PlutoPay made the payment page', () => linkPayment(session));
      }
      return toPayment(
        await api.createTerminalPayment(
          {
            amount: input.amount,
            currency: input.currency,
            capture_method: input.captureMethod,
            ...(input.description ? { description: input.description } : {}),
            ...(input.customerId ? { customer_id: input.customerId } : {}),
            ...(input.receiptEmail ? { receipt_email: input.receiptEmail } : {}),
            metadata: { order_reference: input.orderReference, pos_payment_id: input.paymentId },
          },
          key,
        ),
      );
    },
    // A reader payment's create carries its idempotency key: resending it is the safe retry. A
    // link's is found by the key in its session's metadata.
    async findCreated(input, key) {
      return input.channel === 'link' ? findLink(input, key) : null;
    },
    // Resending a reader payment's create is no look-up where it must not be made (recorded as not
    // made): it would make it. PlutoPay shows no key on a transaction: the till's payment id, in the
    // metadata each create sends, is looked for among the transactions made since its first send.
    async lookUpCreated(input, key, since) {
      return input.channel === 'link' ? findLink(input, key) : findTransaction(input, since);
    },
    async retrieve(id) {
      const tx = await api.getTransaction(id);
      if (!isLinkTransaction(tx)) return toPayment(tx);
      if (tx.status !== 'pending') {
        sessions.delete(id);
        return toPayment(tx);
      }
      return toPayment(tx, await sessionOf(id));
    },
    async list(query) {
      const page = await api.listTransactions({
        ...(query.search ? { search: query.search } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.methodType ? { payment_method_type: query.methodType } : {}),
        ...(query.dateFrom ? { date_from: query.dateFrom } : {}),
        ...(query.dateTo ? { date_to: query.dateTo } : {}),
        sortField: query.sortField,
        sortOrder: query.sortOrder,
        page: query.page,
        size: query.size,
      });
      return {
        data: page.data.map((tx) => toPayment(tx)),
        meta: {
          currentPage: page.meta.current_page,
          lastPage: page.meta.last_page,
          perPage: page.meta.per_page,
          total: page.meta.total,
        },
      };
    },
    capture: async (id, amount, key) => toPayment(await api.capture(id, amount, key)),
    async cancel(id, key) {
      const canceled = await api.cancel(id, key);
      // A withdrawn link's page is closed: its session is never asked for again.
      sessions.delete(id);
      return toPayment(canceled);
    },
    async refund(id, params, key) {
      const refund = await api.refund(id, params, key);
      if (refund.transaction) return toPayment(refund.transaction);
      return toPayment(await afterChange('PlutoPay made the refund', () => api.getTransaction(id)));
    },
    // Refunds carry their idempotency key: resending it is the safe retry.
    refundExists: async () => false,
    refunds: async (id) => (await api.listRefunds(id)).map(toRefund),
    async simulateLinkPayment(id, cardNumber) {
      if (api.isLive)
        throw new GatewayError(400, 'invalid_request_error', 'Test cards cannot pay in live mode.', null, 'live_mode');
      const session = await sessionOf(id);
      if (!session) throw new GatewayError(404, 'invalid_request_error', 'This payment has no payment page.', null);
      await api.payOnHostedPage(session.url, cardNumber);
      return this.retrieve(id);
    },
    readers,
    disputes: {
      async list(page, size, status) {
        const answer = await api.listDisputes(page, size, status);
        return { data: answer.data.map(toDispute), lastPage: answer.meta.last_page };
      },
      retrieve: async (id) => toDispute(await api.getDispute(id)),
    },
    notifications: {
      path: WEBHOOK_PATH,
      verify: (input) => verifyPlutoPayNotification({ ...input, secret: config.webhookSecret() }),
    },
  };
}
