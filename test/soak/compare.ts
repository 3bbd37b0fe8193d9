/**
 * The end-of-soak comparison: the sandbox's ledger (what the gateway did with money) against the
 * host's journal (what the till believes) and the runner's own record (what the cashier asked for).
 * Pure: hand-made ledgers and journals test it (compare.test.ts).
 *
 * lost          — an order the runner attempted that the journal does not know; a gateway
 *                 transaction (key pos-…) or a refund on one of our transactions that the journal
 *                 does not know; a journal payment left unfinished (non-final status, or a money
 *                 operation still queued) without a Needs-attention entry.
 *                 A journal payment naming a gateway transaction the gateway does not have, and a
 *                 refund the journal records as made that the gateway does not have, are lost too.
 * charged twice — more than one charged transaction for one order; an order created twice at the
 *                 gateway (two transactions with one key: what a gateway without idempotency keys
 *                 risks on a retry); a refund applied twice (two refunds with one key); a captured
 *                 or refunded amount in the ledger that differs from the journal's (or money the
 *                 gateway holds that the journal shows as not charged); refunds beyond what was
 *                 captured; more captured or refunded than the cashier asked for; more than one
 *                 approval by the terminal for one order (the Concert emulator sees every approval
 *                 it gives), or of the customer's card on a payment link.
 *
 * Each gateway's ledger is read into the same shape: PlutoPay's as it is, PayPlug's and Plural's
 * by ledgerFromPayPlug / ledgerFromPlural (their keys are the app's `pos_key` tags).
 */

export interface LedgerTransaction {
  id: string;
  reference: string;
  idempotency_key: string | null;
  status: string;
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  currency: string;
  payment_method_type?: string;
  seeded?: boolean;
}

export interface LedgerRefund {
  id: string;
  reference: string;
  transaction_id: string;
  idempotency_key: string | null;
  amount: number;
  currency: string;
}

export interface Ledger {
  transactions: LedgerTransaction[];
  refunds: LedgerRefund[];
}

export interface JournalPayment {
  id: string;
  orderReference: string;
  attempt: number;
  idempotencyKey: string;
  origin: 'local' | 'adopted';
  status: string;
  transactionId: string | null;
  amount: number;
  amountCaptured: number;
  amountRefunded: number;
  attentionReason: string | null;
  attentionSince: string | null;
}

export interface JournalOperation {
  paymentId: string;
  kind: string;
  idempotencyKey: string;
  state: 'pending' | 'done' | 'failed';
}

export interface JournalView {
  payments: JournalPayment[];
  operations: JournalOperation[];
}

/** What the runner knows about one order it worked on. */
export interface RunnerOrder {
  orderReference: string;
  /** The host answered a create for it at least once (or the runner saw it in the host's lists). */
  accepted: boolean;
  /** Set when every create the runner sent was refused by the host (nothing can exist). */
  refusedReason: string | null;
  /** The most the cashier asked to capture (the amount for automatic capture), 0 if never. */
  intendedCapture: number;
  /** Sum of the refunds the cashier asked for. */
  intendedRefunds: number;
  /** Approvals the terminal gave for this order (Concert emulator); null when not observable. */
  deviceApprovals: number | null;
  /** Pay by link: approvals of the customer's card at the gateway for this order; null otherwise. */
  customerApprovals?: number | null;
}

export interface Finding {
  orderReference: string | null;
  paymentId: string | null;
  reason: string;
}

export interface AttentionItem {
  orderReference: string;
  paymentId: string;
  status: string;
  reason: string;
}

export interface Figures {
  attempted: number;
  /** Orders where money was taken (succeeded, partially or fully refunded since). */
  succeeded: number;
  /** Orders that ended with no money taken: declined, canceled, failed, or refused by the host. */
  failed: number;
  /** Of the failed: canceled (by the cashier, or an authorisation released). */
  canceled: number;
  /** Of the failed: the host refused every create (e.g. the gateway was unreachable). */
  refused: number;
  /** Orders neither succeeded nor failed at the end (unknown, still authorised, …). */
  unresolved: number;
  captured: number;
  capturedAmount: number;
  refunded: number;
  refundedAmount: number;
  lost: number;
  chargedTwice: number;
  needingAttention: number;
}

export interface Comparison {
  figures: Figures;
  lost: Finding[];
  chargedTwice: Finding[];
  attention: AttentionItem[];
}

