/**
 * What a card attempt on PayPlug's test mode gives. The card alone decides (PayPlug has no
 * amount-based outcomes): the reference's test cards, and `card_declined` for every other number.
 * In live mode no test card works, so every attempt is declined.
 */
import { cardBrand, normaliseCardNumber, PAYPLUG_TEST_CARDS } from '../../../common/test-cards';
import type { Mode } from '../../core/context';

/** The 3-D Secure test card: authentication always runs, and is refused. */
export const THREE_DS_CARD = '5184680000000170';

export const FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  processing_error: 'Error while processing the card.',
  card_declined: 'The card has been rejected.',
  insufficient_funds: 'Insufficient funds to cover the payment.',
  '3ds_declined': 'The 3-D secure code has been rejected.',
  incorrect_number: 'The card number is incorrect.',
  fraud_suspected: 'Payment rejected because a fraud has been detected.',
  method_unsupported: 'The payment method is not supported.',
  card_scheme_mismatch: 'The card number does not match with the selected brand.',
  card_expiration_date_prior_to_last_installment_date:
    'The card expiration date is prior to the last installment date.',
  aborted: 'You have aborted the transaction.',
  timeout: 'The customer has not tried to pay and left the payment page.',
  canceled: 'The payment was canceled by the customer.',
};

export function failureMessage(code: string): string {
  return FAILURE_MESSAGES[code] ?? 'The payment failed.';
}

export interface CardDetails {
  number: string;
  last4: string;
  brand: 'Visa' | 'Mastercard' | 'CB';
  country: string;
  exp_month: number;
  exp_year: number;
}

export type CardOutcome = { approved: true } | { approved: false; code: string };

export function cardDetails(number: string, expMonth: number, expYear: number): CardDetails {
  const scheme = cardBrand(number);
  return {
    number,
    last4: number.slice(-4),
    brand: scheme === 'visa' ? 'Visa' : scheme === 'mastercard' ? 'Mastercard' : 'CB',
    country: 'FR',
    exp_month: expMonth,
    exp_year: expYear,
  };
}

/** Digits only, or null when the text cannot be a card number. */
export function cardNumber(text: string): string | null {
  return normaliseCardNumber(text);
}

export function decideCard(number: string, mode: Mode): CardOutcome {
  if (mode === 'live') return { approved: false, code: 'card_declined' };
  const card = PAYPLUG_TEST_CARDS.find((c) => c.number === number);
  if (!card) return { approved: false, code: 'card_declined' };
  return card.decline === null ? { approved: true } : { approved: false, code: card.decline };
}

/** The first instant after the card's expiry month (cards are valid through the end of it). */
export function cardExpiresAt(expMonth: number, expYear: number): number {
  return Date.UTC(expYear, expMonth, 1);
}
