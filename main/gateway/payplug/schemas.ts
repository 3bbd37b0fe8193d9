/**
 * The PayPlug objects the host reads, validated on arrival (extra fields allowed): a malformed
 * answer becomes a GatewayUnreachable with a clear message in http.ts, never a crash deep in the
 * host. Amounts and timestamps must be integers: a fractional amount of cents is not PayPlug's,
 * and money must never be rounded here.
 */
import { z } from 'zod';
import { GatewayCurrency } from '../currency';
import type { ErrorBody } from '../http';

/** Unix seconds, as PayPlug sends every timestamp. */
const UnixSeconds = z.number().int().nonnegative();
const Cents = z.number().int().nonnegative();
const Metadata = z.record(z.string(), z.unknown()).nullable().default(null);

const CardSchema = z.looseObject({
  last4: z.string().nullable().default(null),
  brand: z.string().nullable().default(null),
  /** A saved card's id (card_…), for a payment that saved one or was paid with one. */
  id: z.string().nullable().default(null),
  country: z.string().nullable().optional(),
  exp_month: z.number().int().nullable().optional(),
  exp_year: z.number().int().nullable().optional(),
});

const CustomerSchema = z.looseObject({
  email: z.string().nullable().default(null),
  first_name: z.string().nullable().default(null),
  last_name: z.string().nullable().default(null),
});

const FailureSchema = z.looseObject({
  code: z.string().min(1),
  message: z.string().nullable().default(null),
});

export const PaymentSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal('payment'),
  is_live: z.boolean(),
  amount: Cents.positive(),
  amount_refunded: Cents,
  /** Set from creation for a deferred payment (authorized_amount); null for an immediate one. */
  authorization: z
    .looseObject({
      authorized_amount: Cents,
      authorized_at: UnixSeconds.nullable().default(null),
      expires_at: UnixSeconds.nullable().default(null),
    })
    .nullable()
    .default(null),
  currency: GatewayCurrency,
  created_at: UnixSeconds,
  installment_plan_id: z.string().nullable().default(null),
  is_paid: z.boolean(),
  paid_at: UnixSeconds.nullable().default(null),
  is_refunded: z.boolean(),
  save_card: z.boolean().optional(),
  allow_save_card: z.boolean().optional(),
  card: CardSchema.nullable().default(null),
  customer: CustomerSchema.nullable().default(null),
  hosted_payment: z
    .looseObject({
      payment_url: z.string().nullable().default(null),
      return_url: z.string().nullable().default(null),
      cancel_url: z.string().nullable().default(null),
      sent_by: z.string().nullable().default(null),
    })
    .nullable()
    .default(null),
  notification: z
    .looseObject({ url: z.string().nullable().default(null), response_code: z.number().int().nullable().default(null) })
    .nullable()
    .default(null),
  failure: FailureSchema.nullable().default(null),
  description: z.string().nullable().default(null),
  metadata: Metadata,
});
export type WirePayment = z.infer<typeof PaymentSchema>;
/** What the mapping reads: a payment as the schema outputs it, or as a test writes one. */
export type WirePaymentInput = z.input<typeof PaymentSchema>;

export const RefundSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal('refund'),
  payment_id: z.string().min(1),
  is_live: z.boolean(),
  amount: Cents.positive(),
  currency: GatewayCurrency,
  created_at: UnixSeconds,
  metadata: Metadata,
});
export type WireRefund = z.infer<typeof RefundSchema>;

const ScheduleEntrySchema = z.looseObject({
  date: z.string().min(1),
  amount: Cents.positive(),
  payment_ids: z.array(z.string().min(1)).default([]),
});

export const InstallmentPlanSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal('installment_plan'),
  is_live: z.boolean(),
  is_active: z.boolean(),
  is_fully_paid: z.boolean().default(false),
  currency: GatewayCurrency,
  created_at: UnixSeconds,
  customer: CustomerSchema.nullable().default(null),
  hosted_payment: z
    .looseObject({ payment_url: z.string().nullable().default(null) })
    .nullable()
    .default(null),
  schedule: z.array(ScheduleEntrySchema).min(1),
  failure: FailureSchema.nullable().default(null),
  metadata: Metadata,
});
export type WireInstallmentPlan = z.infer<typeof InstallmentPlanSchema>;

/** PayPlug's list envelope (payments and refunds alike): `page` counts from 0. */
export function listSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    object: z.literal('list'),
    page: z.number().int().nonnegative(),
    per_page: z.number().int().positive(),
    has_more: z.boolean(),
    data: z.array(item),
  });
}
export const PaymentListSchema = listSchema(PaymentSchema);
export const RefundListSchema = listSchema(RefundSchema);

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * `details` nests like the request in PayPlug's example ({"customer": {"first_name": "…"}}), but its
 * field table calls it a string: both are read, and a list of sentences in place of one. Anything
 * else in it (a number, null) is passed over rather than making a refusal unreadable.
 */
type Details = { [field: string]: string | string[] | Details | null | number | boolean };
const DetailsSchema: z.ZodType<Details> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), z.array(z.string()), DetailsSchema, z.null(), z.number(), z.boolean()])),
);

export const ErrorSchema = z.looseObject({
  object: z.literal('error'),
  message: z.string().nullable().optional(),
  /** PayPlug's error id (what its support asks for). */
  id: z.union([z.string(), z.number()]).nullable().optional(),
  details: z.union([z.string(), DetailsSchema]).nullable().optional(),
});

/** The refusal's kind, from the HTTP status (PayPlug's errors carry no type of their own). */
export function errorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'authentication_error';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request';
  }
}

/** Every leaf of `details`, in order, as a dotted path (`customer.first_name`, `schedule.1.amount`). */
export function detailLeaves(details: Details, prefix = ''): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  for (const [key, value] of Object.entries(details)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.push({ path, message: value });
    else if (Array.isArray(value)) out.push(...value.map((message) => ({ path, message })));
    else if (value !== null && typeof value === 'object') out.push(...detailLeaves(value, path));
  }
  return out;
}

const GENERIC_MESSAGE = /see details/i;

/**
 * PayPlug's `{"object": "error", "message", "id", "details"?}` → GatewayError's terms. The first
 * field of `details` becomes `param`; when the message only says "see details", the details' own
 * sentences become the message (each says what is wrong). PayPlug's errors have no code: null.
 */
export function parsePayPlugError(json: unknown, status: number): ErrorBody | null {
  const parsed = ErrorSchema.safeParse(json);
  if (!parsed.success) return null;
  const { details } = parsed.data;
  const message = parsed.data.message?.trim() || `PayPlug refused the request (HTTP ${status}).`;
  const leaves =
    typeof details === 'string' ? [{ path: null, message: details }] : details ? detailLeaves(details) : [];
  const sentences = [...new Set(leaves.map((leaf) => leaf.message.trim()).filter((text) => text !== ''))];
  return {
    type: errorType(status),
    message: GENERIC_MESSAGE.test(message) && sentences.length > 0 ? sentences.join(' ') : message,
    param: leaves[0]?.path ?? null,
    code: null,
  };
}
