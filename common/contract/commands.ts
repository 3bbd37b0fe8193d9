/**
 * The contract's commands: every command the renderer may send, by name, with the zod schema its
 * input must match and (in ./views.ts) the type of its result. The host validates every input
 * with parseCommandInput before dispatching it. The renderer imports types only from this file.
 */
import { z } from 'zod';
import { isKnownCurrency, isPaymentCurrency } from '../currencies';
import { formatAmount, MAX_AMOUNT_MINOR } from '../money';
import { hasTipPrecision, MAX_TIP_PERCENT, MAX_TIP_PRESETS, repeatedPreset } from '../tips';
import { LONE_SURROGATE } from '../text';
import {
  MAX_SPLIT_MERCHANT_NAME,
  MAX_SPLIT_MERCHANTS,
  repeatedMerchant,
  SPLIT_MERCHANT_ID,
  SPLIT_MERCHANT_ID_RULE,
} from '../split-merchants';
import { canonicalTimeZone, checkTimeZone } from '../timezone';
import { GATEWAY_NAMES, MAX_SPLIT_SHARES, PAYMENT_METHOD_TYPES, TRANSACTION_STATUSES } from './views';
import type { CommandError } from './views';

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

/** A currency a payment is made in: not a fund code or index unit (CLF, USN, …), which no gateway settles. */
const PaymentCurrency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'currency must be a three-letter ISO 4217 code')
  .refine(isKnownCurrency, 'unknown currency')
  .refine(isPaymentCurrency, 'a fund code or index unit, not a currency payments are made in')
  .transform((code) => code.toUpperCase());

/**
 * A gateway's id for a payment: PlutoPay's are UUIDs, PayPlug's `pay_…`, Plural's order ids
 * `v1-…`. Only characters such ids use, so nothing else reaches a URL path.
 */
const TransactionId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, 'not a transaction id');

/** A payment handle: the host's own id (pay_…) or the gateway's id for it. */
const PaymentRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, 'not a payment id');

/** The host's reader id (rdr_…). */
const ReaderRef = z.string().regex(/^rdr_[A-Za-z0-9_-]{1,80}$/, 'not a reader id');

const ShortText = (max: number) => z.string().trim().max(max, `at most ${max} characters`);

const Email = z.email('not an email address').max(254);

/**
 * A charge's own name, made by the screen before it sends payments.create: a cancel can name the
 * charge before the host has reported its payment (payments.cancelCreate). Random, one per charge.
 */
const RequestId = z.string().regex(/^req_[A-Za-z0-9_-]{8,64}$/, 'not a request id');

const Empty = z.strictObject({});

/** The order a payment belongs to; the idempotency key derives from it. */
const OrderReference = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._:#/-]{1,64}$/, 'order reference: 1–64 letters, digits or . _ : # / -');

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(300);

/**
 * A gateway's base address: every request's path is added to it, so a ?query or #fragment would break them all,
 * and so would a version at its end: each client adds its own (`/v1/…`, Plural's `/api/pay/v1/…`), and a base
 * ending in `/v1` made every call `/v1/v1/…`, a 404. Refused rather than trimmed: the shop sees what is stored.
 * No user name or password either: they would be kept and shown in clear (Settings, the developer log, the
 * account a payment keeps), and fetch refuses such a URL, so every call failed as "unreachable".
 */
