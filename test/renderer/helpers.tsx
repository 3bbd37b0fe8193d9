import { cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, expect } from 'vitest';
import userEvent from '@testing-library/user-event';
import type {
  BridgeConnectionState,
  GatewayCapabilities,
  GatewayName,
  GatewayView,
  CommandError,
  CommandInput,
  CommandName,
  CommandResult,
  CustomerDisplayView,
  HostEvent,
  PaymentView,
  PosBridge,
  ReaderView,
  Result,
  SettingsView,
  Snapshot,
  TransactionView,
} from '../../common/contract';
import { PLURAL_TEST_CARDS } from '../../common/plural-test-cards';
import { PAYPLUG_TEST_CARDS, TEST_CARDS } from '../../common/test-cards';
import { App } from '../../renderer/src/App';
import { createPosStore, type PosStore } from '../../renderer/src/store';
import { StoreProvider } from '../../renderer/src/store/context';
import type { Screen } from '../../renderer/src/store/types';

// Vitest runs without globals, so Testing Library cannot register its cleanup by itself.
afterEach(() => cleanup());

export const ISO_NOW = () => new Date().toISOString();
export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export function makeSettings(over: Partial<SettingsView> = {}): SettingsView {
  return {
    mode: 'test',
    gateway: 'plutopay',
    notices: [],
    apiBaseUrl: 'http://127.0.0.1:4010',
    embeddedSandbox: true,
    secretKey: 'sk_test_…9f3a',
    publishableKey: null,
    secretStorage: 'file',
    autoPresentDelayMs: 0,
    webhookSecret: null,
    webhookUrl: null,
    webhookError: null,
    webhookPort: null,
    payplug: { apiBaseUrl: 'http://127.0.0.1:4010/payplug', secretKey: null, notificationUrl: null },
    plural: { apiBaseUrl: 'http://127.0.0.1:4010/plural', clientId: null, clientSecret: null, signatureKey: null },
    counter: {
      shopName: null,
      shopAddress: [],
      receiptFooter: [],
      timeZone: 'Europe/Paris',
      tipping: { enabled: false, presets: [10, 15, 20] },
      printer: { port: null, width: 42, print: 'customer', drawerKick: false, problem: null },
      customerDisplay: { url: null, connected: 0 },
    },
    splitMerchants: [],
    ...over,
  };
}

export function makeReader(over: Partial<ReaderView> = {}): ReaderView {
  return {
    id: 'rdr_sim1',
    label: 'Counter 1',
    kind: 'simulated',
    hosted: true,
    foundBy: 'simulated',
    deviceId: null,
    path: null,
    serialNumber: 'SIM-0001',
    model: 'Simulated',
    softwareVersion: '1.0.0',
    terminalId: 'term_1',
    standalone: false,
    status: 'online',
    statusDetail: null,
    lastSeenAt: minutesAgo(0),
    canPresentTestCards: true,
    action: null,
    ...over,
  };
}

let paymentCounter = 0;

