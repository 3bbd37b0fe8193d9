/**
 * How PlutoPay spells an amount in its JSON: minor units plus the same amount formatted for
 * people, always together (transactions, refunds, checkout sessions, payouts, disputes). The
 * currency stays with the caller because each object puts it in its own place, and key order is
 * part of what the emulator answers. PayPlug has no formatted amount, so this is PlutoPay's alone.
 */
import { formatted } from '../../core/money';

export interface AmountJson {
  amount: number;
  amount_formatted: string;
}

export function amountJson(money: { readonly amount: number; readonly currency: string }): AmountJson {
  return { amount: money.amount, amount_formatted: formatted(money.amount, money.currency) };
}