/** Statuses in which the gateway holds or took the customer's money. */
export const CHARGED_STATUSES: ReadonlySet<string> = new Set([
  'succeeded',
  'requires_capture',
  'partially_refunded',
  'refunded',
]);
/** Statuses after which nothing more happens to a payment without a new cashier action. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
]);
/** Operations that move money or report a device outcome: still pending at the end means unfinished. */
const MONEY_OPERATIONS: ReadonlySet<string> = new Set(['capture', 'cancel', 'refund', 'report']);

/** The order reference inside a host idempotency key `pos-<order>-<attempt>`, or null. */
export function orderOfKey(key: string | null): string | null {
  if (key === null) return null;
  // pos-{order}-{attempt}-{payment id} (the host's keys), or pos-{order}-{attempt} (before they
  // named the payment, so older journals still compare).
  const match = /^pos-(.+)-(\d+)-pay_[A-Za-z0-9]+$/.exec(key) ?? /^pos-(.+)-(\d+)$/.exec(key);
  return match ? match[1]! : null;
}

export function compare(ledger: Ledger, journal: JournalView, orders: readonly RunnerOrder[]): Comparison {
  const lost: Finding[] = [];
  const chargedTwice: Finding[] = [];
  const transactions = ledger.transactions.filter((tx) => !tx.seeded);
  const paymentsByKey = new Map(journal.payments.map((p) => [p.idempotencyKey, p]));
  const paymentsByTx = new Map(
    journal.payments.filter((p) => p.transactionId !== null).map((p) => [p.transactionId!, p]),
  );
  const paymentsByOrder = new Map<string, JournalPayment[]>();
  for (const payment of journal.payments) {
    const list = paymentsByOrder.get(payment.orderReference) ?? [];
    list.push(payment);
    paymentsByOrder.set(payment.orderReference, list);
  }
  const operationKeys = new Map(journal.operations.map((op) => [op.idempotencyKey, op]));
  const orderOf = (payment: JournalPayment | undefined) => payment?.orderReference ?? null;

  // -- lost: orders the runner attempted ------------------------------------------------------
  for (const order of orders) {
    if (paymentsByOrder.has(order.orderReference)) continue;
    if (!order.accepted && order.refusedReason !== null) continue; // refused by the host: nothing exists
    lost.push({
      orderReference: order.orderReference,
      paymentId: null,
      reason: 'the runner attempted this order but the journal does not know it',
    });
  }

  // -- lost: gateway transactions and refunds the journal does not know -------------------------
  const ours = new Set<string>();
  for (const tx of transactions) {
    const order = orderOfKey(tx.idempotency_key);
    const byTx = paymentsByTx.get(tx.id);
    if (order === null && !byTx) continue; // not created by a host (e.g. a merchant's own call)
    ours.add(tx.id);
    const byKey = tx.idempotency_key ? paymentsByKey.get(tx.idempotency_key) : undefined;
    const payment = byKey ?? byTx;
    if (!payment) {
      lost.push({
        orderReference: order,
        paymentId: null,
        reason: `gateway transaction ${tx.reference} (${tx.status}, key ${tx.idempotency_key}) is not in the journal`,
      });
    } else if (payment.transactionId !== tx.id) {
      lost.push({
        orderReference: payment.orderReference,
        paymentId: payment.id,
        reason: `gateway transaction ${tx.reference} (${tx.status}) is not linked to journal payment ${payment.id} (${payment.status}, transaction ${payment.transactionId ?? 'none'})`,
      });
    }
  }
  for (const refund of ledger.refunds) {
    if (!ours.has(refund.transaction_id)) continue;
    const payment = paymentsByTx.get(refund.transaction_id);
    const op = refund.idempotency_key ? operationKeys.get(refund.idempotency_key) : undefined;
    if (!op || op.kind !== 'refund' || (payment && op.paymentId !== payment.id)) {
      lost.push({
        orderReference: orderOf(payment),
        paymentId: payment?.id ?? null,
        reason: `gateway refund ${refund.reference} (${refund.amount}, key ${refund.idempotency_key}) is not in the journal`,
      });
    }
  }

  // -- lost: what the journal says the gateway did that the gateway does not have ---------------
  const txIds = new Set(transactions.map((tx) => tx.id));
  for (const payment of journal.payments) {
    if (payment.origin !== 'local' || payment.transactionId === null || txIds.has(payment.transactionId)) continue;
    lost.push({
      orderReference: payment.orderReference,
      paymentId: payment.id,
      reason: `journal payment ${payment.id} (${payment.status}) names gateway transaction ${payment.transactionId}, which the gateway does not have`,
    });
  }
  const refundKeys = new Map<string, LedgerRefund[]>();
  for (const refund of ledger.refunds) {
    if (refund.idempotency_key === null) continue;
    const list = refundKeys.get(refund.idempotency_key) ?? [];
    list.push(refund);
    refundKeys.set(refund.idempotency_key, list);
  }
  const paymentsById = new Map(journal.payments.map((p) => [p.id, p]));
  for (const op of journal.operations) {
    if (op.kind !== 'refund' || op.state !== 'done' || refundKeys.has(op.idempotencyKey)) continue;
    const payment = paymentsById.get(op.paymentId);
    lost.push({
      orderReference: orderOf(payment),
      paymentId: op.paymentId,
      reason: `refund ${op.idempotencyKey} is done in the journal but the gateway has no refund with that key`,
    });
  }

  // -- lost: unfinished journal payments nobody is told about ---------------------------------
  const pendingOps = new Map<string, JournalOperation[]>();
  for (const op of journal.operations) {
    if (op.state !== 'pending' || !MONEY_OPERATIONS.has(op.kind)) continue;
    const list = pendingOps.get(op.paymentId) ?? [];
    list.push(op);
    pendingOps.set(op.paymentId, list);
  }
  for (const payment of journal.payments) {
    if (payment.attentionSince !== null) continue;
    if (!FINAL_STATUSES.has(payment.status)) {
      lost.push({
        orderReference: payment.orderReference,
        paymentId: payment.id,
        reason: `left ${payment.status} without a Needs-attention entry`,
      });
    } else if (pendingOps.has(payment.id)) {
      const kinds = pendingOps
        .get(payment.id)!
        .map((op) => op.kind)
        .join(', ');
      lost.push({
        orderReference: payment.orderReference,
        paymentId: payment.id,
        reason: `${kinds} still queued at the end without a Needs-attention entry`,
      });
    }
  }

  // -- charged twice ---------------------------------------------------------------------------
  const byKey = new Map<string, LedgerTransaction[]>();
  for (const tx of transactions) {
    if (!ours.has(tx.id) || tx.idempotency_key === null) continue;
    const list = byKey.get(tx.idempotency_key) ?? [];
    list.push(tx);
    byKey.set(tx.idempotency_key, list);
  }
  for (const [key, made] of byKey) {
    if (made.length < 2) continue;
    chargedTwice.push({
      orderReference: orderOfKey(key),
      paymentId: null,
      reason: `created ${made.length} times at the gateway with key ${key}: ${made.map((tx) => `${tx.reference} ${tx.status}`).join(', ')}`,
    });
  }
  for (const [key, made] of refundKeys) {
    if (made.length < 2 || !made.some((refund) => ours.has(refund.transaction_id))) continue;
    const payment = paymentsByTx.get(made[0]!.transaction_id);
    chargedTwice.push({
      orderReference: orderOf(payment),
      paymentId: payment?.id ?? null,
      reason: `refund ${key} applied ${made.length} times at the gateway: ${made.map((r) => `${r.reference} ${r.amount}`).join(', ')}`,
    });
  }
  const chargedByOrder = new Map<string, LedgerTransaction[]>();
  for (const tx of transactions) {
    if (!ours.has(tx.id) || !CHARGED_STATUSES.has(tx.status)) continue;
    const order = orderOfKey(tx.idempotency_key) ?? paymentsByTx.get(tx.id)?.orderReference ?? tx.id;
    const list = chargedByOrder.get(order) ?? [];
    list.push(tx);
    chargedByOrder.set(order, list);
  }
  for (const [order, charged] of chargedByOrder) {
    if (charged.length > 1) {
      chargedTwice.push({
        orderReference: order,
        paymentId: null,
        reason: `${charged.length} charged transactions: ${charged.map((tx) => `${tx.reference} ${tx.status}`).join(', ')}`,
      });
    }
  }
  const refundsByTx = new Map<string, number>();
  for (const refund of ledger.refunds)
    refundsByTx.set(refund.transaction_id, (refundsByTx.get(refund.transaction_id) ?? 0) + refund.amount);
  for (const tx of transactions) {
    if (!ours.has(tx.id)) continue;
    const payment = paymentsByTx.get(tx.id);
    const order = payment?.orderReference ?? orderOfKey(tx.idempotency_key);
    const refunded = refundsByTx.get(tx.id) ?? 0;
    if (refunded > tx.amount_captured || tx.amount_refunded > tx.amount_captured) {
      chargedTwice.push({
        orderReference: order,
        paymentId: payment?.id ?? null,
        reason: `${tx.reference}: refunds ${Math.max(refunded, tx.amount_refunded)} exceed the captured ${tx.amount_captured}`,
      });
    }
    if (!payment) continue;
    if (payment.amountCaptured !== tx.amount_captured || payment.amountRefunded !== tx.amount_refunded) {
      chargedTwice.push({
        orderReference: order,
        paymentId: payment.id,
        reason: `${tx.reference}: ledger captured ${tx.amount_captured} / refunded ${tx.amount_refunded}, journal captured ${payment.amountCaptured} / refunded ${payment.amountRefunded}`,
      });
    } else if (
      CHARGED_STATUSES.has(tx.status) &&
      !CHARGED_STATUSES.has(payment.status) &&
      payment.attentionSince === null
    ) {
      chargedTwice.push({
        orderReference: order,
        paymentId: payment.id,
        reason: `${tx.reference}: the gateway holds or took money (${tx.status}) but the journal says ${payment.status}`,
      });
    }
  }
  const ordersByRef = new Map(orders.map((o) => [o.orderReference, o]));
  for (const [orderReference, order] of ordersByRef) {
    const txs = transactions.filter(
      (tx) =>
        ours.has(tx.id) &&
        (orderOfKey(tx.idempotency_key) ?? paymentsByTx.get(tx.id)?.orderReference) === orderReference,
    );
    const captured = txs.reduce((sum, tx) => sum + tx.amount_captured, 0);
    const refunded = txs.reduce((sum, tx) => sum + tx.amount_refunded, 0);
    if (captured > order.intendedCapture) {
      chargedTwice.push({
        orderReference,
        paymentId: null,
        reason: `captured ${captured} but the cashier asked for at most ${order.intendedCapture}`,
      });
    }
    if (refunded > order.intendedRefunds) {
      chargedTwice.push({
        orderReference,
        paymentId: null,
        reason: `refunded ${refunded} but the cashier asked for ${order.intendedRefunds}`,
      });
    }
    if (order.deviceApprovals !== null && order.deviceApprovals > 1) {
      chargedTwice.push({
        orderReference,
        paymentId: null,
        reason: `the terminal approved ${order.deviceApprovals} card payments for this order`,
      });
    }
    if (order.customerApprovals != null && order.customerApprovals > 1) {
      chargedTwice.push({
        orderReference,
        paymentId: null,
        reason: `the gateway approved the customer's card ${order.customerApprovals} times for this order`,
      });
    }
  }

  // -- figures ---------------------------------------------------------------------------------
  const attention: AttentionItem[] = journal.payments
    .filter((p) => p.attentionSince !== null)
    .map((p) => ({
      orderReference: p.orderReference,
      paymentId: p.id,
      status: p.status,
      reason: p.attentionReason ?? '(no reason given)',
    }));
  let succeeded = 0;
  let failed = 0;
  let canceled = 0;
  let refused = 0;
  let unresolved = 0;
  let captured = 0;
  let capturedAmount = 0;
  let refunded = 0;
  let refundedAmount = 0;
  for (const order of orders) {
    const attempts = paymentsByOrder.get(order.orderReference) ?? [];
    if (attempts.length === 0) {
      if (order.refusedReason !== null) {
        refused++;
        failed++;
      } else unresolved++;
      continue;
    }
    if (attempts.some((p) => p.status === 'succeeded' || p.status === 'partially_refunded' || p.status === 'refunded'))
      succeeded++;
    else if (attempts.every((p) => p.status === 'failed' || p.status === 'canceled')) {
      failed++;
      if (attempts.some((p) => p.status === 'canceled')) canceled++;
    } else unresolved++;
    const orderCaptured = attempts.reduce((sum, p) => sum + p.amountCaptured, 0);
    const orderRefunded = attempts.reduce((sum, p) => sum + p.amountRefunded, 0);
    if (orderCaptured > 0) {
      captured++;
      capturedAmount += orderCaptured;
    }
    if (orderRefunded > 0) {
      refunded++;
      refundedAmount += orderRefunded;
    }
  }
  return {
    figures: {
      attempted: orders.length,
      succeeded,
      failed,
      canceled,
      refused,
      unresolved,
      captured,
      capturedAmount,
      refunded,
      refundedAmount,
      lost: lost.length,
      chargedTwice: chargedTwice.length,
      needingAttention: attention.length,
    },
    lost,
    chargedTwice,
    attention,
  };
}

