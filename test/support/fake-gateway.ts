/**
 * An in-memory gateway that implements the port, for unit tests of the payments and readers: it
 * keeps payments and cloud readers, honours idempotency keys only when told it has them (else a
 * resent create is a second payment, as on a real gateway without keys), and can lose an answer
 * after applying a change, or hold reader reads until a test lets them go.
 */
import type { GatewayCapabilities } from '../../common/contract';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import { newRequestId } from '../../main/gateway/request-ids';
import type {
  DeviceResult,
  GatewayPayment,
  GatewayReaders,
  LinkPoll,
  LinkSession,
  NewPayment,
  PaymentGateway,
  ReaderAction,
  RemoteReader,
} from '../../main/gateway/port';

export interface FakeGatewayOptions {
  idempotencyKeys?: boolean;
  /** Like PayPlug: how long after an unknown outcome nothing may be sent again. */
  resendAfterUnknownMs?: number;
  /** False: like Plural, the gateway keeps no list (the host lists its journal). */
  listsPayments?: boolean;
  name?: 'plutopay' | 'payplug' | 'plural';
  /** Like Plural, the gateway names each request: create mints a request id (newRequestId). */
  namesRequests?: boolean;
}

export class FakeGateway implements PaymentGateway {
  readonly name: 'plutopay' | 'payplug' | 'plural';
  readonly label = 'Fake gateway';
  readonly capabilities: GatewayCapabilities;
  readonly limits = {
    amount: { min: 50, max: 99_999_999 },
    currencies: null,
    description: { max: 500, unit: 'utf16' as const },
    refund: { min: 1 },
  };
  /** It simulates no link payments. */
  readonly linkTestCards = [];
  readonly payments = new Map<string, GatewayPayment & { key: string }>();
  readonly refundKeys = new Set<string>();
  readonly calls: string[] = [];
  private readonly remote = new Map<string, RemoteReader>();
  private nextId = 1;
  private dropNext = 0;
  private failNext = 0;
  /** How long a create takes at the gateway before it is applied (to overlap two of them). */
  createDelayMs = 0;
  /** While set, readers.get waits for it (to interleave a report with a reconcile). */
  readerGate: Promise<void> | null = null;
  /** While set, retrieve() answers only once the promise settles (with the payment as it is then). */
  retrieveGate: Promise<void> | null = null;
  /** Calls waiting at readerGate or retrieveGate right now (a test waits for the host to reach one). */
  waitingAtGate = 0;
  private readonly heldRetrieves = new Map<string, { skip: number; until: Promise<void> }>();
  /** Retrieves held by holdRetrieve() right now. */
  waitingRetrieves = 0;

  readonly namesRequests: boolean;
  /** The request ids create minted, in order. */
  readonly requestIds: string[] = [];

  constructor(options: FakeGatewayOptions = {}) {
    this.name = options.name ?? 'plutopay';
    this.namesRequests = options.namesRequests ?? false;
    this.capabilities = {
      readerLink: true,
      cloudReaders: true,
      payByLink: false,
      deferredCapture: { authorizationDays: null },
      deferredCaptureByLink: false,
      partialCapture: true,
      partialRefund: true,
      installments: null,
      savedCards: false,
      splitSettlement: false,
      idempotencyKeys: options.idempotencyKeys ?? true,
      resendAfterUnknownMs: options.resendAfterUnknownMs ?? 0,
      signedNotifications: false,
      listsPayments: options.listsPayments ?? true,
      transactionSearch: false,
      transactionSearchFinds: [],
      filtersLinks: false,
      cancelsUnpaidLink: true,
      simulateCards: true,
      paymentNotes: false,
      receiptEmail: false,
      disputes: false,
      paymentMethods: ['card', 'terminal'],
    };
  }

  /** The next `n` changes are applied, then answered with a lost connection. */
  dropAnswers(n: number): void {
    this.dropNext = n;
  }

  /** The next `n` changes fail before anything is applied (a 5xx: the outcome is unknown to the host). */
  failChanges(n: number): void {
    this.failNext = n;
  }

  private failIfAsked(): void {
    if (this.failNext <= 0) return;
    this.failNext--;
    throw new GatewayUnreachable('unknown', 'The gateway answered 500 (failed by the test).', 500);
  }

  async health(): Promise<void> {}

  async account() {
    return { id: 'acct_fake', businessName: 'Fake shop', displayName: null, defaultCurrency: 'EUR', testMode: true };
  }

