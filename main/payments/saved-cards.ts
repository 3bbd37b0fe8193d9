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
    return this.engine.journal.savedCards(gateway, customer).map(toView);
  }

  forget(cardId: string): void {
    const gateway = this.requireSavedCards();
    // A charge on it the gateway has not confirmed is still sent, with its key, when the gateway
    // answers again: forgetting now would be read as consent withdrawn and then not honoured.
    const sending = this.engine.journal.paymentSendingOnCard(gateway, cardId);
    if (sending)
      throw new HostError(
        'conflict',
        `A payment of ${formatAmount(sending.amount, sending.currency)} on this card (order ${sending.orderReference}) is still being sent to the gateway. Cancel it, or wait for it, before forgetting the card.`,
      );
    if (!this.engine.journal.forgetCard(gateway, cardId))
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
      expMonth: null,
      expYear: null,
    });
  }

  private requireSavedCards() {
    const gateway = this.engine.options.gateway();
    if (!gateway.capabilities.savedCards) throw new HostError('conflict', `${gateway.label} does not keep cards.`);
    return gateway.name;
  }
}

function toView(card: SavedCardRecord): SavedCardView {
  return {
    cardId: card.cardId,
    customer: card.customer,
    brand: card.brand,
    last4: card.last4,
    savedAt: card.createdAt,
  };
}
