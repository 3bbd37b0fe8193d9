/**
 * The one contract between the cashier UI and the host. Every command the renderer may send
 * (name → zod input schema → result type) and every event the host pushes is defined here.
 * The Electron preload exposes it as `window.pos`; web mode exposes the same interface over a
 * WebSocket. The renderer imports types only. No secret (secret key, connection token, webhook
 * secret) ever appears in a result or an event: keys are shown masked.
 */
import { z } from 'zod';
import { isKnownCurrency } from '../../common/currencies';
import { MAX_AMOUNT_MINOR } from '../../common/money';

// ---------------------------------------------------------------------------------------------
// Input building blocks

const MinorAmount = z
  .number({ error: 'amount must be a number of minor units' })
  .int('amount must be a whole number of minor units')
  .positive('amount must be greater than zero')
  .max(MAX_AMOUNT_MINOR, `amount must be at most ${MAX_AMOUNT_MINOR} minor units`);

const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'currency must be a three-letter ISO 4217 code')
  .refine(isKnownCurrency, 'unknown currency')
  .transform((code) => code.toUpperCase());

/** A payment handle: the host's own id (pay_…) or the gateway's transaction id (uuid). */
const PaymentRef = z.string().regex(/^(pay_[A-Za-z0-9]{8,40}|[0-9a-fA-F-]{36})$/, 'not a payment id');

const TransactionId = z.string().regex(/^[0-9a-fA-F-]{36}$/, 'not a transaction id');

/** The host's reader id (rdr_…). */
const ReaderRef = z.string().regex(/^rdr_[A-Za-z0-9_-]{1,80}$/, 'not a reader id');

const ShortText = (max: number) => z.string().trim().max(max, `at most ${max} characters`);

const Email = z.email('not an email address').max(254);

const Empty = z.strictObject({});

export const PaymentStatusFilter = z.enum([
  'pending',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
  'requires_capture',
]);

// ---------------------------------------------------------------------------------------------
// Commands

