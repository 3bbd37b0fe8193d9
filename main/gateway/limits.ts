/**
 * What a gateway will refuse on a new payment, checked before anything is journaled: an input the
 * app can refuse at once must never leave a failed payment behind (issue 9 #14). Each gateway
 * states its own limits; lengths are counted the way that gateway counts them.
 */
import { formatAmount } from '../../common/money';

export interface PaymentLimits {
  /** Smallest and largest amount in minor units. */
  amount: { min: number; max: number };
  /** Currencies the gateway takes, upper case; null: any the app knows. */
  currencies: readonly string[] | null;
  /** Longest description, in the units the gateway counts. */
  description: { max: number; unit: 'utf16' | 'codepoints' };
  /**
   * The smallest refund it makes, in minor units. A partial refund that would leave less than this
   * is refused: what is left could never be refunded.
   */
  refund: { min: number };
  /** How long a saved card's id can be charged after it was saved, in months (absent: no limit). */
  savedCardMonths?: number;
}

export interface LimitIssue {
  path: string;
  message: string;
}

export function paymentLimitIssues(
  input: { amount: number; currency: string; description?: string | undefined },
  limits: PaymentLimits,
  gatewayName: string,
): LimitIssue[] {
  const issues: LimitIssue[] = [];
  const currency = input.currency.toUpperCase();
  if (limits.currencies && !limits.currencies.includes(currency)) {
    issues.push({ path: 'currency', message: `${gatewayName} takes ${limits.currencies.join(', ')} only` });
  } else if (input.amount < limits.amount.min) {
    issues.push({
      path: 'amount',
      message: `at least ${formatAmount(limits.amount.min, currency)} with ${gatewayName}`,
    });
  } else if (input.amount > limits.amount.max) {
    issues.push({
      path: 'amount',
      message: `at most ${formatAmount(limits.amount.max, currency)} with ${gatewayName}`,
    });
  }
  if (input.description !== undefined) {
    const length = limits.description.unit === 'utf16' ? input.description.length : [...input.description].length;
    if (length > limits.description.max) {
      issues.push({
        path: 'description',
        message: `too long for ${gatewayName}: at most ${limits.description.max} characters (emoji count as two)`,
      });
    }
  }
  return issues;
}