  async create(input: NewPayment, key: string): Promise<GatewayPayment> {
    this.calls.push(`create ${key}`);
    if (this.namesRequests) this.requestIds.push(newRequestId());
    this.failIfAsked();
    if (this.createDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.createDelayMs));
    const existing = [...this.payments.values()].find((p) => p.key === key);
    if (existing && this.capabilities.idempotencyKeys) return this.answer(strip(existing));
    const id = `fake-${this.nextId++}`;
    const payment = {
      key,
      id,
      reference: `txn_${id}`,
      orderReference: input.orderReference,
      status: 'pending' as const,
      amount: input.amount,
      currency: input.currency,
      amountCapturable: 0,
      amountCaptured: 0,
      amountRefunded: 0,
      captureMethod: input.captureMethod,
      card: null,
      failure: null,
      description: input.description,
      receiptEmail: input.receiptEmail,
      customerId: input.customerId,
      methodType: 'terminal',
      terminalId: null,
      createdAt: new Date(1_767_225_600_000 + this.nextId * 1000).toISOString(),
      capturedAt: null,
      // A link has its page, as every gateway's does (a link without one is not payable).
      payUrl: input.channel === 'link' && !input.savedCardId ? `http://127.0.0.1/pay/${id}` : null,
      payUrlExpiresAt: null,
      authorizationExpiresAt: null,
      installmentPlanId: null,
      savedCardId: null,
      splits: null,
    };
    this.payments.set(id, payment);
    return this.answer(strip(payment));
  }

  async findCreated(_input: NewPayment, key: string, _since?: number): Promise<GatewayPayment | null> {
    // With keys, resending is the safe retry and there is nothing to look up (as with PlutoPay).
    if (this.capabilities.idempotencyKeys) return null;
    this.calls.push(`find ${key}`);
    const found = [...this.payments.values()].find((p) => p.key === key);
    return found ? strip(found) : null;
  }

  async retrieve(id: string): Promise<GatewayPayment> {
    await this.atGate(this.retrieveGate);
    const held = this.heldRetrieves.get(id);
    if (held && --held.skip < 0) {
      this.heldRetrieves.delete(id);
      this.waitingRetrieves++;
      await held.until;
      this.waitingRetrieves--;
    }
    return strip(this.get(id));
  }

  private async atGate(gate: Promise<void> | null): Promise<void> {
    if (!gate) return;
    this.waitingAtGate++;
    try {
      await gate;
    } finally {
      this.waitingAtGate--;
    }
  }

  /** Holds one retrieve of `id`, the one after the next `skip`, until `until` settles. */
  holdRetrieve(id: string, skip: number, until: Promise<void>): void {
    this.heldRetrieves.set(id, { skip, until });
  }

  async list() {
    if (!this.capabilities.listsPayments) throw new Error('this gateway keeps no list: the host must not ask');
    const data = [...this.payments.values()].map(strip).reverse();
    return { data, meta: { currentPage: 1, lastPage: 1, perPage: data.length, total: data.length } };
  }

  async capture(id: string, amount: number | undefined): Promise<GatewayPayment> {
    this.failIfAsked();
    const p = this.get(id);
    if (p.status !== 'requires_capture') throw new GatewayError(422, 'capture_error', 'not capturable');
    Object.assign(p, { status: 'succeeded', amountCaptured: amount ?? p.amountCapturable, amountCapturable: 0 });
    return this.answer(strip(p));
  }

  async cancel(id: string): Promise<GatewayPayment> {
    this.failIfAsked();
    const p = this.get(id);
    if (!['pending', 'requires_capture'].includes(p.status))
      throw new GatewayError(422, 'cancel_error', 'not cancelable');
    Object.assign(p, { status: 'canceled', amountCapturable: 0 });
    return this.answer(strip(p));
  }

  /**
   * The next refund is not answered in time while the gateway goes on making it: the till hears a
   * timeout (an unknown outcome), and the refund exists — for lookups too — only once `landing`
   * settles (a slow gateway still working on the first send).
   */
  refundLandsLate(landing: Promise<void>): void {
    this.lateRefund = landing;
  }

  private lateRefund: Promise<void> | null = null;
  /** The refunds the gateway made (each send that was applied), in order. */
  readonly refundsMade: { id: string; key: string; amount: number }[] = [];

  async refund(id: string, params: { amount?: number }, key: string): Promise<GatewayPayment> {
    this.calls.push(`refund ${key}`);
    this.failIfAsked();
    const landing = this.lateRefund;
    if (landing) {
      this.lateRefund = null;
      void landing.then(() => this.makeRefund(id, params, key));
      throw new GatewayUnreachable('unknown', 'The gateway did not answer in time.');
    }
    return this.answer(this.makeRefund(id, params, key));
  }

  private makeRefund(id: string, params: { amount?: number }, key: string): GatewayPayment {
    const p = this.get(id);
    const left = p.amountCaptured - p.amountRefunded;
    if ((params.amount ?? left) > left)
      throw new GatewayError(400, 'invalid_request_error', `Only ${left} is left to refund.`, 'amount');
    this.refundKeys.add(`${id}:${key}`);
    this.refundsMade.push({ id, key, amount: params.amount ?? left });
    p.amountRefunded += params.amount ?? left;
    p.status = p.amountRefunded >= p.amountCaptured ? 'refunded' : 'partially_refunded';
    return strip(p);
  }

  async refundExists(id: string, key: string): Promise<boolean> {
    return this.refundKeys.has(`${id}:${key}`);
  }

  async refunds() {
    return [];
  }

  readonly readers: GatewayReaders = {
    list: async () => [...this.remote.values()],
    get: async (readerId) => {
      await this.atGate(this.readerGate);
      return this.reader(readerId);
    },
    register: async (params) => {
      const id = `tmr_${this.nextId++}`;
      this.remote.set(id, {
        id,
        terminalId: `term_${id}`,
        label: params.name,
        status: 'online',
        deviceType: params.registrationCode.startsWith('simulated') ? 'simulated' : 'hosted',
        simulated: params.registrationCode.startsWith('simulated'),
        serialNumber: params.registrationCode,
        softwareVersion: null,
        lastSeenAt: null,
        action: null,
      });
      return { terminalId: `term_${id}`, readerId: id };
    },
    findRegistered: async () => null,
    remove: async () => undefined,
    push: async (paymentId, readerId) => {
      const reader = this.reader(readerId);
      const payment = this.get(paymentId);
      // As the sandbox: only a pending payment goes to a reader.
      if (payment.status !== 'pending')
        throw new GatewayError(
          422,
          'payment_error',
          `This payment is ${payment.status}; only a pending payment can be processed.`,
        );
      reader.action = {
        id: `act_${this.nextId++}`,
        paymentId,
        amount: payment.amount,
        currency: payment.currency,
        status: 'in_progress',
        presentedCard: null,
      };
      return this.answer({ ...reader });
    },
    cancelAction: async (readerId) => {
      const reader = this.reader(readerId);
      if (reader.action) reader.action = { ...reader.action, status: 'canceled' };
      return { ...reader };
    },
    simulate: async (readerId) => {
      const reader = this.reader(readerId);
      const action = reader.action;
      if (!action || action.status !== 'in_progress') throw new GatewayError(422, 'terminal_error', 'no action');
      this.approve(action);
      reader.action = { ...action, status: 'succeeded' };
      return { ...reader };
    },
    link: {
      open: async (readerId): Promise<LinkSession> => ({ id: `lnk_${this.nextId++}`, readerId, pollWaitMaxMs: 30_000 }),
      poll: async (session): Promise<LinkPoll> => ({ version: 1, action: this.reader(session.readerId).action }),
      postResult: async (session, actionId, result: DeviceResult) => {
        const reader = this.reader(session.readerId);
        const action = reader.action;
        if (!action || action.id !== actionId) throw new GatewayError(422, 'terminal_error', 'not the open action');
        if (result.outcome === 'approved') this.approve(action);
        reader.action = { ...action, status: result.outcome === 'approved' ? 'succeeded' : 'failed' };
        return strip(this.get(action.paymentId));
      },
      close: async () => undefined,
    },
  };

  private approve(action: ReaderAction): void {
    const p = this.get(action.paymentId);
    const manual = p.captureMethod === 'manual';
    Object.assign(p, {
      status: manual ? 'requires_capture' : 'succeeded',
      amountCapturable: manual ? p.amount : 0,
      amountCaptured: manual ? 0 : p.amount,
      card: { brand: 'visa', last4: '4242' },
    });
  }

  private get(id: string) {
    const p = this.payments.get(id);
    if (!p) throw new GatewayError(404, 'invalid_request', `no payment ${id}`);
    return p;
  }

  private reader(id: string): RemoteReader {
    const reader = this.remote.get(id);
    if (!reader) throw new GatewayError(404, 'invalid_request', `no reader ${id}`);
    return reader;
  }

  /** A change's answer, or the lost connection a test asked for (the change stands). */
  private answer<T>(value: T): T {
    if (this.dropNext > 0) {
      this.dropNext--;
      throw new GatewayUnreachable('unknown', 'The connection to the gateway failed (dropped by the test).');
    }
    return value;
  }
}

function strip(payment: GatewayPayment & { key: string }): GatewayPayment {
  const { key: _key, ...rest } = payment;
  return { ...rest };
}
