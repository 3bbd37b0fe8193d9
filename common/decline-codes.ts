/**
 * Decline and failure codes, with the gateway's message and what a cashier should be told.
 * The sandbox uses `gateway` for `failure_message`; the host shows `cashier` and offers
 * "try another card" when `anotherCard` is true. Unknown codes fall back to a generic entry.
 * `kind` separates a card the bank refused (`declined`) from a payment the reader did not
 * complete (no card in time, canceled on the reader, reader trouble): nothing was declined then,
 * and the cashier sends the same payment to the reader again.
 */
export interface DeclineInfo {
  readonly gateway: string;
  readonly cashier: string;
  /** True when the same payment can be retried (with a different card, or on the reader again). */
  readonly anotherCard: boolean;
  readonly kind: 'declined' | 'not_completed';
}

export const DECLINE_CODES = {
  card_declined: {
    gateway: 'The card was declined.',
    cashier: 'Card declined. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  generic_decline: {
    gateway: 'The card was declined.',
    cashier: 'Card declined. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  call_issuer: {
    gateway: 'The card was declined; the cardholder should call their bank.',
    cashier: 'Declined by the bank. The customer should call their bank, or use another card.',
    anotherCard: true,
    kind: 'declined',
  },
  insufficient_funds: {
    gateway: 'Insufficient funds.',
    cashier: 'Not enough funds on this card. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  incorrect_pin: {
    gateway: 'The PIN was incorrect.',
    cashier: 'Wrong PIN. Let the customer try again.',
    anotherCard: true,
    kind: 'declined',
  },
  pin_try_exceeded: {
    gateway: 'The allowed number of PIN tries was exceeded.',
    cashier: 'Too many wrong PINs. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  withdrawal_count_limit_exceeded: {
    gateway: 'The card has exceeded its usage limit.',
    cashier: 'This card has reached its limit. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  processing_error: {
    gateway: 'An error occurred while processing the card.',
    cashier: 'The card could not be processed. Try again or use another card.',
    anotherCard: true,
    kind: 'declined',
  },
  '3ds_declined': {
    gateway: 'Cardholder authentication failed.',
    cashier: 'The card issuer refused authentication. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  incorrect_number: {
    gateway: 'The card number is incorrect.',
    cashier: 'The card number was not accepted. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  fraud_suspected: {
    gateway: 'The payment was flagged as potentially fraudulent.',
    cashier: 'Declined for security reasons. Ask for another form of payment.',
    anotherCard: true,
    kind: 'declined',
  },
  expired_card: {
    gateway: 'The card has expired.',
    cashier: 'This card has expired. Ask for another card.',
    anotherCard: true,
    kind: 'declined',
  },
  link_expired: {
    gateway: 'The payment page expired before it was paid.',
    cashier: 'The payment link expired before the customer paid. Start a new payment if they still want to pay.',
    anotherCard: false,
    kind: 'not_completed',
  },
  no_payment_page: {
    gateway: 'The gateway gave no payment page for this order.',
    cashier:
      'The gateway gave no payment page for this order, so it cannot be paid by link from this till; nothing was charged.',
    anotherCard: false,
    kind: 'not_completed',
  },
  reader_timeout: {
    gateway: 'The reader timed out waiting for a card.',
    cashier: 'No card was presented in time.',
    anotherCard: true,
    kind: 'not_completed',
  },
  reader_canceled: {
    gateway: 'The action was canceled on the reader.',
    cashier: 'The payment was canceled on the reader.',
    anotherCard: true,
    kind: 'not_completed',
  },
  reader_busy: {
    gateway: 'The reader is busy with another action.',
    cashier: 'The reader is busy. Wait for it to finish, then try again.',
    anotherCard: false,
    kind: 'not_completed',
  },
  reader_disconnected: {
    gateway: 'The reader disconnected before finishing.',
    cashier: 'The reader disconnected. Reconnect it, then try again.',
    anotherCard: true,
    kind: 'not_completed',
  },
  reader_error: {
    gateway: 'The reader reported an error.',
    cashier: 'The reader reported an error. Try again.',
    anotherCard: true,
    kind: 'not_completed',
  },
} as const satisfies Record<string, DeclineInfo>;

export type DeclineCode = keyof typeof DECLINE_CODES;

const UNKNOWN: DeclineInfo = {
  gateway: 'The payment was declined.',
  cashier: 'Payment declined. Ask for another card.',
  anotherCard: true,
  kind: 'declined',
};

export function isDeclineCode(code: string): code is DeclineCode {
  return Object.prototype.hasOwnProperty.call(DECLINE_CODES, code);
}

export function declineInfo(code: string): DeclineInfo {
  return isDeclineCode(code) ? DECLINE_CODES[code] : UNKNOWN;
}
