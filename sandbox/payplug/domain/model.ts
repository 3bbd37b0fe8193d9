/**
 * The PayPlug objects as stored and as sent: rows, and the JSON the reference documents for them.
 * Timestamps are stored in milliseconds and sent as Unix seconds.
 */
import type { Metadata } from '../../http/params';

export type PaymentState = 'open' | 'authorized' | 'paid' | 'failed';
export const SENT_BY = ['EMAIL', 'SMS', 'OTHER'] as const;
export type SentBy = (typeof SENT_BY)[number];

export interface Customer {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone_number: string | null;
  address1: string | null;
  address2: string | null;
  postcode: string | null;
  city: string | null;
  country: string | null;
  language: string | null;
}

export interface PaymentRow {
  seq: number;
  id: string;
  is_live: number;
  state: PaymentState;
  amount: number;
  amount_refunded: number;
  currency: string;
  deferred: number;
  authorized_at: number | null;
  authorization_expires_at: number | null;
  paid_at: number | null;
  is_3ds: number | null;
  save_card: number;
  allow_save_card: number;
  force_3ds: number;
  card_id: string | null;
  card_last4: string | null;
  card_country: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  card_brand: string | null;
  customer: string;
  hosted: number;
  return_url: string | null;
  cancel_url: string | null;
  sent_by: SentBy | null;
  expires_at: number | null;
  notification_url: string | null;
  notification_response_code: number | null;
  failure_code: string | null;
  failure_message: string | null;
  last_attempt_code: string | null;
  last_attempt_message: string | null;
  attempts: number;
  description: string | null;
  metadata: string | null;
  installment_plan_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface RefundRow {
  seq: number;
  id: string;
  payment_id: string;
  is_live: number;
  amount: number;
  currency: string;
  metadata: string | null;
  created_at: number;
}

export interface ScheduleEntry {
  date: string;
  amount: number;
  payment_ids: string[];
}

export interface PlanCustomer {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  address1: string | null;
  address2: string | null;
  postcode: string | null;
  city: string | null;
  country: string | null;
}

export interface PlanRow {
  seq: number;
  id: string;
  is_live: number;
  is_active: number;
  is_fully_paid: number;
  currency: string;
  customer: string;
  return_url: string | null;
  cancel_url: string | null;
  notification_url: string | null;
  schedule: string;
  card_number: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  next_due_at: number | null;
  failure_code: string | null;
  failure_message: string | null;
  metadata: string | null;
  created_at: number;
  updated_at: number;
}

export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function secondsOrNull(ms: number | null): number | null {
  return ms === null ? null : seconds(ms);
}

function metadataOf(text: string | null): Metadata | null {
  return text === null ? null : (JSON.parse(text) as Metadata);
}

/** The payment page's path under the emulator: /pay/test/… in test mode, /pay/… in live mode. */
export function payPath(id: string, isLive: boolean): string {
  const token = id.slice(id.indexOf('_') + 1);
  return isLive ? `/pay/${token}` : `/pay/test/${token}`;
}

export function paymentJson(row: PaymentRow, baseUrl: string): Record<string, unknown> & { id: string } {
  const isLive = row.is_live === 1;
  return {
    id: row.id,
    object: 'payment',
    is_live: isLive,
    amount: row.amount,
    amount_refunded: row.amount_refunded,
    authorization:
      row.deferred === 1
        ? {
            authorized_amount: row.amount,
            authorized_at: secondsOrNull(row.authorized_at),
            expires_at: secondsOrNull(row.authorization_expires_at),
          }
        : null,
    currency: row.currency,
    created_at: seconds(row.created_at),
    installment_plan_id: row.installment_plan_id,
    is_paid: row.state === 'paid',
    paid_at: secondsOrNull(row.paid_at),
    is_refunded: row.amount_refunded > 0 && row.amount_refunded === row.amount,
    is_3ds: row.is_3ds === null ? null : row.is_3ds === 1,
    save_card: row.save_card === 1,
    allow_save_card: row.allow_save_card === 1,
    card: {
      last4: row.card_last4,
      country: row.card_country,
      exp_month: row.card_exp_month,
      exp_year: row.card_exp_year,
      brand: row.card_brand,
      id: row.card_id,
    },
    customer: JSON.parse(row.customer) as Customer,
    hosted_payment:
      row.hosted === 1
        ? {
            payment_url: baseUrl + payPath(row.id, isLive),
            return_url: row.return_url,
            cancel_url: row.cancel_url,
            paid_at: secondsOrNull(row.paid_at),
            sent_by: row.sent_by,
          }
        : null,
    notification: { url: row.notification_url, response_code: row.notification_response_code },
    failure: row.failure_code === null ? null : { code: row.failure_code, message: row.failure_message },
    description: row.description,
    metadata: metadataOf(row.metadata),
  };
}

export function refundJson(row: RefundRow): Record<string, unknown> & { id: string } {
  return {
    id: row.id,
    payment_id: row.payment_id,
    object: 'refund',
    is_live: row.is_live === 1,
    amount: row.amount,
    currency: row.currency,
    created_at: seconds(row.created_at),
    metadata: metadataOf(row.metadata),
  };
}

export function planJson(row: PlanRow, baseUrl: string): Record<string, unknown> & { id: string } {
  const isLive = row.is_live === 1;
  return {
    id: row.id,
    object: 'installment_plan',
    is_live: isLive,
    is_active: row.is_active === 1,
    currency: row.currency,
    created_at: seconds(row.created_at),
    is_fully_paid: row.is_fully_paid === 1,
    customer: JSON.parse(row.customer) as PlanCustomer,
    hosted_payment: {
      payment_url: baseUrl + payPath(row.id, isLive),
      return_url: row.return_url,
      cancel_url: row.cancel_url,
    },
    notification: { url: row.notification_url },
    schedule: JSON.parse(row.schedule) as ScheduleEntry[],
    failure: row.failure_code === null ? null : { code: row.failure_code, message: row.failure_message },
    metadata: metadataOf(row.metadata),
  };
}
