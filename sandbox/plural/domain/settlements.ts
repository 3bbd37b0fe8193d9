/**
 * Split settlements and refunds: release a held split (in full, or once in part), cancel a held
 * split's settlement, and refund an order — per split where it has splits, with DO_NOT_RECOVER for
 * money the split merchant never got (a cancelled split, the rest of a partial release) and a blank
 * status for money taken back from it. A refund is itself an order of type REFUND.
 */
import type { Metadata } from '../../http/params';
import { inTransaction, type Context } from '../../core/context';
import { amountExceeded, invalidRequest, notFound } from '../errors';
import * as machine from './machine';
import { childId, digits, newOrderId, PAYMENT_ATTEMPTS, type OrderRow, type PaymentRow, type SplitRow } from './model';
import type { Orders } from './orders';
import type { PluralWebhooks } from './webhooks';

export interface RefundLineInput {
  parent_order_split_settlement_id: string;
  split_merchant_id: string;
  merchant_settlement_reference: string;
  amount: number;
  do_not_recover: boolean;
}

export interface RefundInput {
  merchant_order_reference: string;
  amount: number;
  merchant_metadata: Metadata | null;
  lines: RefundLineInput[] | null;
}

export class Settlements {
  constructor(
    private readonly ctx: Context,
    private readonly orders: Orders,
    private readonly webhooks: PluralWebhooks,
  ) {}

  private split(order: OrderRow, splitId: string): SplitRow {
    const split = this.orders.splits(order.id).find((s) => s.id === splitId && s.parent_split_id === null);
    if (!split) throw notFound(`Order ${order.id} has no split settlement ${splitId}.`, 'settlement_id');
    return split;
  }

  /** The split settlement a path names (404 for an unknown order or split). */
  get(orderId: string, splitId: string): SplitRow {
    return this.split(this.orders.get(orderId), splitId);
  }

  release(orderId: string, splitId: string, amount: number | undefined): OrderRow {
    return inTransaction(this.ctx, () => {
      const order = this.orders.get(orderId);
      const split = this.split(order, splitId);
      split.release_amount = machine.release(order, split, this.orders.splits(order.id), amount);
      split.status = 'RELEASED';
      this.touch(order, split);
      return order;
    });
  }

  cancel(orderId: string, splitId: string): OrderRow {
    return inTransaction(this.ctx, () => {
      const order = this.orders.get(orderId);
      const split = this.split(order, splitId);
      machine.cancelSettlement(order, split);
      split.status = 'CANCELLED';
      this.touch(order, split);
      return order;
    });
  }

  private touch(order: OrderRow, split: SplitRow): void {
    const now = this.ctx.clock.now();
    split.updated_at = now;
    order.updated_at = now;
    this.orders.saveSplit(split);
    this.orders.saveOrder(order);
  }

  /** POST /api/pay/v1/refunds/{order_id}: the refund order. */
  refund(parentId: string, input: RefundInput): OrderRow {
    return inTransaction(this.ctx, () => {
      const parent = this.orders.get(parentId);
      const left = machine.refundable(parent);
      this.orders.checkReferenceFree(input.merchant_order_reference, 'merchant_order_reference');
      if (input.amount > left) {
        throw amountExceeded(
          `Only ${left} of this order is left to refund; cannot refund ${input.amount}.`,
          'order_amount.value',
        );
      }
      const splits = this.orders.splits(parent.id);
      const changed = this.applyLines(parent, splits, input);
      const now = this.ctx.clock.now();
      const refund: OrderRow = {
        seq: 0,
        id: newOrderId(this.ctx.ids, now),
        merchant_order_reference: input.merchant_order_reference,
        type: 'REFUND',
        parent_order_id: parent.id,
        status: 'PROCESSED',
        amount: input.amount,
        currency: parent.currency,
        pre_auth: 0,
        allowed_payment_methods: null,
        notes: null,
        callback_url: null,
        customer: null,
        merchant_metadata: input.merchant_metadata ? JSON.stringify(input.merchant_metadata) : null,
        split_type: input.lines ? 'AMOUNT' : null,
        captured: 0,
        refunded: 0,
        // As the reference's refund sample shows it; a refund order never takes a payment.
        payment_retries_remaining: PAYMENT_ATTEMPTS,
        checkout_token: null,
        created_at: now,
        updated_at: now,
      };
      this.orders.insertOrder(refund);
      this.orders.insertPayment(this.refundPayment(parent, refund, now));
      (input.lines ?? []).forEach((line, index) =>
        this.orders.insertSplit({
          seq: 0,
          id: childId(refund.id, 'ss', index),
          order_id: refund.id,
          parent_split_id: line.parent_order_split_settlement_id,
          split_merchant_id: line.split_merchant_id,
          merchant_settlement_reference: line.merchant_settlement_reference,
          amount: line.amount,
          status: line.do_not_recover ? 'DO_NOT_RECOVER' : null,
          release_amount: null,
          refunded_recovered: 0,
          refunded_unrecovered: 0,
          updated_at: now,
        }),
      );
      for (const split of changed) {
        split.updated_at = now;
        this.orders.saveSplit(split);
      }
      parent.refunded += input.amount;
      parent.status = machine.statusAfterRefund(parent, parent.refunded);
      parent.updated_at = now;
      this.orders.saveOrder(parent);
      this.webhooks.emit('REFUND_PROCESSED', this.orders.json(refund));
      return refund;
    });
  }

