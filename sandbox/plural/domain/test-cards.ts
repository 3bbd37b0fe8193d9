/**
 * The Plural emulator's test cards. The card decides: approved at once (frictionless), a 3-D Secure
 * challenge the customer completes or fails on the challenge page, or a decline. Any other number is
 * declined, so a real card number never "works" in the sandbox.
 */
import { cardBrand } from '../../../common/test-cards';
import type { Mode } from '../../core/context';

export type CardOutcome =
  { kind: 'approved' } | { kind: 'challenge' } | { kind: 'declined'; code: string; message: string };

export interface PluralTestCard {
  readonly number: string;
  readonly network: string;
  readonly cardType: 'CREDIT' | 'DEBIT';
  readonly issuer: string;
  readonly outcome: CardOutcome;
  readonly label: string;
}

const DECLINED: CardOutcome = {
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

const NETWORKS: Readonly<Record<string, string>> = {
  visa: 'VISA',
  mastercard: 'MASTERCARD',
  amex: 'AMEX',
  discover: 'DISCOVER',
  unknown: 'UNKNOWN',
};

const LIVE_DECLINED: CardOutcome = {
  kind: 'declined',
  code: 'PAYMENT_DECLINED',
  message: 'Test cards do not work in live mode: this sandbox emulates a live account.',
};

/**
 * The card's data as Plural reports it, and what happens when it pays. In live mode every card is
 * declined: the sandbox emulates a live account, which no test card pays (as PayPlug's does).
 */
export function decideCard(number: string, mode: Mode): PluralTestCard {
  const known = PLURAL_TEST_CARDS.find((card) => card.number === number);
  if (known) return mode === 'live' ? { ...known, outcome: LIVE_DECLINED } : known;
  return {
    number,
    network: NETWORKS[cardBrand(number)] ?? 'UNKNOWN',
    cardType: 'CREDIT',
    issuer: 'NONE',
    outcome:
      mode === 'live'
        ? LIVE_DECLINED
        : { kind: 'declined', code: 'PAYMENT_DECLINED', message: 'Not a sandbox test card: declined.' },
    label: 'Not a test card',
  };
}
