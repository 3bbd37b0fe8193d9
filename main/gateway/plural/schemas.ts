/**
 * The Plural objects the host reads, validated on arrival (extra fields allowed, so a field Plural
 * adds never breaks the till): a malformed answer becomes a GatewayUnreachable with a clear message
 * in http.ts, never a crash deep in the host.
 *
 * Amounts are `{value, currency}` in paise. The reference's own refund sample writes values as
 * strings ("21000"), so a value may arrive as an integer or as a string of digits; anything else —
 * "12.5", "", "1e3", " 1", a negative or fractional number — is a malformed answer. Money is never
 * rounded or guessed here.
 */
import { z } from 'zod';
import { GatewayCurrency } from '../currency';
import type { ErrorBody } from '../http';

/** Paise: a non-negative safe integer, or a string of 1–15 digits read as one. */
export const Paise = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number of paise')
    .transform(Number),
]);

export const AmountSchema = z.looseObject({
  value: Paise,
  currency: GatewayCurrency,
});
export type WireAmount = z.infer<typeof AmountSchema>;

/**
 * Milliseconds of an ISO 8601 timestamp, NaN when it is not one. Plural's timestamps are UTC
 * (microseconds at times); one written without a zone is read as UTC too, never in the till's own
 * zone, where it would be hours off (an order's date, a token's expiry).
 */
export function utcMillis(text: string): number {
  const zoneless = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
  return Date.parse(zoneless ? `${text}Z` : text);
}

/** An ISO 8601 timestamp (see utcMillis). */
const Timestamp = z.string().refine((text) => !Number.isNaN(utcMillis(text)), 'must be an ISO 8601 timestamp');

/** Merchant ids are strings in the tables, numbers in a sample: either, read as a string. */
const MerchantId = z.union([z.string().min(1), z.number().int().nonnegative().transform(String)]);

