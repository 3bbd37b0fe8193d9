/**
 * The PlutoPay objects the host reads, validated on arrival: a malformed answer from a server is
 * an error with a clear message, never a crash deep in the host. Extra fields are allowed.
 */
import { z } from 'zod';
import { GatewayCurrency } from '../currency';
import type { ErrorBody } from '../http';

const Timestamp = z.string().min(1);
/**
 * Minor units, as PlutoPay writes every amount: a whole number, never negative (a negative amount
 * refunded would let a refund of "what is left" ask for more than was captured). Money is never
 * rounded or guessed here: anything else makes the answer unreadable.
 */
const Minor = z.number().int().nonnegative();
const Card = z.looseObject({ brand: z.string(), last4: z.string() });

export const TransactionSchema = z.looseObject({
  id: z.string().min(1),
  reference: z.string(),
  // A status PlutoPay's reference does not list makes the answer unreadable, said with the status
  // itself, so the cashier is told what PlutoPay answered: the till never guesses whether money moved.
  status: z.enum(['pending', 'succeeded', 'failed', 'canceled', 'refunded', 'partially_refunded', 'requires_capture'], {
    error: (issue) => `${JSON.stringify(issue.input)} is not a payment status the till knows`,
  }),
  amount: Minor.positive(),
  amount_formatted: z.string().optional(),
  amount_refunded: Minor.default(0),
  amount_capturable: Minor.default(0),
  amount_captured: Minor.default(0),
  currency: GatewayCurrency,
  payment_method_type: z.string().nullable().default(null),
  capture_method: z.enum(['automatic', 'manual']).default('automatic'),
  description: z.string().nullable().default(null),
  customer_id: z.string().nullable().default(null),
  terminal_id: z.string().nullable().default(null),
  receipt_email: z.string().nullable().default(null),
  metadata: z.record(z.string(), z.unknown()).nullable().default({}),
  card: Card.nullable().default(null),
  failure_code: z.string().nullable().default(null),
  failure_message: z.string().nullable().default(null),
  captured_at: z.string().nullable().default(null),
  created_at: Timestamp,
  updated_at: z.string().optional(),
});
export type Transaction = z.infer<typeof TransactionSchema>;

export const PageMetaSchema = z.looseObject({
  current_page: z.number().int(),
  last_page: z.number().int(),
  per_page: z.number().int(),
  total: z.number().int(),
});

export const TransactionPageSchema = z.looseObject({ data: z.array(TransactionSchema), meta: PageMetaSchema });

/** A checkout session: PlutoPay's hosted payment page for one pending transaction (pay by link). */
export const CheckoutSessionSchema = z.looseObject({
  id: z.string(),
  reference: z.string(),
  url: z.string(),
  status: z.string(),
  expires_at: z.string(),
  transaction_id: z.string(),
  metadata: z.record(z.string(), z.unknown()).nullable().default({}),
});
export type CheckoutSession = z.infer<typeof CheckoutSessionSchema>;

export const CheckoutSessionPageSchema = z.looseObject({
  data: z.array(CheckoutSessionSchema),
  meta: PageMetaSchema,
});

export const RefundSchema = z.looseObject({
  id: z.string().min(1),
  reference: z.string(),
  transaction_id: z.string(),
  amount: Minor.positive(),
  currency: GatewayCurrency,
  status: z.string(),
  reason: z.string().nullable().default(null),
  created_at: Timestamp,
  transaction: TransactionSchema.optional(),
});
export type Refund = z.infer<typeof RefundSchema>;
/** A dispute (chargeback): read only, the shop answers it on PlutoPay's dashboard. */
export const DisputeSchema = z.looseObject({
  id: z.string().min(1),
  reference: z.string(),
  transaction_id: z.string().min(1),
  amount: Minor,
  currency: GatewayCurrency,
  status: z.enum(['needs_response', 'under_review', 'won', 'lost'], {
    error: (issue) => `${JSON.stringify(issue.input)} is not a dispute status the till knows`,
  }),
  reason: z.string().nullable().default(null),
  evidence_due_by: z.string().nullable().default(null),
  created_at: Timestamp,
  updated_at: z.string().optional(),
});
export type Dispute = z.infer<typeof DisputeSchema>;
export const DisputePageSchema = z.looseObject({ data: z.array(DisputeSchema), meta: PageMetaSchema });

export const RefundPageSchema = z.looseObject({ data: z.array(RefundSchema), meta: PageMetaSchema.optional() });

export const ActionSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  status: z.enum(['in_progress', 'succeeded', 'failed', 'canceled']),
  payment_intent_id: z.string(),
  amount: Minor.positive(),
  currency: GatewayCurrency,
  capture_method: z.enum(['automatic', 'manual']).default('automatic'),
  presented_card: z.looseObject({ number: z.string() }).nullable().default(null),
  failure_code: z.string().nullable().default(null),
  failure_message: z.string().nullable().default(null),
  created_at: Timestamp,
  updated_at: z.string().optional(),
});
export type ReaderAction = z.infer<typeof ActionSchema>;

export const ReaderSchema = z.looseObject({
  id: z.string().min(1),
  terminal_id: z.string(),
  label: z.string(),
  status: z.string(),
  device_type: z.string(),
  serial_number: z.string().nullable().default(null),
  software_version: z.string().nullable().default(null),
  last_seen_at: z.string().nullable().default(null),
  action: ActionSchema.nullable().default(null),
});
export type GatewayReader = z.infer<typeof ReaderSchema>;
export const ReaderListSchema = z.looseObject({ data: z.array(ReaderSchema) });

export const TerminalSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  device_type: z.string().nullable().default(null),
  serial_number: z.string().nullable().default(null),
  processor_terminal_id: z.string(),
  location_name: z.string().nullable().default(null),
});
export type Terminal = z.infer<typeof TerminalSchema>;
export const TerminalPageSchema = z.looseObject({ data: z.array(TerminalSchema) });

export const MerchantSchema = z.looseObject({
  id: z.string(),
  business_name: z.string(),
  display_name: z.string().nullable().default(null),
  default_currency: GatewayCurrency,
  test_mode: z.boolean(),
});
export type Merchant = z.infer<typeof MerchantSchema>;

export const ConnectionTokenSchema = z.looseObject({ secret: z.string().min(8), expires_at: z.string().optional() });

export const LinkSessionSchema = z.looseObject({
  id: z.string().min(1),
  secret: z.string().min(8),
  reader_id: z.string(),
  poll_wait_max_ms: z.number().int().positive().default(30_000),
  stale_after_ms: z.number().int().positive().default(60_000),
});

export const LinkPollSchema = z.looseObject({
  version: z.number().int(),
  reader: ReaderSchema,
  action: ActionSchema.nullable(),
});
export type LinkPoll = z.infer<typeof LinkPollSchema>;

export const ActionResultSchema = z.looseObject({ action: ActionSchema, transaction: TransactionSchema });

export const ErrorBodySchema = z.looseObject({
  error: z.looseObject({
    type: z.string(),
    message: z.string(),
    param: z.string().nullable().optional(),
    code: z.string().nullable().optional(),
  }),
});

/** PlutoPay's `{"error": {type, message, param?, code?}}`. */
export function parsePlutoPayError(json: unknown): ErrorBody | null {
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return null;
  const { type, message, param, code } = parsed.data.error;
  return { type, message, param: param ?? null, code: code ?? null };
}
