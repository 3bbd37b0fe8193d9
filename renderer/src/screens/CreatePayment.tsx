import { useMemo, type FormEvent } from 'react';
import { CURRENCIES } from '../../../common/currencies';
import { AmountInput } from '../components/AmountInput';
import { ErrorBox } from '../components/ErrorBox';
import { describedBy, Field } from '../components/Field';
import { usePos } from '../store/context';
import { defaultReader, draftCurrency } from '../store/selectors';
import { currencyName, money } from '../lib/format';
import { issueFor } from '../lib/errors';
import { useKey } from '../lib/hooks';

const FIELD_PATHS = [
  'amount',
  'currency',
  'description',
  'orderReference',
  'captureMethod',
  'customerId',
  'receiptEmail',
];

export function CreatePayment() {
  const draft = usePos((s) => s.ui.draft);
  const currency = usePos(draftCurrency);
  const error = usePos((s) => s.ui.createError);
  const busy = usePos((s) => s.busy.create === true);
  const connection = usePos((s) => s.link.connection);
  const reader = usePos(defaultReader);
  const updateDraft = usePos((s) => s.updateDraft);
  const resetDraft = usePos((s) => s.resetDraft);
  const charge = usePos((s) => s.charge);

  const currencyOptions = useMemo(
    () => CURRENCIES.map((c) => ({ code: c.code, label: `${c.code} — ${currencyName(c.code)}` })),
    [],
  );

  // Esc clears the form (nothing has been sent yet on this screen).
  useKey('Escape', () => {
    if (!busy) resetDraft();
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void charge();
  };

  const disconnected = connection !== 'open';
  const err = (path: string) => issueFor(error, path);
  const summary = draft.amount
    ? `${money(draft.amount, currency)}${reader ? ` on ${reader.label}` : ' (no reader online: it will be created, then you pick a reader)'}`
    : reader
      ? `Goes to ${reader.label}.`
      : 'No reader is online: the payment will be created, then you pick a reader.';

  return (
    <form className="screen screen--create" onSubmit={submit} noValidate aria-labelledby="create-title">
      <h1 id="create-title" tabIndex={-1}>
        Create payment
      </h1>
      <div className="form-grid">
        <div className="form-col">
          <AmountInput
            id="amount"
            label="Amount"
            value={draft.amount}
            currency={currency}
            onChange={(amount) => updateDraft({ amount })}
            error={err('amount')}
            focusFirst
          />
          <Field id="currency" label="Currency" error={err('currency')}>
            <select
              {...describedBy('currency', null, err('currency'))}
              value={currency}
              onChange={(e) => updateDraft({ currency: e.target.value })}
            >
              {currencyOptions.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.label}
                </option>
              ))}
            </select>
          </Field>
          <fieldset className="field radio-group">
            <legend>Capture</legend>
            <label className="radio">
              <input
                type="radio"
                name="captureMethod"
                value="automatic"
                checked={draft.captureMethod === 'automatic'}
                onChange={() => updateDraft({ captureMethod: 'automatic' })}
              />
              Automatic (charge now)
            </label>
            <label className="radio">
              <input
                type="radio"
                name="captureMethod"
                value="manual"
                checked={draft.captureMethod === 'manual'}
                onChange={() => updateDraft({ captureMethod: 'manual' })}
              />
              Manual (authorise now, capture later)
            </label>
          </fieldset>
        </div>
        <div className="form-col">
          <Field id="description" label="Description" error={err('description')}>
            <input
              {...describedBy('description', null, err('description'))}
              type="text"
              maxLength={500}
              value={draft.description}
              onChange={(e) => updateDraft({ description: e.target.value })}
            />
          </Field>
          <Field
            id="orderReference"
            label="Order reference"
            hint="Leave empty to use the one shown. The same reference never charges twice."
            error={err('orderReference')}
          >
            <input
              {...describedBy('orderReference', true, err('orderReference'))}
              type="text"
              autoComplete="off"
              maxLength={64}
              placeholder={draft.autoReference}
              value={draft.orderReference}
              onChange={(e) => updateDraft({ orderReference: e.target.value })}
            />
          </Field>
          <Field id="customerId" label="Customer id (optional)" error={err('customerId')}>
            <input
              {...describedBy('customerId', null, err('customerId'))}
              type="text"
              autoComplete="off"
              value={draft.customerId}
              onChange={(e) => updateDraft({ customerId: e.target.value })}
            />
          </Field>
          <Field id="receiptEmail" label="Receipt email (optional)" error={err('receiptEmail')}>
            <input
              {...describedBy('receiptEmail', null, err('receiptEmail'))}
              type="email"
              autoComplete="off"
              value={draft.receiptEmail}
              onChange={(e) => updateDraft({ receiptEmail: e.target.value })}
            />
          </Field>
        </div>
      </div>
      <ErrorBox error={error} shownPaths={FIELD_PATHS} title="Not charged." />
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={busy || disconnected}
          aria-busy={busy}
          aria-describedby="charge-summary"
        >
          Charge
        </button>
        <span className="key-hint" aria-hidden="true">
          Enter
        </span>
        <p id="charge-summary" className="summary">
          {busy ? 'Charging…' : disconnected ? 'Not connected to the host.' : summary}
        </p>
      </div>
      <p className="key-hints">Enter charges · Esc clears the form</p>
    </form>
  );
}
