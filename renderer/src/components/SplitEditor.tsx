import { useEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import type { CommandError } from '../../../common/contract';
import { isKnownCurrency } from '../../../common/currencies';
import { MAX_AMOUNT_MINOR, readMajorAmount } from '../../../common/money';
import { merchantName } from '../../../common/split-merchants';
import { usePos } from '../store/context';
import { draftCurrency, pasteIssue, splitMerchants, splitRemainder } from '../store/selectors';
import type { DraftSplit } from '../store/types';
import { money } from '../lib/format';
import { fieldSentence, issueFor } from '../lib/errors';
import { cashRegisterKey, minorFromTyped, NEGATIVE_REFUSED, typedNegative } from './AmountInput';

/** Insert (or Alt+N) adds a share below the current one; Ctrl+Delete removes the current one. */
const ADD_KEYS = 'Insert Alt+N';
const REMOVE_KEYS = 'Control+Delete';

/**
 * The split editor (gateways with split settlement): the merchants a payment is shared between,
 * one row each — merchant id, optional settlement reference, share, and "hold" (settled only when
 * released on Transactions → Settlements). Keyboard first: a new row starts with what is left to
 * share and takes the focus; what is left is announced as it changes; Charge waits until the
 * shares add up to the amount.
 */
export function SplitEditor({ error }: { error: CommandError | null }) {
  const draft = usePos((s) => s.ui.draft);
  const currency = usePos(draftCurrency);
  const setRows = usePos((s) => s.setSplits);
  // The most a share can be: a share past it is shown as typed and marked, as the Amount field does
  // (found by a UI hunt: it was cut to this silently, "99999999999999" pasted read ₹10,00,000.00).
  const maxShare = usePos((s) => Math.min(s.host.gateway?.limits.amountMax ?? MAX_AMOUNT_MINOR, MAX_AMOUNT_MINOR));
  const overMaxText = `The share can be at most ${money(maxShare, currency)}.`;
  const rows = draft.splits;
  // The merchants saved in Settings: offered on each row's merchant id, their name shown beside it.
  const merchants = usePos(splitMerchants);
  const merchantInputs = useRef(new Map<number, HTMLInputElement>());
  const addButton = useRef<HTMLButtonElement>(null);
  /** Where the focus goes once the rows re-render: a row's merchant id, or the add button. */
  const focusNext = useRef<number | 'add' | null>(null);
  /** A refused paste, by row key: the share is left as it was and the row says why. */
  const [pasteErrors, setPasteErrors] = useState<Record<number, string>>({});
  /**
   * The rows whose share has a minus typed in it: shown with it and refused until it is deleted, as
   * every amount field does (read as digits only, "-200" was a silent ₹2.00 share that could add up).
   */
  const [negatives, setNegatives] = useState<ReadonlySet<number>>(() => new Set());
  const setNegative = (key: number, negative: boolean) =>
    setNegatives((keys) => {
      if (keys.has(key) === negative) return keys;
      const next = new Set(keys);
      if (negative) next.add(key);
      else next.delete(key);
      return next;
    });

  useEffect(() => {
    const target = focusNext.current;
    if (target === null) return;
    focusNext.current = null;
    if (target === 'add') addButton.current?.focus();
    else merchantInputs.current.get(target)?.focus();
  });

  const left = splitRemainder(draft);

  const add = (after: number = rows.length - 1) => {
    const key = rows.reduce((max, row) => Math.max(max, row.key), 0) + 1;
    const row: DraftSplit = { key, merchantId: '', settlementReference: '', amount: Math.max(left, 0), onHold: false };
    focusNext.current = key;
    setRows([...rows.slice(0, after + 1), row, ...rows.slice(after + 1)]);
  };

  const remove = (index: number) => {
    const next = rows.filter((_, i) => i !== index);
    focusNext.current = next.length === 0 ? 'add' : next[Math.max(0, index - 1)]!.key;
    setRows(next);
  };

  const change = (index: number, patch: Partial<DraftSplit>) =>
    setRows(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));

  const setPasteError = (key: number, message: string | null) =>
    setPasteErrors(({ [key]: _, ...others }) => (message ? { ...others, [key]: message } : others));

  /** A pasted share is read in major units, as the Amount field reads one ("300" is ₹300.00, not ₹3.00). */
  const onSharePaste = (index: number, key: number) => (event: ClipboardEvent<HTMLInputElement>) => {
    event.preventDefault();
    if (!isKnownCurrency(currency)) return;
    const parsed = readMajorAmount(event.clipboardData.getData('text'), currency);
    const refused = pasteIssue('share', parsed);
    if (refused || !parsed.ok) setPasteError(key, refused);
    // Past what a number holds exactly: left as it was (what is shown is far over any limit anyway).
    else if (!Number.isSafeInteger(parsed.minor)) setPasteError(key, overMaxText);
    else {
      setPasteError(key, null);
      // A paste replaces what the share held, a minus typed before included.
      setNegative(key, false);
      change(index, { amount: parsed.minor });
    }
  };

  const onRowKey = (index: number) => (event: KeyboardEvent<HTMLTableRowElement>) => {
    if (event.key === 'Insert' || (event.altKey && (event.key === 'n' || event.key === 'N'))) {
      event.preventDefault();
      add(index);
    } else if (event.ctrlKey && event.key === 'Delete') {
      event.preventDefault();
      remove(index);
    }
  };

  const held = rows.filter((row) => row.onHold).length;
  const sumIssue = error?.issues?.find((issue) => issue.path === 'splits');
  const sumError = sumIssue ? fieldSentence(sumIssue.path, sumIssue.message) : null;
  const remainderText =
    rows.length === 0
      ? 'Not split: the whole payment is settled to this account.'
      : left === 0
        ? `The shares add up to ${money(draft.amount, currency)}${held > 0 ? ` (${held} held)` : ''}.`
        : left > 0
          ? `${money(left, currency)} left to share.`
          : `The shares are ${money(-left, currency)} more than the amount.`;

  return (
    <fieldset className="field split-editor" aria-describedby="split-help">
      <legend>Split between merchants</legend>
      <p id="split-help" className="muted">
        Optional. Each merchant gets their share; a held share waits until you release it (Transactions, F5 →
        Settlements). In a row: Insert or Alt+N adds a share, Ctrl+Delete removes it.
      </p>
      {rows.length > 0 ? (
        <table className="split-editor__rows">
          <thead>
            <tr>
              <th scope="col">Merchant id</th>
              <th scope="col">Settlement reference (optional)</th>
              <th scope="col">Share</th>
              <th scope="col">Hold</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const n = index + 1;
              const at = `splits.${index}`;
              const errors = {
                merchantId: issueFor(error, `${at}.merchantId`),
                settlementReference: issueFor(error, `${at}.settlementReference`),
                amount:
                  (negatives.has(row.key) ? NEGATIVE_REFUSED : null) ??
                  pasteErrors[row.key] ??
                  (row.amount > maxShare ? overMaxText : null) ??
                  issueFor(error, `${at}.amount`),
              };
              const described = (field: keyof typeof errors) =>
                errors[field] ? { 'aria-invalid': true, 'aria-describedby': `split-${row.key}-${field}-error` } : {};
              const name = merchantName(merchants, row.merchantId.trim());
              const nameId = `split-${row.key}-merchant-name`;
              const message = (field: keyof typeof errors) =>
                errors[field] ? (
                  <p className="field__error" id={`split-${row.key}-${field}-error`}>
                    {errors[field]}
                  </p>
                ) : null;
              return (
                <tr key={row.key} onKeyDown={onRowKey(index)} aria-keyshortcuts={`${ADD_KEYS} ${REMOVE_KEYS}`}>
                  <td>
                    <input
                      ref={(element) => {
                        if (element) merchantInputs.current.set(row.key, element);
                        else merchantInputs.current.delete(row.key);
                      }}
                      type="text"
                      aria-label={`Share ${n} merchant id`}
                      autoComplete="off"
                      spellCheck={false}
                      maxLength={50}
                      list={merchants.length > 0 ? 'split-merchants' : undefined}
                      value={row.merchantId}
                      onChange={(e) => change(index, { merchantId: e.target.value })}
                      {...(errors.merchantId ? { 'aria-invalid': true } : {})}
                      aria-describedby={
                        [name ? nameId : null, errors.merchantId ? `split-${row.key}-merchantId-error` : null]
                          .filter(Boolean)
                          .join(' ') || undefined
                      }
                    />
                    {/* The merchant's name in Settings, for the id typed or chosen. */}
                    {name ? (
                      <p className="split-editor__merchant" id={nameId}>
                        {name}
                      </p>
                    ) : null}
                    {message('merchantId')}
                  </td>
                  <td>
                    <input
                      type="text"
                      aria-label={`Share ${n} settlement reference`}
                      autoComplete="off"
                      maxLength={50}
                      value={row.settlementReference}
                      onChange={(e) => change(index, { settlementReference: e.target.value })}
                      {...described('settlementReference')}
                    />
                    {message('settlementReference')}
                  </td>
                  <td>
                    <input
                      type="text"
                      className="amount-input"
                      inputMode="numeric"
                      aria-label={`Share ${n} amount`}
                      autoComplete="off"
                      spellCheck={false}
                      placeholder={money(0, currency)}
                      value={`${negatives.has(row.key) ? '\u2212' : ''}${row.amount === 0 ? '' : money(row.amount, currency)}`}
                      onChange={(e) => {
                        setNegative(row.key, typedNegative(e.target.value));
                        const minor = minorFromTyped(e.target.value);
                        // A digit past what a number holds exactly is refused, the share left as it was.
                        if (!Number.isSafeInteger(minor)) return setPasteError(row.key, overMaxText);
                        setPasteError(row.key, null);
                        change(index, { amount: minor });
                      }}
                      onKeyDown={(e) => {
                        const next = cashRegisterKey(e, row.amount);
                        if (next === null) return;
                        e.preventDefault();
                        // As typing reads it (onChange): past the most, shown as typed and marked, never cut.
                        if (!Number.isSafeInteger(next)) return setPasteError(row.key, overMaxText);
                        setPasteError(row.key, null);
                        change(index, { amount: next });
                      }}
                      onPaste={onSharePaste(index, row.key)}
                      data-refused={
                        pasteErrors[row.key] || negatives.has(row.key) || row.amount > maxShare ? '' : undefined
                      }
                      {...described('amount')}
                    />
                    {message('amount')}
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Share ${n} on hold`}
                      checked={row.onHold}
                      onChange={(e) => change(index, { onHold: e.target.checked })}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Remove share ${n}`}
                      aria-keyshortcuts={REMOVE_KEYS}
                      onClick={() => remove(index)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {merchants.length > 0 ? (
        <datalist id="split-merchants">
          {merchants.map((merchant) => (
            <option key={merchant.id} value={merchant.id} label={merchant.name}>
              {merchant.name}
            </option>
          ))}
        </datalist>
      ) : null}
      <p
        className={`split-editor__remainder${rows.length > 0 && left !== 0 ? ' split-editor__remainder--open' : ''}`}
        aria-live="polite"
        id="split-remainder"
      >
        {remainderText}
      </p>
      {sumError ? <p className="field__error">{sumError}</p> : null}
      <div className="actions">
        <button type="button" ref={addButton} aria-keyshortcuts={ADD_KEYS} onClick={() => add()}>
          {rows.length === 0 ? 'Split between merchants' : 'Add a share'}
        </button>
      </div>
    </fieldset>
  );
}
