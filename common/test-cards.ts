import type { DeclineCode } from './decline-codes';

/**
 * Test-mode conventions shared by the gateway side (the sandbox's simulated readers and
 * confirmed card payments) and the device side (the app's simulated reader): which test card
 * or test amount gives which outcome. Real cards never reach this code. TEST_CARDS are PlutoPay's
 * (and the app's simulated readers'); PayPlug's are below, Plural's in plural-test-cards.ts.
 */
export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';

export interface TestCard {
  readonly number: string;
  readonly brand: CardBrand;
  /** null = approved; otherwise the decline code the card always produces. */
  readonly decline: DeclineCode | null;
  readonly label: string;
}

export const DEFAULT_TEST_CARD = '4242424242424242';

export const TEST_CARDS: readonly TestCard[] = [
  { number: '4242424242424242', brand: 'visa', decline: null, label: 'Visa — approved' },
  { number: '5500005555555559', brand: 'mastercard', decline: null, label: 'Mastercard — approved' },
  { number: '4000000000000002', brand: 'visa', decline: 'card_declined', label: 'Declined' },
  { number: '4000000000000051', brand: 'visa', decline: 'card_declined', label: 'Declined (card_declined)' },
  { number: '4000000000000077', brand: 'visa', decline: 'insufficient_funds', label: 'Insufficient funds' },
  { number: '4000000000000085', brand: 'visa', decline: 'processing_error', label: 'Processing error' },
  { number: '5184680000000170', brand: 'mastercard', decline: '3ds_declined', label: '3DS declined' },
  { number: '5184680000000097', brand: 'mastercard', decline: 'incorrect_number', label: 'Incorrect number' },
  { number: '5184680000000121', brand: 'mastercard', decline: 'fraud_suspected', label: 'Fraud suspected' },
];

/**
 * PayPlug's test cards (its reference's table, docs/sandbox-payplug.md): PlutoPay's but
 * 4000 0000 0000 0002, which PayPlug's table does not have. PayPlug's sandbox declines any other
 * number with card_declined; the amount plays no part there.
 */
export const PAYPLUG_TEST_CARDS: readonly TestCard[] = TEST_CARDS.filter((card) => card.number !== '4000000000000002');

/**
 * The amount's last two digits choose the outcome when an approving card is used (Stripe's convention).
 * The digits are those of the amount in minor units, as it travels on the wire, in every currency:
 * $10.01 (1001), ¥501 (501) and KWD 1.001 (1001 fils) all end in 01. Not "the cents": a yen amount
 * has none, and its test declines would otherwise be out of reach.
 */
export const TEST_AMOUNT_ENDINGS: Readonly<Record<number, DeclineCode>> = {
  1: 'call_issuer',
  5: 'generic_decline',
  55: 'incorrect_pin',
  65: 'withdrawal_count_limit_exceeded',
  75: 'pin_try_exceeded',
};

export type TestOutcome =
  | { approved: true; brand: CardBrand; last4: string }
  | { approved: false; code: DeclineCode; brand: CardBrand; last4: string };

export function cardBrand(number: string): CardBrand {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^6(011|5)/.test(number)) return 'discover';
  return 'unknown';
}

/** Normalises a typed card number ("4242 4242 …") to digits; null when it cannot be a card number. */
export function normaliseCardNumber(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{12,19}$/.test(digits) ? digits : null;
}

/**
 * Decides a test payment. The card decides first (a declining card always declines; a number that
 * is not a test card declines with card_declined); with an approving card, the amount's last two
 * digits in minor units may choose a decline (TEST_AMOUNT_ENDINGS). No card means the default Visa test card.
 */
export function decideTestOutcome(amount: number, cardNumber: string = DEFAULT_TEST_CARD): TestOutcome {
  const number = normaliseCardNumber(cardNumber) ?? cardNumber;
  const brand = cardBrand(number);
  const last4 = number.slice(-4);
  const card = TEST_CARDS.find((c) => c.number === number);
  if (!card) return { approved: false, code: 'card_declined', brand, last4 };
  if (card.decline) return { approved: false, code: card.decline, brand, last4 };
  const byAmount = testAmountDecline(amount);
  if (byAmount) return { approved: false, code: byAmount.code, brand, last4 };
  return { approved: true, brand, last4 };
}

/** The rule in one sentence, for the pages and screens that tell a tester about it. */
export const TEST_AMOUNT_RULE =
  'With an approving card, an amount whose last two digits in minor units are 01, 05, 55, 65 or 75 declines ($10.01, ¥501, KWD 1.001).';

/** The decline an approving card meets for this amount (its last two digits as written, "01"), or null. */
export function testAmountDecline(amount: number): { digits: string; code: DeclineCode } | null {
  const ending = Math.abs(amount) % 100;
  const code = TEST_AMOUNT_ENDINGS[ending];
  return code ? { digits: String(ending).padStart(2, '0'), code } : null;
}
