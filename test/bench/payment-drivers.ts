/**
 * The two ways figure 1 (and figure 6) take one card payment against the sandbox:
 *
 *  - through the host: the contract's commands (payments.create → payments.process →
 *    simulate.presentCard → payments.capture) on a hosted simulated reader whose card time is 0,
 *    waiting on the host's own pushed events, exactly as the cashier's screen does;
 *  - the floor: the same HTTP calls with bare `fetch` and nothing else — no journal, no schema
 *    validation, no events — including the reader link (one held long poll, as the host keeps).
 *
 * Per payment both make: POST create-payment, POST process-payment, the held GET link/poll that
 * returns the pushed action, POST link/actions/{id}/result, POST capture — plus the long poll the
 * result's version change releases (the next held poll), off the critical path on both sides.
 * Both wait the same simulated card time: a 0 ms timer (the simulated reader's processingMs = 0).
 */
import type { PaymentView, ReaderView } from '../../common/contract';
import type { Host } from '../../main/host/host';

export const PAYMENT_AMOUNT = 1250; // approved by the test-amount rules (cents 50)
export const PAYMENT_CURRENCY = 'EUR';

// -- counting the HTTP calls (so the floor is shown to make the same ones) ----------------------

export class RequestCounter {
  private readonly counts = new Map<string, number>();
  enabled = false;

