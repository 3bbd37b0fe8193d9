/**
 * GET {plural.url}/_sandbox/ledger: every charge order with its payments, splits (status and where
 * their money went) and refunds, keyed by merchant_order_reference, each with the merchant_metadata
 * it was made with (where a client keeps its own keys), so a fault soak can compare the app's
 * journal with what the gateway really did.
 */
import { settled, unsettledRemainder } from './machine';
import { wireTime, type OrderRow, type SplitRow } from './model';
import type { Orders } from './orders';
import { liveFlag, type Context } from '../../core/context';

function splitEntry(order: OrderRow, split: SplitRow, splits: readonly SplitRow[]): Record<string, unknown> {
  const released = order.captured > 0 ? settled(split) : 0;
  return {
    split_settlement_id: split.id,
    split_merchant_id: split.split_merchant_id,
    merchant_settlement_reference: split.merchant_settlement_reference,
    status: split.status,
    amount: split.amount,
    release_amount: split.release_amount,
    released,
    refunded_recovered: split.refunded_recovered,
    refunded_not_recovered: split.refunded_unrecovered,
    unsettled_remainder: unsettledRemainder(order, split, splits),
  };
}

function metadataOf(row: OrderRow): unknown {
  return row.merchant_metadata === null ? null : (JSON.parse(row.merchant_metadata) as unknown);
}

export function pluralLedger(ctx: Context, orders: Orders): { orders: Array<Record<string, unknown>> } {
  const charges = ctx.sql
    .get("SELECT * FROM plural_orders WHERE type = 'CHARGE' AND is_live = ? ORDER BY seq")
    .all(liveFlag(ctx)) as OrderRow[];
  return {
    orders: charges.map((order) => ({
      order_id: order.id,
      merchant_order_reference: order.merchant_order_reference,
      status: order.status,
      pre_auth: order.pre_auth === 1,
      amount: order.amount,
      currency: order.currency,
      captured: order.captured,
      refunded: order.refunded,
      merchant_metadata: metadataOf(order),
      payments: orders.payments(order.id).map((payment) => ({
        id: payment.id,
        merchant_payment_reference: payment.merchant_payment_reference,
        status: payment.status,
        amount: payment.amount,
        // A payment without pre-authorisation is captured in full when it is processed.
        captured: payment.captured ?? (payment.status === 'PROCESSED' ? payment.amount : 0),
        card_last4: payment.card_last4,
        error_code: payment.error_code,
      })),
      splits: orders.splits(order.id).map((split, _, splits) => splitEntry(order, split, splits)),
      refunds: orders.refunds(order.id).map((refund) => ({
        order_id: refund.id,
        merchant_order_reference: refund.merchant_order_reference,
        status: refund.status,
        amount: refund.amount,
        merchant_metadata: metadataOf(refund),
        splits: orders.splits(refund.id).map((line) => ({
          split_settlement_id: line.id,
          parent_order_split_settlement_id: line.parent_split_id,
          amount: line.amount,
          status: line.status,
        })),
        created_at: wireTime(refund.created_at),
      })),
      created_at: wireTime(order.created_at),
      updated_at: wireTime(order.updated_at),
    })),
  };
}
