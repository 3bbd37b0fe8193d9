/** PlutoPay's wire objects → the port's neutral types. Nothing outside this folder reads the wire. */
import type { GatewayPayment, GatewayRefund, ReaderAction, RemoteReader } from '../port';
import type { GatewayReader, ReaderAction as WireAction, Refund, Transaction } from './schemas';

export function toPayment(tx: Transaction): GatewayPayment {
  const tagged = tx.metadata?.order_reference;
  return {
    id: tx.id,
    reference: tx.reference,
    orderReference: typeof tagged === 'string' ? tagged : null,
    status: tx.status,
    amount: tx.amount,
    currency: tx.currency.toUpperCase(),
    amountCapturable: tx.amount_capturable,
    amountCaptured: tx.amount_captured,
    amountRefunded: tx.amount_refunded,
    captureMethod: tx.capture_method,
    card: tx.card ? { brand: tx.card.brand, last4: tx.card.last4 } : null,
    failure: tx.failure_code ? { code: tx.failure_code, message: tx.failure_message } : null,
    description: tx.description,
    receiptEmail: tx.receipt_email,
    customerId: tx.customer_id,
    methodType: tx.payment_method_type ?? 'unknown',
    terminalId: tx.terminal_id,
    createdAt: tx.created_at,
    capturedAt: tx.captured_at,
    payUrl: null,
    payUrlExpiresAt: null,
    authorizationExpiresAt: null,
    installmentPlanId: null,
    savedCardId: null,
    splits: null,
  };
}

export function toRefund(refund: Refund): GatewayRefund {
  return {
    id: refund.id,
    reference: refund.reference,
    paymentId: refund.transaction_id,
    amount: refund.amount,
    currency: refund.currency.toUpperCase(),
    status: refund.status,
    reason: refund.reason,
    createdAt: refund.created_at,
  };
}

export function toAction(action: WireAction): ReaderAction {
  return {
    id: action.id,
    paymentId: action.payment_intent_id,
    amount: action.amount,
    currency: action.currency.toUpperCase(),
    status: action.status,
    presentedCard: action.presented_card?.number ?? null,
  };
}

export function toReader(reader: GatewayReader): RemoteReader {
  return {
    id: reader.id,
    terminalId: reader.terminal_id,
    label: reader.label,
    status: reader.status === 'online' ? 'online' : 'offline',
    deviceType: reader.device_type,
    simulated: reader.device_type === 'simulated',
    serialNumber: reader.serial_number,
    softwareVersion: reader.software_version,
    lastSeenAt: reader.last_seen_at,
    action: reader.action ? toAction(reader.action) : null,
  };
}
