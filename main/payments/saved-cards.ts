/**
 * Cards a gateway keeps for returning customers. When a customer agreed to save their card on the
 * gateway's page, the paid payment names the card; the till keeps that id against the customer's
 * email, so the next time the cashier can charge it in one click — for that customer only. The
 * gateway offers no way to delete a saved card: forgetting one marks it forgotten in the till's
 * records, and the till refuses to charge it from then on (PaymentCommands.checkSavedCard).
 */
import type { SavedCardView } from '../../common/contract';
import { formatAmount } from '../../common/money';
import { HostError } from '../core/errors';
import type { PaymentLimits } from '../gateway/limits';
import type { GatewayPayment } from '../gateway/port';
import type { PaymentRecord, SavedCardRecord } from '../store/journal';
import type { PaymentEngine } from './engine';
import type { PaymentSync } from './sync';

export class SavedCards {
  constructor(
    private readonly engine: PaymentEngine,
    sync: PaymentSync,
  ) {
    sync.onClosed((record, payment) => this.keep(record, payment));
  }

  list(customer: string): SavedCardView[] {
    const gateway = this.requireSavedCards();
    const limits = this.engine.options.gateway().limits;
    const now = this.engine.clock.now();
    return this.engine.journal
      .savedCards(gateway, customer, this.engine.options.mode())
      .map((card) => toView(card, limits, now));
  }

  /** Forgets the card saved in the till's mode, the one `list` offers; the other mode's is left alone. */
  forget(cardId: string): void {
    const gateway = this.requireSavedCards();
    const mode = this.engine.options.mode();
    // A charge on it the gateway has not confirmed is still sent, with its key, when the gateway
    // answers again: forgetting now would be read as consent withdrawn and then not honoured.
    const sending = this.engine.journal.paymentSendingOnCard(gateway, mode, cardId);
    if (sending)
      throw new HostError(
        'conflict',
        `A payment of ${formatAmount(sending.amount, sending.currency)} on this card (order ${sending.orderReference}) is still being sent to the gateway. Cancel it, or wait for it, before forgetting the card.`,
      );
    if (!this.engine.journal.forgetCard(gateway, mode, cardId))
      throw new HostError('not_found', 'No such saved card on this till.');
  }

  /** A paid payment that saved (or used) a card: keep the card against the customer who agreed. */
  private keep(record: PaymentRecord, payment: GatewayPayment): void {
    if (!payment.savedCardId || !['succeeded', 'requires_capture'].includes(payment.status)) return;
    const op = this.engine.journal.getOperationByKey(record.idempotencyKey);
    const asked = op?.params.allowSaveCard === true || typeof op?.params.savedCardId === 'string';
    const customer = (op?.params.customer as { email?: unknown } | undefined)?.email ?? record.receiptEmail;
    if (!asked || typeof customer !== 'string') return;
    this.engine.journal.saveCard({
      cardId: payment.savedCardId,
      gateway: record.gateway,
      customer,
      brand: payment.card?.brand ?? null,
      last4: payment.card?.last4 ?? null,
      expMonth: payment.card?.expMonth ?? null,
      expYear: payment.card?.expYear ?? null,
      mode: record.mode,
    });
  }

  private requireSavedCards() {
    const gateway = this.engine.options.gateway();
    if (!gateway.capabilities.savedCards) throw new HostError('conflict', `${gateway.label} does not keep cards.`);
    return gateway.name;
  }
}

function toView(card: SavedCardRecord, limits: PaymentLimits, nowMs: number): SavedCardView {
  return {
    cardId: card.cardId,
    customer: card.customer,
    brand: card.brand,
    last4: card.last4,
    savedAt: card.createdAt,
    expires: card.expMonth && card.expYear ? `${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : null,
    unusable: cardUnusable(card, limits, nowMs),
  };
}

/**
 * Why a saved card can no longer be charged, in the cashier's words, or null: past the end of its
 * expiry month, or kept longer than the gateway lets a card id be charged (PayPlug: 15 months). The
 * till refuses such a charge itself: sent, the gateway would only refuse it.
 */
export function cardUnusable(card: SavedCardRecord, limits: PaymentLimits, nowMs: number): string | null {
  const name = `The saved ${card.brand ?? 'card'} •••• ${card.last4 ?? '????'}`;
  const instead = 'Pay by link instead (the customer can save their card again there).';
  if (card.expMonth && card.expYear && nowMs >= Date.UTC(card.expYear, card.expMonth, 1)) {
    return `${name} expired at the end of ${String(card.expMonth).padStart(2, '0')}/${card.expYear}: it can no longer be charged. ${instead}`;
  }
  const months = limits.savedCardMonths;
  if (months !== undefined) {
    const saved = new Date(card.createdAt);
    const until = Date.UTC(saved.getUTCFullYear(), saved.getUTCMonth() + months, saved.getUTCDate());
    if (nowMs >= until)
      return `${name} was saved on ${card.createdAt.slice(0, 10)}, more than ${months} months ago: the gateway no longer charges it. ${instead}`;
  }
  return null;
}