function gatewayBaseUrl(schema: z.ZodURL) {
  return schema
    .refine((url) => !/[?#]/.test(url), 'a gateway address has no ?query or #fragment')
    .refine(
      (url) => !URL.canParse(url) || (new URL(url).username === '' && new URL(url).password === ''),
      'a gateway address has no user name or password (…@): the key goes in its own field',
    )
    .refine(
      (url) => !/\/v\d+\/?$/i.test(url),
      'leave out the version at the end (/v1): the till adds it to every request',
    );
}

const Customer = z.strictObject({
  email: Email,
  firstName: ShortText(100).min(1, 'first name is required'),
  lastName: ShortText(100).min(1, 'last name is required'),
});

export const PaymentStatusFilter = z.enum(TRANSACTION_STATUSES);

/** A gateway's id for one share of a split payment (Plural's `split_settlement_id`). */
const SplitRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, 'not a split id');

/** The till's id for an installment plan. */
const PlanRef = z.string().regex(/^ipl_[A-Za-z0-9]{8,40}$/, 'not a plan id');

/** One merchant's share of a split payment (gateways with capabilities.splitSettlement). */
const SplitLine = z.strictObject({
  /** The split merchant's id with the gateway. */
  merchantId: z.string().trim().regex(SPLIT_MERCHANT_ID, SPLIT_MERCHANT_ID_RULE),
  /** The merchant's own reference for the settlement. */
  settlementReference: z
    .string()
    .trim()
    .regex(/^[\x20-\x7E]{1,50}$/, 'settlement reference: 1–50 printable characters')
    .optional(),
  amount: MinorAmount,
  /** Held: not settled to the merchant until the till releases it. */
  onHold: z.boolean().default(false),
});

/**
 * The merchants the till shares split payments with, as Settings keeps them: each id once (the same
 * rule as a share's), each with the shop's name for it (shown beside the id; never sent to a gateway).
 */
const SplitMerchants = z
  .array(
    z.strictObject({
      id: z.string().trim().regex(SPLIT_MERCHANT_ID, SPLIT_MERCHANT_ID_RULE),
      name: ShortText(MAX_SPLIT_MERCHANT_NAME)
        .min(1, 'name is required')
        // Shown on one line beside the id: no line breaks or other control characters.
        .regex(/^\P{Cc}*$/u, 'name: one line, no control characters'),
    }),
  )
  .max(MAX_SPLIT_MERCHANTS, `at most ${MAX_SPLIT_MERCHANTS} merchants`)
  .check((ctx) => {
    const repeat = repeatedMerchant(ctx.value);
    if (repeat >= 0)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: [repeat, 'id'],
        message: `merchant ${ctx.value[repeat]!.id} is there twice: each merchant once`,
      });
  });

/** A tip percentage: above 0, at most MAX_TIP_PERCENT, two decimals at most. */
const TipPercent = z
  .number()
  .positive('a tip percentage must be above 0')
  .max(MAX_TIP_PERCENT, `a tip percentage must be at most ${MAX_TIP_PERCENT}`)
  .refine(hasTipPrecision, 'a tip percentage has at most two decimals (0.01 % at the finest)');

/** What the customer or the cashier chose (common/tips.ts computes it on the amount before the tip). */
export const TipChoiceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('percent'), percent: TipPercent }),
  z.strictObject({
    kind: z.literal('custom'),
    amount: z
      .number()
      .int('a tip is a whole number of minor units')
      .min(0, 'a tip cannot be negative')
      .max(MAX_AMOUNT_MINOR),
  }),
]);

const ReceiptLine = ShortText(60);

const IsoDate = z.iso.date('date must be YYYY-MM-DD');

/**
 * A gateway key as typed in Settings: empty (clears the stored one), or one of `prefixes` then 8–200
 * letters and digits. Says which of these is wrong, never echoing the key itself.
 */
function keyShape(name: string, prefixes: readonly string[]) {
  return (key: string, context: z.RefinementCtx): void => {
    if (key === '') return;
    const prefix = prefixes.find((candidate) => key.startsWith(candidate));
    const rest = prefix ? key.slice(prefix.length) : '';
    const problem = !prefix
      ? `${name} must start with ${prefixes.join(' or ')}`
      : /[^A-Za-z0-9]/.test(rest)
        ? `${name} has a character a key does not have after ${prefix} (only letters and digits): check it was copied whole`
        : rest.length < 8
          ? `${name} is too short: ${prefix} then at least 8 letters or digits`
          : rest.length > 200
            ? `${name} is too long: at most 200 letters or digits after ${prefix}`
            : null;
    if (problem) context.addIssue({ code: 'custom', message: problem });
  };
}

const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      checkTimeZone(zone);
      return true;
    } catch {
      return false;
    }
  }, 'not a time zone (IANA, e.g. Europe/Paris)')
  // Kept as IANA spells it: reports and receipts print it, and zones are compared by name.
  .transform(canonicalTimeZone);

// ---------------------------------------------------------------------------------------------
// Commands

