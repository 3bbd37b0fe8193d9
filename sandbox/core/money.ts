/**
 * amount_formatted on every money object. common/money.ts builds an Intl.NumberFormat per call,
 * which costs tens of microseconds; lists of 100 objects and the create-payment benchmark would pay
 * that on every response, so results are memoised (bounded: the cache is dropped when it fills).
 */
import { formatAmount } from '../../common/money';

const cache = new Map<string, string>();
const LIMIT = 10_000;

export function formatted(amount: number, currency: string): string {
  const key = `${currency}:${amount}`;
  let text = cache.get(key);
  if (text === undefined) {
    text = formatAmount(amount, currency);
    if (cache.size >= LIMIT) cache.clear();
    cache.set(key, text);
  }
  return text;
}