  record(method: string, url: string): void {
    if (!this.enabled) return;
    const key = `${method} ${normalizePath(new URL(url).pathname)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Calls per payment by endpoint, sorted by endpoint. */
  perPayment(payments: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, count] of [...this.counts].sort((a, b) => a[0].localeCompare(b[0])))
      out[key] = Number((count / payments).toFixed(2));
    return out;
  }

  reset(): void {
    this.counts.clear();
  }

  /** Adds what `other` counted to this counter and clears `other`. */
  takeFrom(other: RequestCounter): void {
    for (const [key, count] of other.counts) this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    other.reset();
  }
}

/** Replaces ids in a path with placeholders: /v1/transactions/0199…/capture → /v1/transactions/{id}/capture. */
export function normalizePath(path: string): string {
  return path
    .split('/')
    .map((part) =>
      /^(act|tmr|lnk|pay|txn|re|cs)_[A-Za-z0-9]+$/.test(part) || /^[0-9a-f]{8}-[0-9a-f-]{27,}$/i.test(part)
        ? '{id}'
        : part,
    )
    .join('/');
}

/**
 * Wraps the global fetch (which the host's GatewayHttp and the floor both use) with a counter.
 * Installed before the host is built; costs both sides the same Map update per call.
 */
export function installFetchCounter(counter: RequestCounter): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    counter.record(init?.method ?? (input instanceof Request ? input.method : 'GET'), url);
    return original(input, init);
  }) as typeof fetch;
  return () => {
    globalThis.fetch = original;
  };
}

// -- through the host ---------------------------------------------------------------------------

/** Waits on the host's payment events (no polling: a waiter resolves on the event itself). */
export class PaymentEvents {
  private readonly latest = new Map<string, PaymentView>();
  private readonly waiters = new Map<
    string,
    { predicate: (p: PaymentView) => boolean; resolve: (p: PaymentView) => void }[]
  >();
  private readonly unsubscribe: () => void;

  constructor(host: Host) {
    this.unsubscribe = host.subscribe((event) => {
      if (event.type !== 'payment') return;
      const payment = event.payment;
      const waiting = this.waiters.get(payment.id);
      if (!waiting) {
        this.latest.set(payment.id, payment);
        return;
      }
      this.latest.set(payment.id, payment);
      const still = waiting.filter((w) => {
        if (!w.predicate(payment)) return true;
        w.resolve(payment);
        return false;
      });
      if (still.length) this.waiters.set(payment.id, still);
      else this.waiters.delete(payment.id);
    });
  }

  waitFor(id: string, predicate: (p: PaymentView) => boolean, timeoutMs = 15_000): Promise<PaymentView> {
    const seen = this.latest.get(id);
    if (seen && predicate(seen)) return Promise.resolve(seen);
    return new Promise<PaymentView>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `payment ${id}: no matching event within ${timeoutMs} ms (last: ${JSON.stringify(this.latest.get(id) ?? null)})`,
            ),
          ),
        timeoutMs,
      );
      const list = this.waiters.get(id) ?? [];
      list.push({
        predicate,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
      this.waiters.set(id, list);
    });
  }

  /** Drops what is remembered about a finished payment (long runs must not grow here). */
  forget(id: string): void {
    this.latest.delete(id);
    this.waiters.delete(id);
  }

  close(): void {
    this.unsubscribe();
  }
}

export async function call<T>(host: Host, name: Parameters<Host['dispatch']>[0], input: unknown): Promise<T> {
  const result = await host.dispatch(name, input);
  if (!result.ok) throw new Error(`${name} failed: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

export async function onlineSimulatedReaders(host: Host, count: number, timeoutMs = 10_000): Promise<ReaderView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const readers = (await call<ReaderView[]>(host, 'readers.list', {})).filter(
      (r) => r.hosted && r.kind === 'simulated' && r.status === 'online',
    );
    if (readers.length >= count) return readers.slice(0, count);
    if (Date.now() > deadline) throw new Error(`only ${readers.length} of ${count} simulated readers came online`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One payment through the host's commands: create → process → present card → capture. */
export async function hostPayment(
  host: Host,
  events: PaymentEvents,
  readerId: string,
  captureMethod: 'manual' | 'automatic' = 'manual',
): Promise<void> {
  const created = await call<PaymentView>(host, 'payments.create', {
    amount: PAYMENT_AMOUNT,
    currency: PAYMENT_CURRENCY,
    captureMethod,
  });
  await call<PaymentView>(host, 'payments.process', { paymentId: created.id, readerId });
  await events.waitFor(created.id, (p) => p.readerStage === 'waiting_for_card');
  await call<ReaderView>(host, 'simulate.presentCard', { readerId });
  if (captureMethod === 'automatic') {
    await events.waitFor(created.id, (p) => p.status === 'succeeded');
  } else {
    await events.waitFor(created.id, (p) => p.status === 'requires_capture');
    const captured = await call<PaymentView>(host, 'payments.capture', { paymentId: created.id });
    if (captured.status !== 'succeeded') throw new Error(`payment ${created.id} ended ${captured.status}`);
  }
  events.forget(created.id);
}

// -- the floor: bare fetch ----------------------------------------------------------------------

interface LinkPollAnswer {
  version: number;
  action: { id: string; status: string; payment_intent_id: string } | null;
}

/**
 * A minimal client doing over the wire what the host does for one payment, and nothing else.
 * It owns a hosted reader (paired and linked once, outside the timing) and keeps one long poll
 * held on its link, like the host's reader controller.
 */
export class FloorClient {
  private version: number | undefined;
  private readonly waiting = new Map<string, (actionId: string) => void>();
  private readonly arrived = new Map<string, string>();
  private stopped = false;
  private polling: Promise<void> | null = null;
  private abort = new AbortController();
  private counter = 0;

  private constructor(
    private readonly baseUrl: string,
    private readonly secretKey: string,
    readonly readerId: string,
    private readonly linkSecret: string,
  ) {}

  /** Pairs a hosted terminal and opens its link (not timed). */
  static async open(baseUrl: string, secretKey: string, registrationCode: string): Promise<FloorClient> {
    const post = async (path: string, auth: string, body: unknown) => {
      const response = await fetch(baseUrl + path, {
        method: 'POST',
        headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`floor setup ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const terminal = await post('/v1/terminals', secretKey, {
      name: 'Floor reader',
      registration_code: registrationCode,
    });
    const token = await post('/v1/terminal/connection-token', secretKey, {});
    const link = await post('/v1/terminal/link', String(token.secret), { reader_id: terminal.processor_terminal_id });
    const client = new FloorClient(baseUrl, secretKey, String(terminal.processor_terminal_id), String(link.secret));
    client.polling = client.pollLoop();
    return client;
  }

  private async request(
    method: string,
    path: string,
    auth: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        Authorization: `Bearer ${auth}`,
        Accept: 'application/json',
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    const json: unknown = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      let answer: LinkPollAnswer;
      try {
        const query = `${this.version !== undefined ? `version=${this.version}&` : ''}wait_ms=25000`;
        answer = (await this.request(
          'GET',
          `/v1/terminal/link/poll?${query}`,
          this.linkSecret,
          undefined,
          this.abort.signal,
        )) as LinkPollAnswer;
      } catch (error) {
        if (this.stopped) return;
        throw error;
      }
      if (answer.version === this.version) continue;
      this.version = answer.version;
      const action = answer.action;
      if (action && action.status === 'in_progress') {
        const waiter = this.waiting.get(action.payment_intent_id);
        if (waiter) {
          this.waiting.delete(action.payment_intent_id);
          waiter(action.id);
        } else this.arrived.set(action.payment_intent_id, action.id);
      }
    }
  }

  private actionFor(intentId: string): Promise<string> {
    const already = this.arrived.get(intentId);
    if (already) {
      this.arrived.delete(intentId);
      return Promise.resolve(already);
    }
    return new Promise((resolve) => this.waiting.set(intentId, resolve));
  }

  /** One payment: the calls the host makes, in the host's order, with bodies of the same shape. */
  async payment(): Promise<void> {
    const n = ++this.counter;
    const order = `floor-${process.pid}-${Date.now().toString(36)}-${n}`;
    const tx = (await this.request('POST', '/v1/terminal/create-payment', this.secretKey, {
      amount: PAYMENT_AMOUNT,
      currency: PAYMENT_CURRENCY.toLowerCase(),
      capture_method: 'manual',
      metadata: { order_reference: order, pos_payment_id: `pay_floor${n}` },
      idempotency_key: `pos-${order}-1`,
    })) as { id: string };
    const arriving = this.actionFor(tx.id);
    await this.request('POST', '/v1/terminal/process-payment', this.secretKey, {
      payment_intent_id: tx.id,
      reader_id: this.readerId,
    });
    const actionId = await arriving;
    // The simulated card time, as on the host's side: its reader answers after a timer of
    // processingMs = 0, which Node runs on the next timers phase (about 1 ms), not at once.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await this.request('POST', `/v1/terminal/link/actions/${encodeURIComponent(actionId)}/result`, this.linkSecret, {
      outcome: 'approved',
      card: { brand: 'visa', last4: '4242' },
      auth_code: 'FLOOR1',
    });
    const captured = (await this.request(
      'POST',
      `/v1/transactions/${encodeURIComponent(tx.id)}/capture`,
      this.secretKey,
      {
        idempotency_key: `capture-${order}`,
      },
    )) as { status: string };
    if (captured.status !== 'succeeded') throw new Error(`floor payment ended ${captured.status}`);
  }

  /**
   * Figure 7's floor: one automatic-capture payment as the cashier's screen makes it, timed as its
   * two paths. toReader: create-payment, process-payment and the held long poll delivering the
   * action (what the host must do before its reader has the amount). toApproved: the simulated
   * card time (a 0 ms timer, as the reader's processingMs = 0) and the result POST, whose answer
   * says succeeded (what must happen before the gateway says approved). pollAfterPush: how long
   * after process-payment's answer the held poll delivered the action (negative: before it).
   */
  async cashierPayment(): Promise<{ toReader: number; toApproved: number; pollAfterPush: number }> {
    const n = ++this.counter;
    const order = `floor-${process.pid}-${Date.now().toString(36)}-${n}`;
    const started = performance.now();
    const tx = (await this.request('POST', '/v1/terminal/create-payment', this.secretKey, {
      amount: PAYMENT_AMOUNT,
      currency: PAYMENT_CURRENCY.toLowerCase(),
      capture_method: 'automatic',
      metadata: { order_reference: order, pos_payment_id: `pay_floor${n}` },
      idempotency_key: `pos-${order}-1`,
    })) as { id: string };
    let delivered = 0;
    const arriving = this.actionFor(tx.id).then((id) => {
      delivered = performance.now();
      return id;
    });
    await this.request('POST', '/v1/terminal/process-payment', this.secretKey, {
      payment_intent_id: tx.id,
      reader_id: this.readerId,
    });
    const pushAnswered = performance.now();
    const actionId = await arriving;
    const decided = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const answer = (await this.request(
      'POST',
      `/v1/terminal/link/actions/${encodeURIComponent(actionId)}/result`,
      this.linkSecret,
      { outcome: 'approved', card: { brand: 'visa', last4: '4242' }, auth_code: 'FLOOR1' },
    )) as { transaction: { status: string } };
    const approved = performance.now();
    if (answer.transaction.status !== 'succeeded') throw new Error(`floor payment ended ${answer.transaction.status}`);
    return { toReader: delivered - started, toApproved: approved - decided, pollAfterPush: delivered - pushAnswered };
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.polling?.catch(() => undefined);
    await fetch(`${this.baseUrl}/v1/terminal/link`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${this.linkSecret}` },
    }).catch(() => undefined);
  }
}