export const commandSchemas = {
  /** Everything the UI mirrors, with the sequence number events continue from. */
  'session.snapshot': Empty,

  'payments.create': z
    .strictObject({
      amount: MinorAmount,
      currency: PaymentCurrency,
      description: ShortText(500).optional(),
      /** The order this payment belongs to; the idempotency key derives from it. Generated when absent. */
      orderReference: OrderReference.optional(),
      captureMethod: z.enum(['automatic', 'manual']).default('automatic'),
      customerId: z.uuid('not a customer id').optional(),
      receiptEmail: Email.optional(),
      /** On a reader, or by link (a QR the customer pays on their phone); the gateway's natural one when absent. */
      channel: z.enum(['card_present', 'link']).optional(),
      /** Pay with a card the gateway keeps for this customer (one click). */
      savedCardId: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,100}$/, 'not a saved card id')
        .optional(),
      /** Offer the customer to save their card (pay by link, with their agreement on the gateway's page). */
      saveCard: z.boolean().optional(),
      /** Who pays (pay by link, saved cards): some gateways require it. */
      customer: Customer.optional(),
      /**
       * Split settlement: the merchants' shares, adding up to the amount exactly (gateways with
       * capabilities.splitSettlement; each share at least the gateway's minimum amount).
       */
      splits: z
        .array(SplitLine)
        .min(1, 'at least one share')
        .max(MAX_SPLIT_SHARES, `at most ${MAX_SPLIT_SHARES} shares`)
        .optional(),
      /** The tip the cashier typed (tipping on): added to the amount before anything is sent. */
      tip: TipChoiceSchema.optional(),
      /**
       * Let the customer choose the tip on the customer display (tipping on): the payment waits,
       * journaled, and nothing is sent to the gateway or a reader until the tip is chosen.
       */
      askTip: z.boolean().optional(),
      /**
       * The reader the payment is for: the host sends the payment to it as soon as it is created
       * (one command instead of create then process; with askTip, as soon as the tip is chosen).
       * Needed for a reader that charges through the shop's own bank (the payment then never goes
       * to the gateway).
       */
      readerId: ReaderRef.optional(),
      /** The screen's name for this charge, so Esc can cancel it before its payment is reported. */
      requestId: RequestId.optional(),
    })
    .superRefine((input, ctx) => {
      if (!input.splits) return;
      const total = input.splits.reduce((sum, split) => sum + split.amount, 0);
      const money = (minor: number) =>
        isKnownCurrency(input.currency) ? formatAmount(minor, input.currency) : `${minor} (minor units)`;
      if (total !== input.amount)
        ctx.addIssue({
          code: 'custom',
          path: ['splits'],
          message: `the shares add up to ${money(total)}, not the amount ${money(input.amount)}`,
        });
    }),
  /** The cashier types the tip of a payment that waits for one (no customer display, or told aloud). */
  'payments.setTip': z.strictObject({ paymentId: PaymentRef, tip: TipChoiceSchema }),
  /** Push a payment to a reader (also "try another card" after a decline). */
  'payments.process': z.strictObject({ paymentId: PaymentRef, readerId: ReaderRef }),
  /** Cashier cancel: stops the reader if the card is not yet authorised, then cancels the payment. */
  'payments.cancel': z.strictObject({ paymentId: PaymentRef }),
  /**
   * Cashier cancel of a charge whose payment the screen has not heard of yet (Esc right after
   * Enter): by the create's requestId and order reference. Held if the create has not reached the
   * host: its payment is then journaled canceled and never sent. Null: held, nothing to show yet.
   */
  'payments.cancelCreate': z.strictObject({ requestId: RequestId, orderReference: OrderReference }),
  'payments.capture': z.strictObject({ paymentId: PaymentRef, amount: MinorAmount.optional() }),
  'payments.refund': z.strictObject({
    paymentId: PaymentRef,
    amount: MinorAmount.optional(),
    reason: ShortText(200).optional(),
    /** A split payment: which shares the refund comes from (else the gateway's own order, see docs). */
    splits: z
      .array(z.strictObject({ splitId: SplitRef, amount: MinorAmount }))
      .min(1, 'at least one share')
      .max(MAX_SPLIT_SHARES, `at most ${MAX_SPLIT_SHARES} shares`)
      .optional(),
  }),
  /** Payments the host knows, newest first (the journal, not the gateway). */
  'payments.list': z.strictObject({
    filter: z.enum(['active', 'uncaptured', 'attention', 'all']).default('all'),
    limit: z.number().int().min(1).max(200).default(50),
  }),

  /**
   * The open payments (being created, pending, on a reader, outcome unknown), newest first, a page
   * at a time, with how many there are and what they hold in all (the Process screen's list: the
   * start-up snapshot carries only the newest of the pending ones).
   */
  'payments.open': z.strictObject({
    offset: z.number().int().min(0).max(1_000_000).default(0),
    limit: z.number().int().min(1).max(200).default(100),
  }),

  /**
   * The authorisations waiting for a capture, oldest first (nearest to lapsing), a page at a time,
   * with how many there are and what they hold in all (the Capture screen).
   */
  'payments.uncaptured': z.strictObject({
    offset: z.number().int().min(0).max(1_000_000).default(0),
    limit: z.number().int().min(1).max(200).default(100),
  }),

  /** The gateway's transaction list, with the API's filters and pagination. */
  'transactions.list': z
    .strictObject({
      search: ShortText(100).optional(),
      status: PaymentStatusFilter.optional(),
      paymentMethodType: z.enum(PAYMENT_METHOD_TYPES).optional(),
      dateFrom: z.iso.date('date must be YYYY-MM-DD').optional(),
      dateTo: z.iso.date('date must be YYYY-MM-DD').optional(),
      sortField: z.enum(['created_at', 'amount', 'status']).default('created_at'),
      sortOrder: z.enum(['asc', 'desc']).default('desc'),
      page: z.number().int().min(1).max(100_000).default(1),
      size: z.number().int().min(1).max(100).default(25),
      /** 'terminal': payments terminals charged through the shop's own bank (from the journal). */
      source: z.enum(['gateway', 'terminal']).default('gateway'),
    })
    // A range that ends before it starts is refused, not answered "0 transactions" as if searched.
    .refine((input) => !input.dateFrom || !input.dateTo || input.dateFrom <= input.dateTo, {
      path: ['dateFrom'],
      message: 'the "From" date is after the "To" date',
    }),
  /** One transaction with its refunds and the journal's timeline. */
  'transactions.get': z.strictObject({ transactionId: TransactionId }),

  'readers.list': Empty,
  /**
   * Looks for readers now (the Readers screen's Refresh): devices listed and unclaimed ports probed
   * again at once, the gateway's readers read again; answers the list as it is then.
   */
  'readers.scan': Empty,
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
  /** Rename a hosted reader, or say it charges through the shop's own bank (standalone: no gateway). */
  'readers.configure': z.strictObject({
    readerId: ReaderRef,
    standalone: z.boolean().optional(),
    label: ShortText(60).min(1).optional(),
  }),

  /** Test mode: present a test card on a reader that is waiting for one. */
  'simulate.presentCard': z.strictObject({
    readerId: ReaderRef,
    cardNumber: z
      .string()
      .transform((s) => s.replace(/[\s-]/g, ''))
      .pipe(z.string().regex(/^\d{12,19}$/, 'card number: 12 to 19 digits'))
      .optional(),
  }),
  /** Test mode: pay (or fail) a payment link with a test card, as the customer would on their phone. */
  'simulate.payLink': z.strictObject({
    paymentId: PaymentRef,
    cardNumber: z
      .string()
      .transform((s) => s.replace(/[\s-]/g, ''))
      .pipe(z.string().regex(/^\d{12,19}$/, 'card number: 12 to 19 digits')),
    /** The customer ticks "save my card" on the page (gateways that keep cards). */
    saveCard: z.boolean().optional(),
  }),
  /** A customer's cards the gateway keeps (they agreed when paying), by the customer's email. */
  'savedCards.list': z.strictObject({ customer: Email }),
  /** The till drops a saved card from its records (the gateway keeps no delete for it). */
  'savedCards.forget': z.strictObject({ cardId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'not a card id') }),
  /** A payment in installments (as many as the gateway allows): the first today by link, the rest on schedule. */
  'installments.create': z.strictObject({
    amount: MinorAmount,
    currency: PaymentCurrency,
    count: z.number().int().min(2, 'at least 2 installments').max(12, 'at most 12 installments'),
    customer: Customer,
    orderReference: OrderReference.optional(),
    /**
     * The sender's name for this plan: sent twice without an order reference (a program resending
     * after a dropped bridge), it is one plan, as payments.create's.
     */
    requestId: RequestId.optional(),
    // No description: PayPlug's plans have no field for one, and one accepted would be dropped.
  }),
  'installments.list': Empty,
  /** One plan read again from its gateway (opened from the list), its parts charged since taken in. */
  'installments.get': z.strictObject({ planId: PlanRef }),
  'installments.abort': z.strictObject({ planId: PlanRef }),
  /**
   * Split payments the till made, those with a held share first (`held`: only those), a page at a
   * time, with how many there are and what the held shares hold in all (the Settlements screen).
   */
  'settlements.list': z.strictObject({
    held: z.boolean().default(false),
    offset: z.number().int().min(0).max(1_000_000).default(0),
    limit: z.number().int().min(1).max(200).default(100),
  }),
  /**
   * Releases a held share to its merchant: all of it, or `amount` of it (the gateway then refunds
   * the rest to the customer, in the same journaled step).
   */
  'settlements.release': z.strictObject({ paymentId: PaymentRef, splitId: SplitRef, amount: MinorAmount.optional() }),
  /** Cancels a held share's settlement: its money goes back to the customer. */
  'settlements.cancel': z.strictObject({ paymentId: PaymentRef, splitId: SplitRef }),
  /** A note kept with the payment at the gateway (its metadata), shown in the details. */
  'payments.annotate': z.strictObject({ paymentId: PaymentRef, note: ShortText(200) }),
  /** Test mode: make a simulated reader fail its next payment in a chosen way. */
  'simulate.setFault': z.strictObject({
    readerId: ReaderRef,
    fault: z.enum(['none', 'timeout', 'no_answer', 'busy', 'disconnect_mid_payment']),
  }),

  /** A payment's receipt as text (at the printer's width unless given) or HTML, to show or print from the screen. */
  'receipts.render': z.strictObject({
    paymentId: PaymentRef,
    copy: z.enum(['customer', 'merchant']).default('customer'),
    format: z.enum(['text', 'html']).default('text'),
    width: z.union([z.literal(32), z.literal(42), z.literal(48)]).optional(),
  }),
  /** Prints a payment's receipt on the receipt printer (a reprint is marked DUPLICATE). Never fails the payment. */
  'receipts.print': z.strictObject({
    paymentId: PaymentRef,
    copies: z.enum(['customer', 'merchant', 'both']).default('customer'),
  }),
  /** An email receipt: sent by the gateway where it does that, else recorded as requested. */
  'receipts.email': z.strictObject({ paymentId: PaymentRef, email: Email }),
  /** Every receipt printed, failed or asked for by email, for one payment. */
  'receipts.list': z.strictObject({ paymentId: PaymentRef }),

  /** The X report: a business day's figures so far (today's by default), changing nothing. */
  'reports.x': z.strictObject({ date: IsoDate.optional() }),
  /**
   * The Z report: closes a business day (today's by default). Refused while payments need
   * attention unless `override` says who decided and why; numbered, kept for ever.
   */
  'reports.close': z.strictObject({
    date: IsoDate.optional(),
    closedBy: ShortText(60).min(1, 'say who closes the day'),
    override: z
      .strictObject({
        by: ShortText(60).min(1, 'who decides'),
        reason: ShortText(200).min(1, 'why the day is closed anyway'),
      })
      .optional(),
  }),
  /** The closed days (Z reports), newest first. */
  'reports.list': z.strictObject({ limit: z.number().int().min(1).max(366).default(30) }),
  'reports.get': z.strictObject({ number: z.number().int().min(1) }),
  /** Journal against the gateway's list for the business day, and against terminal totals typed from their tickets. */
  'reports.reconcile': z.strictObject({
    date: IsoDate.optional(),
    terminal: z
      .array(
        z.strictObject({
          readerId: ReaderRef.optional(),
          currency: Currency,
          count: z.number().int().min(0).max(100_000),
          amount: z
            .number()
            .int()
            .min(0)
            .max(MAX_AMOUNT_MINOR * 1000),
        }),
      )
      .max(20)
      .default([]),
  }),
  /** The business day's payments as CSV (RFC 4180): an X's by date, or a stored Z's by number. */
  'reports.csv': z.strictObject({ date: IsoDate.optional(), number: z.number().int().min(1).optional() }),
  /** Prints the X (by date) or a stored Z (by number) on the receipt printer. */
  'reports.print': z.strictObject({ date: IsoDate.optional(), number: z.number().int().min(1).optional() }),

  /** The customer display's screen now (the display's first call, and after a reconnect). */
  'display.snapshot': Empty,
  /** The customer picked a tip on the display, for the payment it shows. */
  'customer.chooseTip': z.strictObject({ paymentId: PaymentRef, tip: TipChoiceSchema }),
  /**
   * The cashier takes a payment off the customer display (a link nobody can withdraw, left unpaid):
   * the welcome shows again. Only while the display shows that payment; never on the display's bridge.
   */
  'display.takeDown': z.strictObject({ paymentId: PaymentRef }),

  'settings.get': Empty,
  /**
   * Web mode: a new key in the customer display's address. The old address stops working at once
   * (a display open on it is told and locked); the new one is in the settings this returns.
   */
  'settings.newDisplayAddress': Empty,
  'settings.update': z.strictObject({
    mode: z.enum(['test', 'live']).optional(),
    apiBaseUrl: gatewayBaseUrl(
      z.url({ protocol: /^https?$/, error: 'API URL must be an http(s) URL' }).max(300),
    ).optional(),
    /** Write-only. Empty string clears the stored key. */
    secretKey: z
      .string()
      .trim()
      .superRefine(keyShape('secret key', ['sk_test_', 'sk_live_']))
      .optional(),
    publishableKey: z
      .string()
      .trim()
      .superRefine(keyShape('publishable key', ['pk_test_', 'pk_live_']))
      .optional(),
    embeddedSandbox: z.boolean().optional(),
    /** Simulated readers present the default test card by themselves after this delay; 0 = never. */
    autoPresentDelayMs: z.number().int().min(0).max(600_000).optional(),
    /** Write-only signing secret of the webhook endpoint whose events are forwarded here. Empty clears it. */
    webhookSecret: z
      .string()
      .trim()
      .superRefine(keyShape('webhook secret', ['whsec_']))
      .optional(),
    /** Loopback port for forwarded webhooks; 0 picks a free one, null turns the receiver off. */
    webhookPort: z.number().int().min(0).max(65535).nullable().optional(),
    /** The gateway this till takes payments with (its credentials are kept when switching away). */
    gateway: z.enum(GATEWAY_NAMES).optional(),
    payplugApiBaseUrl: gatewayBaseUrl(HttpUrl).optional(),
    /** Write-only. Empty string clears it. */
    payplugSecretKey: z
      .string()
      .trim()
      .superRefine(keyShape('PayPlug secret key', ['sk_test_', 'sk_live_']))
      .optional(),
    /** A public URL PayPlug may notify; empty: none (the till polls). */
    payplugNotificationUrl: z.union([z.literal(''), HttpUrl]).optional(),
    pluralApiBaseUrl: gatewayBaseUrl(HttpUrl).optional(),
    pluralClientId: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,200}$/, 'client id: letters, digits, . _ -')
      .optional(),
    /** Write-only. Empty string clears it. */
    pluralClientSecret: z
      .string()
      .trim()
      .max(500)
      // Shorter than 8, it could not be masked wherever it appears without masking ordinary words.
      .refine(
        (secret) => secret === '' || secret.length >= 8,
        'client secret: at least 8 characters, as Plural gives it',
      )
      .optional(),
    /** Write-only, hex (the return-URL signature key). Empty string clears it. */
    pluralSignatureKey: z
      .string()
      .trim()
      .regex(/^([0-9a-fA-F]{2}){8,256}$|^$/, 'signature key: hex, as Plural gives it')
      .optional(),
    /** The shop's name on receipts; empty: the gateway account's name. */
    shopName: ShortText(60).optional(),
    shopAddress: z.array(ReceiptLine).max(4, 'at most 4 address lines').optional(),
    receiptFooter: z.array(ReceiptLine).max(4, 'at most 4 footer lines').optional(),
    /** IANA zone of the shop: the business day and receipts' local times. */
    timeZone: TimeZone.optional(),
    tipping: z.boolean().optional(),
    tipPresets: z
      .array(TipPercent)
      .min(1, 'at least one preset')
      .max(MAX_TIP_PRESETS, `at most ${MAX_TIP_PRESETS} presets`)
      .check((ctx) => {
        const repeat = repeatedPreset(ctx.value);
        if (repeat >= 0)
          ctx.issues.push({
            code: 'custom',
            input: ctx.value,
            path: [repeat],
            message: `${ctx.value[repeat]} % is there twice: each preset once`,
          });
      })
      .optional(),
    /** Serial port of the receipt printer; empty or null: none. */
    receiptPrinterPort: z.string().trim().max(300).nullable().optional(),
    receiptWidth: z.union([z.literal(32), z.literal(42), z.literal(48)]).optional(),
    printReceipts: z.enum(['off', 'customer', 'both']).optional(),
    drawerKick: z.boolean().optional(),
    /** The merchants split payments are shared with (the whole list: it replaces the one kept). */
    splitMerchants: SplitMerchants.optional(),
  }),

  /** The developer log (requests and events, secrets redacted), newest last. */
  'devlog.list': z.strictObject({ limit: z.number().int().min(1).max(1000).default(200) }),

  /** Payments the host could not resolve by itself, with what is known. */
  'attention.list': Empty,
  /** The disputes the till knows; `refresh`: read the gateway's list first (the Transactions screen). */
  'disputes.list': z.strictObject({ refresh: z.boolean().optional() }),
  /** Ask the host to try reconciling one payment again now. */
  'attention.retry': z.strictObject({ paymentId: PaymentRef }),
  /**
   * The cashier settles what the app cannot know: after checking the reader's receipt, the card
   * was charged or not (reported to the gateway for the reader's open action); after checking a
   * terminal's ticket, a refund on it credited the card or not; after checking the gateway's
   * dashboard for a create it never confirmed, it was made (`created`, with its `gatewayPaymentId`)
   * or not (`not_created`, with a `reason`), each said `by` the cashier; or, for an item that only
   * needed reading (e.g. an approval the gateway refused), dismiss it.
   */
  'attention.resolve': z.strictObject({
    paymentId: PaymentRef,
    resolution: z.enum(['charged', 'not_charged', 'credited', 'not_credited', 'created', 'not_created', 'dismiss']),
    /**
     * `created`, and `charged` on a payment of another account (AttentionView.settleElsewhere): the
     * gateway's id of the payment, as its dashboard shows it.
     */
    gatewayPaymentId: PaymentRef.optional(),
    /** `created` / `not_created`, and `charged` / `not_charged` of another account: who says so. */
    by: z.string().trim().max(64).optional(),
    /** `not_created`, and `not_charged` of another account: why the cashier says so (what the dashboard showed). */
    reason: z.string().trim().max(300).optional(),
    /**
     * `charged` of another account, on a payment captured later (manual capture; required there):
     * whether that account's dashboard shows it captured (true) or only authorised, not captured (false).
     */
    captured: z.boolean().optional(),
  }),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandInput<N extends CommandName> = z.input<(typeof commandSchemas)[N]>;
