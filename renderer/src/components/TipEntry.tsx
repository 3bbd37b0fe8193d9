import { useState } from 'react';
import { tipOptions, type TipChoice } from '../../../common/tips';
import { money } from '../lib/format';
import { AmountInput, refusedField } from './AmountInput';

/**
 * The cashier's tip keys for a payment waiting for its tip (no customer display, or the customer
 * says it aloud): the presets with their amounts, no tip, or a custom amount.
 */
export function TipEntry({
  amount,
  currency,
  presets,
  disabled,
  onChoose,
}: {
  /** Before the tip, minor units. */
  amount: number;
  currency: string;
  presets: readonly number[];
  disabled: boolean;
  onChoose(choice: TipChoice): void;
}) {
  const [custom, setCustom] = useState(0);
  const options = safeOptions(amount, currency, presets);
  return (
    <div className="tip-entry" role="group" aria-label="Tip typed by the cashier">
      <div className="actions">
        {options.map((option) => (
          <button
            key={option.percent}
            type="button"
            disabled={disabled}
            onClick={() => onChoose({ kind: 'percent', percent: option.percent })}
          >
            {option.percent} % ({money(option.tip, currency)})
          </button>
        ))}
        <button type="button" disabled={disabled} onClick={() => onChoose({ kind: 'none' })}>
          No tip
        </button>
      </div>
      <form
        className="inline-fields"
        onSubmit={(event) => {
          event.preventDefault();
          const refused = refusedField(event.currentTarget);
          if (refused) return refused.focus();
          onChoose(custom > 0 ? { kind: 'custom', amount: custom } : { kind: 'none' });
        }}
      >
        <AmountInput
          id="tip-custom"
          label="Custom tip"
          value={custom}
          currency={currency}
          onChange={setCustom}
          hint={`Total ${money(amount + custom, currency)}`}
          disabled={disabled}
        />
        <button type="submit" disabled={disabled}>
          Add tip
        </button>
      </form>
    </div>
  );
}

/** The preset buttons, none when the amount or currency makes them impossible. */
function safeOptions(amount: number, currency: string, presets: readonly number[]) {
  try {
    return tipOptions(amount, currency, presets);
  } catch {
    return [];
  }
}
