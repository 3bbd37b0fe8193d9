/**
 * Plural's test cards, as the app's Plural sandbox knows them (docs/sandbox-plural.md): the one home
 * of the table. The sandbox decides a payment with it; the host names it to the Simulate screen. The
 * card decides: approved at once (frictionless), a 3-D Secure challenge the customer completes or
 * fails on the challenge page, or a decline. Any other number is declined there.
 */

export type PluralCardOutcome =
  { kind: 'approved' } | { kind: 'challenge' } | { kind: 'declined'; code: string; message: string };

export interface PluralTestCard {
  readonly number: string;
  readonly network: string;
  readonly cardType: 'CREDIT' | 'DEBIT';
  readonly issuer: string;
  readonly outcome: PluralCardOutcome;
  readonly label: string;
}

const DECLINED: PluralCardOutcome = {
  kind: 'declined',
  code: 'PAYMENT_DECLINED',
  message: 'The issuer declined the payment.',
};

export const PLURAL_TEST_CARDS: readonly PluralTestCard[] = [
  {
    number: '4111111111111111',
    network: 'VISA',
    cardType: 'CREDIT',
    issuer: 'HDFC',
    outcome: { kind: 'approved' },
    label: 'Visa credit — approved without a challenge',
  },
  {
    number: '5555555555554444',
    network: 'MASTERCARD',
    cardType: 'DEBIT',
    issuer: 'ICICI',
    outcome: { kind: 'approved' },
    label: 'Mastercard debit — approved without a challenge',
  },
  {
    number: '4000000000001091',
    network: 'VISA',
    cardType: 'CREDIT',
    issuer: 'KOTAK',
    outcome: { kind: 'challenge' },
    label: 'Visa credit — 3-D Secure challenge',
  },
  {
    number: '5200000000001096',
    network: 'MASTERCARD',
    cardType: 'CREDIT',
    issuer: 'AXIS',
    outcome: { kind: 'challenge' },
    label: 'Mastercard credit — 3-D Secure challenge',
  },
  {
    number: '4000000000000002',
    network: 'VISA',
    cardType: 'CREDIT',
    issuer: 'HDFC',
    outcome: DECLINED,
    label: 'Declined',
  },
  {
    number: '4000000000009995',
    network: 'VISA',
    cardType: 'DEBIT',
    issuer: 'SBI',
    outcome: { kind: 'declined', code: 'INSUFFICIENT_FUNDS', message: 'The card has insufficient funds.' },
    label: 'Declined — insufficient funds',
  },
];

export const DEFAULT_PLURAL_CARD = '4111111111111111';