// -- each gateway's ledger in the comparison's shape ----------------------------------------------

function tagOf(metadata: unknown, tag: string): string | null {
  if (typeof metadata !== 'object' || metadata === null) return null;
  const value = (metadata as Record<string, unknown>)[tag];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A charged status from what was captured and refunded. */
function chargedStatus(captured: number, refunded: number): string {
  return refunded <= 0 ? 'succeeded' : refunded >= captured ? 'refunded' : 'partially_refunded';
}

/** `GET {payplug.url}/_sandbox/ledger` (docs/sandbox-payplug.md#ledger). */
export interface PayPlugLedger {
  payments: {
    id: string;
    amount: number;
    currency: string;
    status: string;
    is_paid: boolean;
    amount_refunded: number;
    failure_code: string | null;
    metadata: unknown;
  }[];
  refunds: { id: string; payment_id: string; amount: number; metadata: unknown }[];
}

/**
 * PayPlug's ledger: a payment is paid (captured whole), authorized (deferred, not captured yet),
 * open, or failed — `aborted` (the till's cancel) or `canceled` (on the page) being canceled. The
 * app's key is the `pos_key` tag, on payments and refunds.
 */
export function ledgerFromPayPlug(raw: PayPlugLedger): Ledger {
  const currencies = new Map(raw.payments.map((p) => [p.id, p.currency]));
  return {
    transactions: raw.payments.map((p) => ({
      id: p.id,
      reference: p.id,
      idempotency_key: tagOf(p.metadata, 'pos_key'),
      status: p.is_paid
        ? chargedStatus(p.amount, p.amount_refunded)
        : p.status === 'authorized' || p.status === 'authorization_expired'
          ? 'requires_capture'
          : p.status === 'open'
            ? 'pending'
            : p.failure_code === 'aborted' || p.failure_code === 'canceled'
              ? 'canceled'
              : 'failed',
      amount: p.amount,
      amount_captured: p.is_paid ? p.amount : 0,
      amount_refunded: p.amount_refunded,
      currency: p.currency,
    })),
    refunds: raw.refunds.map((r) => ({
      id: r.id,
      reference: r.id,
      transaction_id: r.payment_id,
      idempotency_key: tagOf(r.metadata, 'pos_key'),
      amount: r.amount,
      currency: currencies.get(r.payment_id) ?? 'EUR',
    })),
  };
}

/** `GET {plural.url}/_sandbox/ledger` (docs/sandbox-plural.md#sandbox-only-routes). */
export interface PluralLedger {
  orders: {
    order_id: string;
    merchant_order_reference: string;
    status: string;
    amount: number;
    currency: string;
    captured: number;
    refunded: number;
    merchant_metadata: unknown;
    refunds: { order_id: string; merchant_order_reference: string; amount: number; merchant_metadata: unknown }[];
  }[];
}

const PLURAL_OPEN = new Set(['CREATED', 'PENDING', 'ATTEMPTED']);

/**
 * Plural's ledger: every charge order with its refund orders. Money held: AUTHORIZED; taken:
 * PROCESSED, PARTIALLY_CAPTURED and the refunded states. The app's key is the `pos_key` of each
 * order's merchant_metadata.
 */
export function ledgerFromPlural(raw: PluralLedger): Ledger {
  return {
    transactions: raw.orders.map((o) => ({
      id: o.order_id,
      reference: o.merchant_order_reference,
      idempotency_key: tagOf(o.merchant_metadata, 'pos_key'),
      status: PLURAL_OPEN.has(o.status)
        ? 'pending'
        : o.status === 'AUTHORIZED'
          ? 'requires_capture'
          : o.status === 'CANCELLED'
            ? 'canceled'
            : o.status === 'FAILED'
              ? 'failed'
              : chargedStatus(o.captured, o.refunded),
      amount: o.amount,
      amount_captured: o.captured,
      amount_refunded: o.refunded,
      currency: o.currency,
    })),
    refunds: raw.orders.flatMap((o) =>
      o.refunds.map((r) => ({
        id: r.order_id,
        reference: r.merchant_order_reference,
        transaction_id: o.order_id,
        idempotency_key: tagOf(r.merchant_metadata, 'pos_key'),
        amount: r.amount,
        currency: o.currency,
      })),
    ),
  };
}
