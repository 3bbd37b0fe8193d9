import { useState, type ClipboardEvent, type ChangeEvent, type KeyboardEvent, type Ref } from 'react';
import { formatAmount, MAX_AMOUNT_MINOR, readMajorAmount } from '../../../common/money';
import { isKnownCurrency } from '../../../common/currencies';
import { pasteIssue } from '../store/selectors';
import { describedBy, Field } from './Field';

/** Cash-register entry: the digits typed so far, read as minor units (1,2,5,0 → 1250 → "€12.50"). */
export function minorFromTyped(text: string): number {
  const digits = text.replace(/\D/g, '');
  return digits ? Number(digits) : 0;
}

/** A minus typed: the hyphen-minus, the minus sign, or a dash a keyboard layout gives for it. */
const MINUS = /[-\u2212\u2013]/;

/** Whether typed text holds a minus: such an amount is shown with it and refused, never read as positive. */
export function typedNegative(text: string): boolean {
  return MINUS.test(text);
}

/**
 * A key typed into an amount field, read at the right end wherever the caret is: a digit shifts in
 * from the right, Backspace drops the last digit, Delete changes nothing. The new amount, or null
 * when the browser's own editing stands (a selection, which what is typed replaces; a modifier; a
 * key that is none of these; Backspace or Delete next to a minus, which removes it). Read
 * where the caret stood, a click in a filled field (its text is on the right, the caret lands
 * before "€") made Backspace remove nothing and a 1 typed turn €42.00 into €142.00; a caret in the
 * middle dropped a middle digit (€42.00 became €2.00).
 */
export function cashRegisterKey(event: KeyboardEvent<HTMLInputElement>, value: number): number | null {
  if (event.ctrlKey || event.metaKey || event.altKey || event.nativeEvent.isComposing) return null;
  const { selectionStart, selectionEnd } = event.currentTarget;
  if (selectionStart === null || selectionStart !== selectionEnd) return null;
  if (/^[0-9]$/.test(event.key)) return value * 10 + Number(event.key);
  // A minus next to the caret is the browser's to delete: the field asks for just that.
  const text = event.currentTarget.value;
  if (event.key === 'Backspace') return MINUS.test(text.charAt(selectionStart - 1)) ? null : Math.floor(value / 10);
  if (event.key === 'Delete') return MINUS.test(text.charAt(selectionStart)) ? null : value;
  return null;
}

/** What a field with a minus typed in it says: no amount entered here is ever negative. */
export const NEGATIVE_REFUSED = 'An amount cannot be negative: delete the minus sign.';

/**
 * An amount field that always shows the formatted amount. Digits are typed cash-register style
 * (each one shifts in from the right, Backspace drops the last one, wherever the caret is: see
 * `cashRegisterKey`); a pasted "12.50" is read in
 * major units. The value is an integer of minor units.
 *
 * `max` is what this action allows (what is left to capture or refund, the gateway's largest
 * payment): an amount above it is shown as typed and flagged, and the screen refuses it. Keeping
 * the previous value instead would turn a digit typed by mistake (400.01 on a 400.00 capture, a 9th
 * nine on a $999,999.99 payment) into a silent smaller amount that one more Enter would take. A
 * digit is refused only past what a number holds exactly, where what is shown is already far over
 * any limit. While the field shows its own error (over `max`, or a refused keystroke or paste) the
 * input is marked `data-refused`, and a form sends nothing while one is (see `refusedField`).
 *
 * A minus typed is kept on screen ("−€0.01") and refused on the field until it is deleted: read
 * as digits only, "-1" used to become a silent €0.01 (found on a refund). The one home of this rule:
 * every amount the cashier types (Create payment and its split shares — which keep their own row layout and reuse
 * `typedNegative` —, Capture, Refund, tips, settlements, the counted cash).
 */
export function AmountInput({
  id,
  label,
  value,
  currency,
  onChange,
  error,
  hint,
  disabled,
  max = MAX_AMOUNT_MINOR,
  inputRef,
  focusFirst,
}: {
  id: string;
  label: string;
  value: number;
  currency: string;
  onChange(minor: number): void;
  error?: string | null;
  hint?: string;
  disabled?: boolean;
  max?: number;
  inputRef?: Ref<HTMLInputElement>;
  /** Marks the field as the screen's first stop (App focuses it when the screen opens). */
  focusFirst?: boolean;
}) {
  const [localError, setLocalError] = useState<string | null>(null);
  const [negative, setNegative] = useState(false);
  const known = isKnownCurrency(currency);
  const format = (minor: number) => (known ? formatAmount(minor, currency) : String(minor));
  const overMax = value > max ? `The amount can be at most ${format(max)}.` : null;
  const shownError = (negative ? NEGATIVE_REFUSED : null) ?? localError ?? overMax ?? error ?? null;
  const fullHint = hint ?? `Type the digits: 1 2 5 0 gives ${format(1250)}. Backspace removes the last digit.`;

  const accept = (minor: number) => {
    if (!Number.isSafeInteger(minor)) {
      setLocalError(`The amount can be at most ${format(Math.min(max, MAX_AMOUNT_MINOR))}.`);
      return;
    }
    setLocalError(null);
    onChange(minor);
  };

  const onInput = (event: ChangeEvent<HTMLInputElement>) => {
    setNegative(typedNegative(event.target.value));
    accept(minorFromTyped(event.target.value));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const next = cashRegisterKey(event, value);
    if (next === null) return;
    event.preventDefault();
    accept(next);
  };

  const onPaste = (event: ClipboardEvent<HTMLInputElement>) => {
    event.preventDefault();
    const text = event.clipboardData.getData('text');
    if (!known) return;
    // Read as typing reads it: an amount over the limit is shown as pasted and marked with the
    // cashier's limit (not the app's ceiling in minor units); zero and junk are refused.
    const parsed = readMajorAmount(text, currency);
    const refused = pasteIssue('amount', parsed);
    if (refused || !parsed.ok) setLocalError(refused);
    else {
      // A paste replaces what the field held, a minus typed before included.
      setNegative(false);
      accept(parsed.minor);
    }
  };

  return (
    <Field id={id} label={label} hint={fullHint} error={shownError} className="field--amount">
      <input
        {...describedBy(id, fullHint, shownError)}
        ref={inputRef}
        className="amount-input"
        type="text"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        placeholder={format(0)}
        value={`${negative ? '\u2212' : ''}${value === 0 ? '' : format(value)}`}
        onChange={onInput}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
        disabled={disabled}
        data-autofocus={focusFirst ? '' : undefined}
        data-refused={negative || localError || overMax ? '' : undefined}
      />
    </Field>
  );
}

/**
 * The first amount field in `form` showing its own error (over its limit, or a refused keystroke
 * or paste next to an amount left as it was): the form must not send that amount.
 */
export function refusedField(form: ParentNode | null | undefined): HTMLElement | null {
  return form?.querySelector<HTMLElement>('[data-refused]') ?? null;
}
