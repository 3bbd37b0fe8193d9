/**
 * PlutoPay behind the port: cloud terminals and a reader link for the readers this app hosts,
 * idempotency keys on every change, signed webhooks. The wire format stays in this folder.
 */
import { GatewayHttp, type GatewayHttpOptions } from '../http';
import type { GatewayCapabilities, GatewayReaders, NewPayment, PaymentGateway } from '../port';
import { PLUTOPAY_LIMITS, PlutoPayClient } from './client';
import { PlutoPayReaderLink } from './link';
import { toPayment, toReader, toRefund } from './map';
import { verifyPlutoPayNotification, WEBHOOK_PATH } from './notifications';
import { parsePlutoPayError } from './schemas';

export const PLUTOPAY_CAPABILITIES: GatewayCapabilities = {
  readerLink: true,
  cloudReaders: true,
  payByLink: false,
  deferredCapture: { authorizationDays: null },
  partialCapture: true,
  partialRefund: true,
  installments: null,
  savedCards: false,
  splitSettlement: false,
  idempotencyKeys: true,
  signedNotifications: true,
  listsPayments: true,
  transactionSearch: true,
  // PlutoPay payments are card present only; nothing is ever shown as a link.
  cancelsUnpaidLink: true,
  simulateCards: true,
  paymentNotes: false,
  // receipt_email on the create: PlutoPay mails the receipt when the payment succeeds.
  receiptEmail: true,
};

export interface PlutoPayConfig {
  baseUrl: string;
  secretKey: string;
  /** The signing secret of the webhook endpoint whose events the shop forwards here. */
  webhookSecret: () => string | null;
  http?: Omit<GatewayHttpOptions, 'baseUrl' | 'parseError'>;
}

export function createPlutoPayGateway(config: PlutoPayConfig): PaymentGateway {
  const http = new GatewayHttp({ ...config.http, baseUrl: config.baseUrl, parseError: parsePlutoPayError });
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
  return {
    name: 'plutopay',
    label: 'PlutoPay',
    capabilities: PLUTOPAY_CAPABILITIES,
    limits: PLUTOPAY_LIMITS,
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
    // The create carries its idempotency key: resending it is the safe retry, nothing to look up.
    findCreated: async () => null,
    retrieve: async (id) => toPayment(await api.getTransaction(id)),
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
        data: page.data.map(toPayment),
        meta: {
          currentPage: page.meta.current_page,
          lastPage: page.meta.last_page,
          perPage: page.meta.per_page,
          total: page.meta.total,
        },
      };
    },
    capture: async (id, amount, key) => toPayment(await api.capture(id, amount, key)),
    cancel: async (id, key) => toPayment(await api.cancel(id, key)),
    async refund(id, params, key) {
      const refund = await api.refund(id, params, key);
      return toPayment(refund.transaction ?? (await api.getTransaction(id)));
    },
    // Refunds carry their idempotency key: resending it is the safe retry.
    refundExists: async () => false,
    refunds: async (id) => (await api.listRefunds(id)).map(toRefund),
    readers,
    notifications: {
      path: WEBHOOK_PATH,
      verify: (input) => verifyPlutoPayNotification({ ...input, secret: config.webhookSecret() }),
    },
  };
}
