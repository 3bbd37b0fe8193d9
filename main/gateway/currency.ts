/**
 * A currency as a gateway's answer names it. One the till does not know (ISO 4217, any case) makes
 * the answer unreadable on arrival, said with what was sent, like any other malformed field: found
 * by a fuzz test whose garbled create answer named "SUCCEEDED ", which failed the host ("internal")
 * when it formatted the amount to say why the answer was not the payment's.
 */
import { z } from 'zod';
import { isKnownCurrency } from '../../common/currencies';

export const GatewayCurrency = z.string().refine(isKnownCurrency, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a currency the till knows`,
});
