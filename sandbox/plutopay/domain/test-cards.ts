/**
 * How the PlutoPay emulator decides a card: the shared test-card rules (`common/test-cards.ts`) in
 * test mode. In live mode every card is declined: the sandbox emulates a live account, which no test
 * card pays (as PayPlug's and Plural's do).
 */
import { declineInfo, type DeclineCode } from '../../../common/decline-codes';
import { decideTestOutcome, type CardBrand } from '../../../common/test-cards';
import type { Mode } from '../../core/context';

export type CardDecision =
  | { approved: true; brand: CardBrand; last4: string }
  | { approved: false; code: DeclineCode; message: string; brand: CardBrand; last4: string };

export const LIVE_MODE_DECLINE_MESSAGE = 'Test cards do not work in live mode: this sandbox emulates a live account.';

/** The outcome of `cardNumber` paying `amount` in `mode`; a decline carries its `failure_message`. */
export function decideCard(amount: number, cardNumber: string, mode: Mode): CardDecision {
  const outcome = decideTestOutcome(amount, cardNumber);
  const { brand, last4 } = outcome;
  if (mode === 'live')
    return { approved: false, code: 'card_declined', message: LIVE_MODE_DECLINE_MESSAGE, brand, last4 };
  if (outcome.approved) return outcome;
  return { ...outcome, message: declineInfo(outcome.code).gateway };
}
