/** The Plural emulator's stored rows, statuses and identifiers. */
import type { IdSource } from '../../core/ids';

export const ORDER_STATUSES = [
  'CREATED',
  'PENDING',
  'AUTHORIZED',
  'PROCESSED',
  'PARTIALLY_CAPTURED',
  'CANCELLED',
  'ATTEMPTED',
  'FAILED',
  'FULLY_REFUNDED',
  'PARTIALLY_REFUNDED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'PROCESSED' | 'CANCELLED' | 'FAILED';
export type SplitStatus = 'HOLD' | 'RELEASED' | 'CANCELLED';

export const PAYMENT_METHODS = ['CARD', 'UPI', 'POINTS', 'NETBANKING', 'WALLET', 'CREDIT_EMI', 'DEBIT_EMI'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Payment attempts an order allows (the reference's payment_retries_remaining starts here). */
export const PAYMENT_ATTEMPTS = 10;

export interface OrderRow {
  seq: number;
  id: string;
  merchant_order_reference: string;
  type: 'CHARGE' | 'REFUND';
  parent_order_id: string | null;
  status: OrderStatus;
  amount: number;
  currency: string;
  pre_auth: number;
  allowed_payment_methods: string | null;
  notes: string | null;
  callback_url: string | null;
  customer: string | null;
  merchant_metadata: string | null;
  split_type: string | null;
  /** Money received: the order amount once paid, or the captured part of a pre-authorisation. */
  captured: number;
  refunded: number;
  payment_retries_remaining: number;
  checkout_token: string | null;
  created_at: number;
  updated_at: number;
}

export interface PaymentRow {
  seq: number;
  id: string;
  order_id: string;
  merchant_payment_reference: string | null;
  status: PaymentStatus;
  amount: number;
  currency: string;
  card_network: string;
  card_type: string;
  card_issuer: string;
  card_last4: string;
  challenge_token: string | null;
  error_code: string | null;
  error_message: string | null;
  approval_code: string | null;
  acquirer_reference: string | null;
  rrn: string | null;
  capture_reference: string | null;
  captured: number | null;
  captured_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A split of a charge order, or a refund order's line against one (parent_split_id set). */
export interface SplitRow {
  seq: number;
  id: string;
  order_id: string;
  parent_split_id: string | null;
  split_merchant_id: string;
  merchant_settlement_reference: string | null;
  amount: number;
  /** A charge split's settlement status; on a refund line, 'DO_NOT_RECOVER' or null (blank). */
  status: string | null;
  /** Set when the split was released through the API (full or partial). */
  release_amount: number | null;
  /** Refunded and taken back from the split merchant (refunds with a blank status). */
  refunded_recovered: number;
  /** Refunded from money never settled to the split merchant (DO_NOT_RECOVER). */
  refunded_unrecovered: number;
  updated_at: number;
}

/** Wire timestamps as the reference writes them: ISO 8601 UTC with milliseconds. */
export function wireTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `v1-YYMMDDhhmmss-aa-XXXXXX`, the shape of the reference's order ids. */
export function newOrderId(ids: IdSource, now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(2, 14);
  return `v1-${stamp}-aa-${ids.alnum(6)}`;
}

/** The n-th child id of an order: `{order}-ss-a`, `{order}-cc-b`, … (n < 26). */
export function childId(orderId: string, kind: 'ss' | 'cc', index: number): string {
  return `${orderId}-${kind}-${String.fromCharCode(97 + index)}`;
}

/** `length` random decimal digits (approval codes, RRNs). */
export function digits(ids: IdSource, length: number): string {
  return ids
    .hex(length)
    .slice(0, length)
    .replace(/[a-f]/g, (c) => String(c.charCodeAt(0) - 97));
}