  /** Checks each line against its split and returns the splits as the refund leaves them. */
  private applyLines(parent: OrderRow, splits: SplitRow[], input: RefundInput): SplitRow[] {
    if (splits.length > 0 && input.lines === null) {
      throw invalidRequest(
        'This order has split settlements: say which split each part of the refund comes from (split_info).',
        'split_info',
      );
    }
    if (splits.length === 0 && input.lines !== null)
      throw invalidRequest('This order has no split settlements; send no split_info.', 'split_info');
    if (input.lines === null) return [];
    const total = input.lines.reduce((sum, line) => sum + line.amount, 0);
    if (total !== input.amount) {
      throw invalidRequest(
        `The split amounts add up to ${total}, not order_amount.value (${input.amount}).`,
        'split_info.split_details',
      );
    }
    const current = new Map(splits.map((split) => [split.id, split]));
    const seen = new Set<string>();
    let committed = machine.committed(splits);
    input.lines.forEach((line, index) => {
      const at = `split_info.split_details[${index}]`;
      const split = current.get(line.parent_order_split_settlement_id);
      if (!split) {
        throw invalidRequest(
          `Order ${parent.id} has no split settlement ${line.parent_order_split_settlement_id}.`,
          `${at}.parent_order_split_settlement_id`,
        );
      }
      if (seen.has(split.id))
        throw invalidRequest(
          `Split settlement ${split.id} appears twice in this refund.`,
          `${at}.parent_order_split_settlement_id`,
        );
      seen.add(split.id);
      if (line.split_merchant_id !== split.split_merchant_id) {
        throw invalidRequest(
          `Split settlement ${split.id} belongs to split merchant ${split.split_merchant_id}, not ${line.split_merchant_id}.`,
          `${at}.split_merchant_id`,
        );
      }
      const next = machine.refundSplit(
        parent,
        split,
        line.amount,
        line.do_not_recover,
        committed,
        `${at}.amount.value`,
      );
      committed += next.refunded_unrecovered - split.refunded_unrecovered;
      current.set(split.id, next);
    });
    return [...seen].map((id) => current.get(id)!);
  }

  private refundPayment(parent: OrderRow, refund: OrderRow, now: number): PaymentRow {
    const paid = this.orders.payments(parent.id).find((p) => p.status === 'PROCESSED');
    return {
      seq: 0,
      id: childId(refund.id, 'cc', 0),
      order_id: refund.id,
      merchant_payment_reference: null,
      status: 'PROCESSED',
      amount: refund.amount,
      currency: refund.currency,
      card_network: paid?.card_network ?? 'UNKNOWN',
      card_type: paid?.card_type ?? 'CREDIT',
      card_issuer: paid?.card_issuer ?? 'NONE',
      card_last4: paid?.card_last4 ?? '',
      challenge_token: null,
      error_code: null,
      error_message: null,
      approval_code: null,
      acquirer_reference: digits(this.ctx.ids, 22),
      rrn: null,
      capture_reference: null,
      captured: null,
      captured_at: null,
      created_at: now,
      updated_at: now,
    };
  }
}