export const commandSchemas = {
  /** Everything the UI mirrors, with the sequence number events continue from. */
  'session.snapshot': Empty,

  'payments.create': z.strictObject({
    amount: MinorAmount,
    currency: Currency,
    description: ShortText(500).optional(),
    /** The order this payment belongs to; the idempotency key derives from it. Generated when absent. */
    orderReference: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._:#/-]{1,64}$/, 'order reference: 1–64 letters, digits or . _ : # / -')
      .optional(),
    captureMethod: z.enum(['automatic', 'manual']).default('automatic'),
    customerId: z.uuid('not a customer id').optional(),
    receiptEmail: Email.optional(),
  }),
  /** Push a payment to a reader (also "try another card" after a decline). */
  'payments.process': z.strictObject({ paymentId: PaymentRef, readerId: ReaderRef }),
  /** Cashier cancel: stops the reader if the card is not yet authorised, then cancels the payment. */
  'payments.cancel': z.strictObject({ paymentId: PaymentRef }),
  'payments.capture': z.strictObject({ paymentId: PaymentRef, amount: MinorAmount.optional() }),
  'payments.refund': z.strictObject({
    paymentId: PaymentRef,
    amount: MinorAmount.optional(),
    reason: ShortText(200).optional(),
  }),
  /** Payments the host knows, newest first (the journal, not the gateway). */
  'payments.list': z.strictObject({
    filter: z.enum(['active', 'uncaptured', 'attention', 'all']).default('all'),
    limit: z.number().int().min(1).max(200).default(50),
  }),

  /** The gateway's transaction list, with the API's filters and pagination. */
  'transactions.list': z.strictObject({
    search: ShortText(100).optional(),
    status: PaymentStatusFilter.optional(),
    paymentMethodType: z.enum(['card', 'wallet', 'bank_transfer', 'terminal']).optional(),
    dateFrom: z.iso.date('date must be YYYY-MM-DD').optional(),
    dateTo: z.iso.date('date must be YYYY-MM-DD').optional(),
    sortField: z.enum(['created_at', 'amount', 'status']).default('created_at'),
    sortOrder: z.enum(['asc', 'desc']).default('desc'),
    page: z.number().int().min(1).max(100_000).default(1),
    size: z.number().int().min(1).max(100).default(25),
  }),
  /** One transaction with its refunds and the journal's timeline. */
  'transactions.get': z.strictObject({ transactionId: TransactionId }),

  'readers.list': Empty,
  /** Pair a discovered device (deviceId) or a cloud reader by its registration code. */
  'readers.pair': z.union([
    z.strictObject({ deviceId: z.string().min(1).max(300), label: ShortText(60).min(1).optional() }),
    z.strictObject({
      registrationCode: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'registration code: letters, digits, - or _'),
      label: ShortText(60).min(1).optional(),
      locationName: ShortText(100).optional(),
    }),
  ]),
  /** Test mode: add another simulated reader hosted by this app. */
  'readers.addSimulated': z.strictObject({ label: ShortText(60).min(1).optional() }),
  'readers.reconnect': z.strictObject({ readerId: ReaderRef }),
  'readers.forget': z.strictObject({ readerId: ReaderRef }),

  /** Test mode: present a test card on a reader that is waiting for one. */
  'simulate.presentCard': z.strictObject({
    readerId: ReaderRef,
    cardNumber: z
      .string()
      .transform((s) => s.replace(/[\s-]/g, ''))
      .pipe(z.string().regex(/^\d{12,19}$/, 'card number: 12 to 19 digits'))
      .optional(),
  }),
  /** Test mode: make a simulated reader fail its next payment in a chosen way. */
  'simulate.setFault': z.strictObject({
    readerId: ReaderRef,
    fault: z.enum(['none', 'timeout', 'busy', 'disconnect_mid_payment']),
  }),

  'settings.get': Empty,
  'settings.update': z.strictObject({
    mode: z.enum(['test', 'live']).optional(),
    apiBaseUrl: z
      .url({ protocol: /^https?$/, error: 'API URL must be an http(s) URL' })
      .max(300)
      .optional(),
    /** Write-only. Empty string clears the stored key. */
    secretKey: z
      .string()
      .trim()
      .regex(/^(sk_(test|live)_[A-Za-z0-9]{8,200})?$/, 'secret key must start with sk_test_ or sk_live_')
      .optional(),
    publishableKey: z
      .string()
      .trim()
      .regex(/^(pk_(test|live)_[A-Za-z0-9]{8,200})?$/, 'publishable key must start with pk_test_ or pk_live_')
      .optional(),
    embeddedSandbox: z.boolean().optional(),
    /** Simulated readers present the default test card by themselves after this delay; 0 = never. */
    autoPresentDelayMs: z.number().int().min(0).max(600_000).optional(),
    /** Write-only signing secret of the webhook endpoint whose events are forwarded here. Empty clears it. */
    webhookSecret: z
      .string()
      .trim()
      .regex(/^(whsec_[A-Za-z0-9]{8,200})?$/, 'webhook secret must start with whsec_')
      .optional(),
    /** Loopback port for forwarded webhooks; 0 picks a free one, null turns the receiver off. */
    webhookPort: z.number().int().min(0).max(65535).nullable().optional(),
  }),

  /** The developer log (requests and events, secrets redacted), newest last. */
  'devlog.list': z.strictObject({ limit: z.number().int().min(1).max(1000).default(200) }),

  /** Payments the host could not resolve by itself, with what is known. */
  'attention.list': Empty,
  /** Ask the host to try reconciling one payment again now. */
  'attention.retry': z.strictObject({ paymentId: PaymentRef }),
  /**
   * The cashier settles what the app cannot know: after checking the reader's receipt, the card
   * was charged or not (reported to the gateway for the reader's open action), or, for an item
   * that only needed reading (e.g. an approval the gateway refused), dismiss it.
   */
  'attention.resolve': z.strictObject({
    paymentId: PaymentRef,
    resolution: z.enum(['charged', 'not_charged', 'dismiss']),
  }),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandInput<N extends CommandName> = z.input<(typeof commandSchemas)[N]>;
export type ParsedCommandInput<N extends CommandName> = z.output<(typeof commandSchemas)[N]>;

// ---------------------------------------------------------------------------------------------
// Views the host returns and pushes

export type Mode = 'test' | 'live';