export function makePayment(over: Partial<PaymentView> = {}): PaymentView {
  paymentCounter += 1;
  const now = ISO_NOW();
  return {
    id: `pay_test${String(paymentCounter).padStart(6, '0')}`,
    gateway: 'plutopay',
    testMode: true,
    channel: 'card_present',
    savedCard: false,
    transactionId: null,
    reference: null,
    orderReference: `order-${paymentCounter}`,
    amount: 1250,
    currency: 'EUR',
    description: null,
    captureMethod: 'automatic',
    status: 'pending',
    readerId: null,
    readerStage: null,
    decline: null,
    card: null,
    amountCapturable: 0,
    amountCaptured: 0,
    amountRefunded: 0,
    customerId: null,
    receiptEmail: null,
    queuedOperations: 0,
    attention: null,
    payUrl: null,
    payUrlExpiresAt: null,
    authorizationExpiresAt: null,
    installmentPlanId: null,
    splits: [],
    tip: null,
    chargedBy: 'gateway',
    cancelAsked: false,
    entryMode: null,
    authCode: null,
    receipt: { print: null, email: null },
    next: nextFor(over.status ?? 'pending', over.channel ?? 'card_present'),
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

/** What the host would offer for a payment in this state (PlutoPay's capabilities). */
function nextFor(status: PaymentView['status'], channel: PaymentView['channel']): PaymentView['next'] {
  switch (status) {
    case 'pending':
      return channel === 'link' ? ['show_link', 'cancel'] : ['send_to_reader', 'cancel'];
    case 'in_progress':
    case 'creating':
    case 'unknown':
      return ['cancel'];
    case 'requires_capture':
      return ['capture', 'cancel'];
    case 'succeeded':
    case 'partially_refunded':
      return ['refund'];
    default:
      return [];
  }
}

export function makeTransaction(over: Partial<TransactionView> = {}): TransactionView {
  return {
    id: '11111111-2222-3333-4444-555555555555',
    reference: 'pi_0001',
    orderReference: 'ORDER-0001',
    status: 'succeeded',
    amount: 2000,
    amountFormatted: '€20.00',
    amountRefunded: 0,
    amountCaptured: 2000,
    amountCapturable: 0,
    currency: 'EUR',
    paymentMethodType: 'terminal',
    captureMethod: 'automatic',
    description: 'Lunch',
    receiptEmail: null,
    terminalId: 'term_1',
    card: { brand: 'visa', last4: '4242' },
    failureCode: null,
    failureMessage: null,
    note: null,
    createdAt: minutesAgo(30),
    capturedAt: minutesAgo(30),
    authorizationExpiresAt: null,
    ...over,
  };
}

/** The contract's view of a gateway, as the host would send it (capabilities as each one declares). */
export function gatewayFor(name: GatewayName): GatewayView {
  const capabilities: GatewayCapabilities = {
    readerLink: name === 'plutopay',
    cloudReaders: name === 'plutopay',
    payByLink: true,
    deferredCapture:
      name === 'plural' ? { authorizationDays: null } : { authorizationDays: name === 'payplug' ? 7 : null },
    deferredCaptureByLink: name !== 'plutopay',
    partialCapture: name !== 'payplug',
    partialRefund: true,
    installments: name === 'payplug' ? { minCount: 2, maxCount: 4 } : null,
    savedCards: name === 'payplug',
    splitSettlement: name === 'plural',
    idempotencyKeys: name === 'plutopay',
    resendAfterUnknownMs: name === 'payplug' ? 120_000 : 0,
    signedNotifications: name !== 'payplug',
    listsPayments: name !== 'plural',
    transactionSearch: name !== 'plural',
    transactionSearchFinds:
      name === 'payplug' ? ['description', 'email', 'cardLast4'] : name === 'plutopay' ? ['description', 'email'] : [],
    filtersLinks: name === 'payplug',
    cancelsUnpaidLink: name !== 'plural',
    simulateCards: true,
    paymentNotes: name === 'payplug',
    receiptEmail: name === 'plutopay',
    disputes: name === 'plutopay',
    paymentMethods:
      name === 'plutopay'
        ? ['card', 'wallet', 'bank_transfer', 'terminal', 'link']
        : name === 'payplug'
          ? ['link', 'card']
          : ['link'],
  };
  const label = { plutopay: 'PlutoPay', payplug: 'PayPlug', plural: 'Plural' }[name];
  return {
    name,
    label,
    configured: true,
    capabilities,
    limits:
      name === 'payplug'
        ? { amountMin: 100, amountMax: 2_000_000, currencies: ['EUR'], descriptionMax: 80 }
        : name === 'plural'
          ? { amountMin: 100, amountMax: 100_000_000, currencies: ['INR'], descriptionMax: 500 }
          : { amountMin: 50, amountMax: 99_999_999, currencies: null, descriptionMax: 500 },
    // Each gateway's own sandbox cards (its factory names the same numbers).
    linkTestCards: { plutopay: TEST_CARDS, payplug: PAYPLUG_TEST_CARDS, plural: PLURAL_TEST_CARDS }[name].map(
      ({ number, label }) => ({ number, label }),
    ),
  };
}

export function makeSnapshot(over: Partial<Snapshot> = {}): Snapshot {
  const settings = over.settings ?? makeSettings({ mode: over.mode ?? 'test' });
  return {
    seq: 10,
    mode: settings.mode,
    gateway: gatewayFor(settings.gateway),
    merchant: {
      id: 'm_1',
      businessName: 'Corner Café',
      displayName: null,
      defaultCurrency: 'EUR',
      testMode: settings.mode === 'test',
    },
    settings,
    readers: [makeReader()],
    payments: [],
    connectivity: { gateway: 'online', lastError: null, queued: { count: 0, totals: [] }, recovering: null },
    attention: [],
    display: makeDisplay(),
    ...over,
  };
}

export function makeDisplay(over: Partial<CustomerDisplayView> = {}): CustomerDisplayView {
  return {
    version: 1,
    shop: 'Corner Café',
    testMode: true,
    shopBankTerminal: false,
    phase: 'idle',
    paymentId: null,
    currency: null,
    amount: null,
    preTipAmount: null,
    tip: null,
    tipOptions: [],
    payUrl: null,
    installment: null,
    message: null,
    at: null,
    ...over,
  };
}

export const ok = <T,>(value: T): Result<T> => ({ ok: true, value });
export const fail = (
  code: CommandError['code'],
  message: string,
  extra: Partial<CommandError> = {},
): Result<never> => ({
  ok: false,
  error: { code, message, ...extra },
});

type Handler<N extends CommandName> = (
  input: CommandInput<N>,
) => Result<CommandResult<N>> | Promise<Result<CommandResult<N>>>;
type Handlers = { [N in CommandName]?: Handler<N> };

/** A PosBridge that records invokes, answers from handlers, and can push events and connection changes. */
export class FakeBridge implements PosBridge {
  readonly calls: { name: CommandName; input: unknown }[] = [];
  private readonly handlers: Handlers = {};
  private readonly eventListeners = new Set<(event: HostEvent) => void>();
  private readonly connectionListeners = new Set<(state: BridgeConnectionState) => void>();

  constructor(public snapshot: Snapshot = makeSnapshot()) {}

  on<N extends CommandName>(name: N, handler: Handler<N>): this {
    (this.handlers as Record<string, unknown>)[name] = handler;
    return this;
  }

  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandResult<N>>> {
    this.calls.push({ name, input });
    const handler = this.handlers[name] as Handler<N> | undefined;
    if (handler) return Promise.resolve(handler(input));
    if (name === 'session.snapshot') return Promise.resolve(ok(this.snapshot as CommandResult<N>));
    if (name === 'devlog.list') return Promise.resolve(ok([] as unknown as CommandResult<N>));
    if (name === 'payments.open') {
      // The snapshot's open payments, newest first, as the host pages them.
      const open = this.snapshot.payments
        .filter((p) => ['creating', 'pending', 'in_progress', 'unknown'].includes(p.status))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const { offset = 0, limit = 100 } = input as CommandInput<'payments.open'>;
      const byCurrency = new Map<string, { currency: string; count: number; amount: number }>();
      for (const p of open) {
        const c = byCurrency.get(p.currency) ?? { currency: p.currency, count: 0, amount: 0 };
        c.count++;
        c.amount += p.amount;
        byCurrency.set(p.currency, c);
      }
      const page = { payments: open.slice(offset, offset + limit), total: open.length, open: [...byCurrency.values()] };
      return Promise.resolve(ok(page as CommandResult<N>));
    }
    return Promise.resolve(fail('internal', `FakeBridge: no handler for ${name}`));
  }

  subscribe(listener: (event: HostEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onConnection(listener: (state: BridgeConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  push(event: HostEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }

  setConnection(state: BridgeConnectionState): void {
    for (const listener of this.connectionListeners) listener(state);
  }

  /** Inputs of every call to one command, in order. */
  inputs<N extends CommandName>(name: N): CommandInput<N>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as CommandInput<N>);
  }

  count(name: CommandName): number {
    return this.calls.filter((c) => c.name === name).length;
  }
}

export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function memoryPreferences(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return {
    map,
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
  };
}

export interface Rendered {
  store: PosStore;
  user: ReturnType<typeof userEvent.setup>;
  bridge: FakeBridge;
  unmount(): void;
}

/** Renders the whole app on a fake bridge and waits for the first snapshot. */
export async function renderApp(
  bridge: FakeBridge = new FakeBridge(),
  options: {
    screen?: Screen;
    preferences?: ReturnType<typeof memoryPreferences>;
    /** The tab's session storage, as a reload finds it. */
    session?: ReturnType<typeof memoryPreferences>;
  } = {},
): Promise<Rendered> {
  const store = createPosStore(bridge, {
    preferences: options.preferences ?? memoryPreferences(),
    session: options.session ?? memoryPreferences(),
  });
  const stop = store.start();
  if (options.screen) store.getState().setScreen(options.screen);
  const user = userEvent.setup();
  const result = render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  await waitFor(() => expect(store.getState().host.ready).toBe(true));
  return {
    store,
    user,
    bridge,
    unmount: () => {
      stop();
      result.unmount();
    },
  };
}

/**
 * The live regions of `role` with a message in them. A screen keeps its message regions on the
 * page, empty, between messages (so the next one is announced): an empty one says nothing.
 */
export function shownRegions(role: 'alert' | 'status', container: HTMLElement = document.body): HTMLElement[] {
  return Array.from(container.querySelectorAll<HTMLElement>(`[role="${role}"]`)).filter(
    (el) => (el.textContent ?? '') !== '',
  );
}

/** The one alert with a message in it (throws when there is none, or more than one). */
export function shownAlert(container: HTMLElement = document.body): HTMLElement {
  const alerts = shownRegions('alert', container);
  if (alerts.length !== 1) throw new Error(`Expected one alert with a message, found ${alerts.length}`);
  return alerts[0]!;
}

/** Waits for the one alert with a message in it. */
export function findShownAlert(container: HTMLElement = document.body): Promise<HTMLElement> {
  return waitFor(() => shownAlert(container));
}