/** Every order status Plural (and the emulator) documents; another one is a malformed answer. */
export const ORDER_STATUSES = [
  'CREATED',
  'PENDING',
  'ATTEMPTED',
  'AUTHORIZED',
  'PROCESSED',
  'PARTIALLY_CAPTURED',
  'PARTIALLY_REFUNDED',
  'FULLY_REFUNDED',
  'REFUNDED',
  'CANCELLED',
  'FAILED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * A split of a charge (`split_settlement_id`, `status` HOLD / RELEASED / CANCELLED) or a refund
 * order's line against one (`parent_order_split_settlement_id`, `status` DO_NOT_RECOVER or absent).
 */
export const SplitDetailSchema = z.looseObject({
  split_merchant_id: MerchantId,
  split_settlement_id: z.string().min(1),
  parent_order_split_settlement_id: z.string().min(1).optional(),
  merchant_settlement_reference: z.string().nullable().optional(),
  amount: AmountSchema,
  on_hold: z.boolean().optional(),
  status: z.string().nullable().optional(),
  release_amount: AmountSchema.nullable().optional(),
  updated_at: Timestamp.optional(),
});
export type WireSplitDetail = z.infer<typeof SplitDetailSchema>;

export const PaymentSchema = z.looseObject({
  id: z.string().min(1),
  merchant_payment_reference: z.string().nullable().optional(),
  status: z.string().min(1),
  payment_amount: AmountSchema,
  payment_method: z.string().optional(),
  payment_option: z
    .looseObject({
      card_data: z
        .looseObject({
          network_name: z.string().nullable().optional(),
          last4_digit: z.string().nullable().optional(),
          card_type: z.string().nullable().optional(),
        })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  capture_data: z
    .array(
      z.looseObject({
        merchant_capture_reference: z.string().nullable().optional(),
        capture_amount: AmountSchema,
        created_at: Timestamp.optional(),
      }),
    )
    .nullable()
    .optional(),
  error_detail: z
    .looseObject({ code: z.string().nullable().optional(), message: z.string().nullable().optional() })
    .nullable()
    .optional(),
  created_at: Timestamp,
  updated_at: Timestamp.optional(),
});
export type WirePayment = z.infer<typeof PaymentSchema>;

export const OrderSchema = z.looseObject({
  order_id: z.string().min(1),
  parent_order_id: z.string().nullable().optional(),
  merchant_order_reference: z.string().min(1),
  type: z.enum(['CHARGE', 'REFUND']),
  // An undocumented status makes the answer unreadable, said with the status itself, so the cashier
  // is told what Plural answered: the till never guesses whether money moved.
  status: z.enum(ORDER_STATUSES, {
    error: (issue) => `${JSON.stringify(issue.input)} is not an order status the till knows`,
  }),
  merchant_id: z.union([z.string(), z.number().transform(String)]).optional(),
  order_amount: AmountSchema,
  pre_auth: z.boolean().nullable().optional(),
  notes: z.string().nullable().optional(),
  callback_url: z.string().nullable().optional(),
  /** The checkout page (the emulator's, and Plural's hosted checkout's, name for it). */
  redirect_url: z.string().nullable().optional(),
  challenge_url: z.string().nullable().optional(),
  purchase_details: z
    .looseObject({
      customer: z
        .looseObject({
          email_id: z.string().nullable().optional(),
          first_name: z.string().nullable().optional(),
          last_name: z.string().nullable().optional(),
        })
        .nullable()
        .optional(),
      merchant_metadata: z.record(z.string(), z.unknown()).nullable().optional(),
      split_info: z
        .looseObject({
          split_type: z.string(),
          split_details: z.array(SplitDetailSchema),
        })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  payments: z.array(PaymentSchema).nullable().optional(),
  created_at: Timestamp,
  updated_at: Timestamp.optional(),
  payment_retries_remaining: z.number().int().nullable().optional(),
});
export type WireOrder = z.infer<typeof OrderSchema>;
/** An order as a test writes it (before the schema's transforms). */
export type WireOrderInput = z.input<typeof OrderSchema>;

/** Every success answers `{"data": …}`. */
export const OrderEnvelopeSchema = z.looseObject({ data: OrderSchema });

/** The sandbox's pay call also says where the customer's browser would go. */
export const SandboxPayEnvelopeSchema = z.looseObject({
  data: OrderSchema,
  return: z
    .looseObject({ url: z.string(), params: z.record(z.string(), z.string()) })
    .nullable()
    .optional(),
});

/**
 * The token answer: `expires_in` (seconds, the reference's sample) or `expires_at` (a timestamp, its
 * field table and the emulator); one of them must be there. Messages never quote values, so a
 * malformed answer cannot put the token into an error message.
 */
export const TokenSchema = z
  .looseObject({
    access_token: z.string().min(1).max(8192),
    expires_in: z
      .union([
        z.number().positive(),
        z
          .string()
          .regex(/^\d{1,9}$/, 'must be a number of seconds')
          .transform(Number),
      ])
      .optional(),
    expires_at: Timestamp.optional(),
  })
  .refine((token) => token.expires_in !== undefined || token.expires_at !== undefined, {
    message: 'needs expires_in or expires_at',
    path: ['expires_at'],
  });
export type WireToken = z.infer<typeof TokenSchema>;

// ---------------------------------------------------------------------------------------------
// Errors

export const ErrorSchema = z.looseObject({
  code: z.string().min(1),
  message: z.string().optional(),
  param: z.string().nullable().optional(),
});

/**
 * Plural's `{"code", "message", "param"?}` → GatewayError's terms: the code is both the type and the
 * code (INVALID_REQUEST, UNAUTHORIZED, NOT_FOUND, DUPLICATE_REQUEST, INVALID_ORDER_STATE,
 * INVALID_SPLIT_STATE, AMOUNT_EXCEEDED, …). Null when the body is not Plural's.
 */
export function parsePluralError(json: unknown, _status: number): ErrorBody | null {
  const parsed = ErrorSchema.safeParse(json);
  if (!parsed.success) return null;
  const { code, message, param } = parsed.data;
  return {
    type: code,
    message: message && message.trim() !== '' ? message : `Plural refused the request (${code}).`,
    param: param ?? null,
    code,
  };
}
