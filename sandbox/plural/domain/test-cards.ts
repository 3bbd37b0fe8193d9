/**
 * What a card attempt on the Plural emulator gives, from Plural's test cards (their table is
 * common/plural-test-cards.ts, which the host's Simulate screen also offers). Any other number is
 * declined, so a real card number never "works" in the sandbox.
 */
import { PLURAL_TEST_CARDS, type PluralCardOutcome, type PluralTestCard } from '../../../common/plural-test-cards';
import { cardBrand } from '../../../common/test-cards';
import type { Mode } from '../../core/context';

const NETWORKS: Readonly<Record<string, string>> = {
  visa: 'VISA',
  mastercard: 'MASTERCARD',
  amex: 'AMEX',
  discover: 'DISCOVER',
  unknown: 'UNKNOWN',
};

const LIVE_DECLINED: PluralCardOutcome = {
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