/** The host's view of a payment. Money fields are minor units of `currency`. */
export type PaymentStatus =
  | 'creating' // journaled, create call not yet confirmed
  | 'pending' // created at the gateway, not on a reader
  | 'in_progress' // pushed to a reader, waiting for the card or authorising
  | 'requires_capture'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'refunded'
  | 'partially_refunded'
  | 'unknown'; // outcome unknown; being reconciled (see `attention`)

export type ReaderStage = 'sent' | 'waiting_for_card' | 'processing';

export interface PaymentView {
  id: string;
  transactionId: string | null;
  reference: string | null;
  orderReference: string;
  amount: number;
  currency: string;
  description: string | null;
  captureMethod: 'automatic' | 'manual';
  status: PaymentStatus;
  /** Where the reader is with it, while in_progress. */
  readerId: string | null;
  readerStage: ReaderStage | null;
  /** The last decline or failure, in words for the cashier. */
  decline: { code: string; message: string; anotherCard: boolean } | null;
  card: { brand: string; last4: string } | null;
  amountCapturable: number;
  amountCaptured: number;
  amountRefunded: number;
  customerId: string | null;
  receiptEmail: string | null;
  /** Operations waiting for the gateway to come back (offline queue). */
  queuedOperations: number;
  attention: AttentionView | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttentionView {
  paymentId: string;
  reason: string;
  /** What the cashier can do, in words. */
  advice: string;
  since: string;
}

export type ReaderStatus = 'online' | 'connecting' | 'reconnecting' | 'offline' | 'unpaired' | 'superseded';

export interface ReaderView {
  id: string;
  label: string;
  kind: 'simulated' | 'concert' | 'cloud';
  /** True when this app drives the device; false for readers the gateway hosts. */
  hosted: boolean;
  foundBy: 'simulated' | 'serial' | 'usb' | 'cloud';
  /** Device id to pass to readers.pair when status is 'unpaired'. */
  deviceId: string | null;
  path: string | null;
  serialNumber: string | null;
  model: string | null;
  softwareVersion: string | null;
  terminalId: string | null;
  status: ReaderStatus;
  /** Human explanation of the status (e.g. the last link error and the next retry). */
  statusDetail: string | null;
  lastSeenAt: string | null;
  canPresentTestCards: boolean;
  action: { paymentId: string | null; transactionId: string; stage: ReaderStage | null; status: string } | null;
}

export interface SettingsView {
  mode: Mode;
  apiBaseUrl: string;
  embeddedSandbox: boolean;
  /** Masked, e.g. "sk_test_…9f3a"; null when none is stored. */
  secretKey: string | null;
  publishableKey: string | null;
  /** Where secrets are kept: 'safe-storage' (Electron), 'file' (web mode, 0600), 'memory'. */
  secretStorage: 'safe-storage' | 'file' | 'memory';
  autoPresentDelayMs: number;
  /** Masked like the keys; null when none is stored. */
  webhookSecret: string | null;
  /** Where forwarded webhooks are received (127.0.0.1 only), or null when the receiver is off. */
  webhookUrl: string | null;
  webhookPort: number | null;
}

export interface ConnectivityView {
  gateway: 'online' | 'offline' | 'unknown';
  lastError: string | null;
  queued: { count: number; totals: { currency: string; amount: number }[] };
  /** Unfinished payments being checked with the gateway (at start and on reconnect); null when idle. */
  recovering: { done: number; total: number } | null;
}

export interface MerchantView {
  id: string;
  businessName: string;
  displayName: string | null;
  defaultCurrency: string;
  testMode: boolean;
}

export interface DevLogEntry {
  id: number;
  at: string;
  kind: 'request' | 'event' | 'link' | 'reader' | 'error';
  summary: string;
  /** Extra detail with secrets redacted. */
  detail?: string;
}

export interface Snapshot {
  seq: number;
  mode: Mode;
  merchant: MerchantView | null;
  settings: SettingsView;
  readers: ReaderView[];
  payments: PaymentView[];
  connectivity: ConnectivityView;
  attention: AttentionView[];
}

export interface TransactionView {
  id: string;
  reference: string;
  status: Exclude<PaymentStatus, 'creating' | 'in_progress' | 'unknown'>;
  amount: number;
  amountFormatted: string;
  amountRefunded: number;
  amountCaptured: number;
  amountCapturable: number;
  currency: string;
  paymentMethodType: string;
  captureMethod: 'automatic' | 'manual';
  description: string | null;
  receiptEmail: string | null;
  terminalId: string | null;
  card: { brand: string; last4: string } | null;
  failureCode: string | null;
  failureMessage: string | null;
  createdAt: string;
  capturedAt: string | null;
}

export interface RefundView {
  id: string;
  reference: string;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  createdAt: string;
}

export interface TimelineEntry {
  at: string;
  event: string;
  detail: string | null;
}

export interface TransactionDetail {
  transaction: TransactionView;
  refunds: RefundView[];
  /** From the journal when this host handled the payment; empty otherwise. */
  timeline: TimelineEntry[];
  /** The host's payment, when it has one. */
  payment: PaymentView | null;
}

export interface Page<T> {
  data: T[];
  meta: { currentPage: number; lastPage: number; perPage: number; total: number };
}

export interface CommandResults {
  'session.snapshot': Snapshot;
  'payments.create': PaymentView;
  'payments.process': PaymentView;
  'payments.cancel': PaymentView;
  'payments.capture': PaymentView;
  'payments.refund': PaymentView;
  'payments.list': PaymentView[];
  'transactions.list': Page<TransactionView>;
  'transactions.get': TransactionDetail;
  'readers.list': ReaderView[];
  'readers.pair': ReaderView;
  'readers.addSimulated': ReaderView;
  'readers.reconnect': ReaderView;
  'readers.forget': { forgotten: true };
  'simulate.presentCard': ReaderView;
  'simulate.setFault': ReaderView;
  'settings.get': SettingsView;
  'settings.update': SettingsView;
  'devlog.list': DevLogEntry[];
  'attention.list': AttentionView[];
  'attention.retry': PaymentView;
  'attention.resolve': PaymentView;
}

export type CommandResult<N extends CommandName> = CommandResults[N];

// ---------------------------------------------------------------------------------------------
// Errors and results

export type ErrorCode =
  | 'validation' // the input did not match the schema; `issues` says where
  | 'not_found'
  | 'conflict' // the payment or reader is not in a state that allows this
  | 'declined'
  | 'gateway' // the gateway refused; `gatewayType` carries the API's error type
  | 'offline' // the gateway is unreachable; money operations were queued when `queued`
  | 'test_mode_only'
  | 'unauthorized'
  | 'internal';

export interface CommandError {
  code: ErrorCode;
  message: string;
  issues?: { path: string; message: string }[];
  gatewayType?: string;
  queued?: boolean;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: CommandError };

// ---------------------------------------------------------------------------------------------
// Events (host → renderer). Every event carries the next sequence number; a renderer that sees a
// gap, or reconnects, asks for a fresh snapshot and drops events with seq <= snapshot.seq.

export type HostEvent =
  | { seq: number; type: 'payment'; payment: PaymentView }
  | { seq: number; type: 'readers'; readers: ReaderView[] }
  | { seq: number; type: 'connectivity'; connectivity: ConnectivityView }
  | { seq: number; type: 'attention'; attention: AttentionView[] }
  | { seq: number; type: 'settings'; settings: SettingsView; mode: Mode; merchant: MerchantView | null }
  | { seq: number; type: 'log'; entry: DevLogEntry };

export type HostEventType = HostEvent['type'];

/** What `window.pos` is, in Electron and in web mode alike. */
export interface PosBridge {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandResult<N>>>;
  /** Subscribes to host events; returns an unsubscribe function. */
  subscribe(listener: (event: HostEvent) => void): () => void;
  /** Bridge connection state (web mode reconnects; Electron is always 'open'). */
  onConnection(listener: (state: 'open' | 'closed') => void): () => void;
}

export const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];

/** Validates a command's input: the parsed value, or the issues in words. */
export function parseCommandInput<N extends CommandName>(
  name: N,
  input: unknown,
): { ok: true; value: ParsedCommandInput<N> } | { ok: false; error: CommandError } {
  const schema = commandSchemas[name] as unknown as z.ZodType<ParsedCommandInput<N>>;
  const parsed = schema.safeParse(input === undefined ? {} : input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(input)',
    message: issue.message,
  }));
  return {
    ok: false,
    error: { code: 'validation', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues },
  };
}

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commandSchemas, name);
}