export type ParsedCommandInput<N extends CommandName> = z.output<(typeof commandSchemas)[N]>;

export const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];

/** How deep the walk for broken text goes: deeper input is no command's, and the schema refuses it. */
const TEXT_WALK_DEPTH = 16;

/**
 * The path of the first string (or key) in `value` that is not text (a lone surrogate), or null.
 * Refused before anything is journaled: gateways refuse such text, which left a failed payment
 * behind a description that could have been refused at once.
 */
function brokenText(value: unknown, path: readonly (string | number)[] = []): (string | number)[] | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? [...path] : null;
  if (value === null || typeof value !== 'object' || path.length >= TEXT_WALK_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = brokenText(value[index], [...path, index]);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return [...path, key];
    const found = brokenText(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

/** Validates a command's input: the parsed value, or the issues in words. */
export function parseCommandInput<N extends CommandName>(
  name: N,
  input: unknown,
): { ok: true; value: ParsedCommandInput<N> } | { ok: false; error: CommandError } {
  const broken = brokenText(input);
  if (broken) {
    const issue = {
      path: broken.map(String).join('.') || '(input)',
      message: 'holds a broken character (half of a UTF-16 surrogate pair): type or paste the text again',
    };
    return { ok: false, error: { code: 'validation', message: `${issue.path}: ${issue.message}`, issues: [issue] } };
  }
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
