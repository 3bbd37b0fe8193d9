import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CommandError, SettingsView } from '../../../common/contract';
import {
  MAX_SPLIT_MERCHANT_NAME,
  MAX_SPLIT_MERCHANTS,
  SPLIT_MERCHANT_ID,
  SPLIT_MERCHANT_ID_TEXT,
} from '../../../common/split-merchants';
import { ErrorBox } from './ErrorBox';
import { LiveRegion } from './LiveRegion';
import { usePos } from '../store/context';
import { fieldSentence, followRows, issueFor, withoutIssues } from '../lib/errors';
import { useFocusFirstInvalid } from '../lib/hooks';

interface Row {
  key: number;
  id: string;
  name: string;
}

type Issue = { path: string; message: string };

const rowsOf = (merchants: SettingsView['splitMerchants']): Row[] =>
  merchants.map((merchant, index) => ({ key: index + 1, id: merchant.id, name: merchant.name }));

/** A row left empty is no merchant: dropped when saved, never refused. */
const filled = (row: Row) => row.id.trim() !== '' || row.name.trim() !== '';

/** The rows checked as the host will, in the cashier's words, by the row's place among the filled ones. */
export function splitMerchantIssues(rows: readonly Pick<Row, 'id' | 'name'>[]): Issue[] {
  const issues: Issue[] = [];
  const ids = rows.map((row) => row.id.trim());
  rows.forEach((row, index) => {
    const at = `splitMerchants.${index}`;
    const id = ids[index]!;
    const first = ids.indexOf(id);
    if (!SPLIT_MERCHANT_ID.test(id)) issues.push({ path: `${at}.id`, message: SPLIT_MERCHANT_ID_TEXT });
    else if (first < index)
      issues.push({ path: `${at}.id`, message: `Merchant ${id} is already in the list: each merchant once.` });
    const name = row.name.trim();
    if (name === '') issues.push({ path: `${at}.name`, message: 'Give the merchant a name, e.g. Stall 7 — Noodles.' });
    else if (name.length > MAX_SPLIT_MERCHANT_NAME)
      issues.push({ path: `${at}.name`, message: `The name can be at most ${MAX_SPLIT_MERCHANT_NAME} characters.` });
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001F\u007F-\u009F]/.test(name))
      issues.push({ path: `${at}.name`, message: 'The name is one line of text.' });
  });
  if (rows.length > MAX_SPLIT_MERCHANTS)
    issues.push({ path: 'splitMerchants', message: `The till keeps at most ${MAX_SPLIT_MERCHANTS} merchants.` });
  return issues;
}

/**
 * Settings → Merchants for split payments (gateways with split settlement): the merchants the till
 * shares payments with, each its id with the gateway and the shop's name for it. The split editor
 * offers them, and the screens show the name beside the id. Saved as a whole with its own button.
 */
export function SplitMerchantsForm({ settings }: { settings: SettingsView }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy.splitMerchants === true);
  const [rows, setRows] = useState<Row[]>(() => rowsOf(settings.splitMerchants));
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { form, refused } = useFocusFirstInvalid(error);
  const idInputs = useRef(new Map<number, HTMLInputElement>());
  const addButton = useRef<HTMLButtonElement>(null);
  /** Where the focus goes once the rows re-render: a row's merchant id, or the add button. */
  const focusNext = useRef<number | 'add' | null>(null);
  useEffect(() => {
    const target = focusNext.current;
    if (target === null) return;
    focusNext.current = null;
    if (target === 'add') addButton.current?.focus();
    else idInputs.current.get(target)?.focus();
  });

  const full = rows.length >= MAX_SPLIT_MERCHANTS;
  const add = () => {
    const key = rows.reduce((max, row) => Math.max(max, row.key), 0) + 1;
    focusNext.current = key;
    setDone(null);
    setRows([...rows, { key, id: '', name: '' }]);
  };
  const remove = (index: number) => {
    const next = rows.filter((_, i) => i !== index);
    focusNext.current = next.length === 0 ? 'add' : next[Math.max(0, index - 1)]!.key;
    setDone(null);
    setRows(next);
    setError((was) => was && followRows(was, 'splitMerchants', (i) => (i === index ? null : i > index ? i - 1 : i)));
  };
  const change = (index: number, field: 'id' | 'name', value: string) => {
    setDone(null);
    setRows(rows.map((row, i) => (i === index ? { ...row, [field]: value } : row)));
    setError((was) => withoutIssues(was, [`splitMerchants.${index}.${field}`]));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    // Empty rows go first, so each issue names the row it is shown on.
    const kept = rows.filter(filled);
    if (kept.length !== rows.length) setRows(kept);
    const issues = splitMerchantIssues(kept);
    if (issues.length > 0) {
      refused();
      setError({ code: 'validation', message: 'Check the merchants.', issues });
      return;
    }
    setError(null);
    const result = await run(
      'settings.update',
      { splitMerchants: kept.map((row) => ({ id: row.id.trim(), name: row.name.trim() })) },
      'splitMerchants',
    );
    if (result.ok) {
      setRows(rowsOf(result.value.splitMerchants));
      const count = result.value.splitMerchants.length;
      setDone(count === 0 ? 'Merchants saved: none.' : `Merchants saved (${count}).`);
    } else {
      refused();
      setError(result.error);
    }
  };

  const listIssue = error?.issues?.find((issue) => issue.path === 'splitMerchants');
  const listError = listIssue ? fieldSentence(listIssue.path, listIssue.message) : null;
  return (
    <form
      ref={form}
      aria-labelledby="split-merchants-title"
      onSubmit={(e) => void submit(e)}
      noValidate
      className="settings-form"
    >
      <h2 id="split-merchants-title">Merchants for split payments</h2>
      <p className="muted" id="split-merchants-help">
        The merchants this till shares payments with: Create payment offers them when you split a payment, and the
        screens show their names beside their ids. The id is the merchant&apos;s with the gateway (1–50 letters, digits,
        . _ -); the name is only the till&apos;s.
      </p>
      {rows.length > 0 ? (
        <table className="split-editor__rows">
          <thead>
            <tr>
              <th scope="col">Merchant id</th>
              <th scope="col">Name</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const n = index + 1;
              const errors = {
                id: issueFor(error, `splitMerchants.${index}.id`),
                name: issueFor(error, `splitMerchants.${index}.name`),
              };
              const described = (field: 'id' | 'name') =>
                errors[field] ? { 'aria-invalid': true, 'aria-describedby': `merchant-${row.key}-${field}-error` } : {};
              const message = (field: 'id' | 'name') =>
                errors[field] ? (
                  <p className="field__error" id={`merchant-${row.key}-${field}-error`}>
                    {errors[field]}
                  </p>
                ) : null;
              return (
                <tr key={row.key}>
                  <td>
                    <input
                      ref={(element) => {
                        if (element) idInputs.current.set(row.key, element);
                        else idInputs.current.delete(row.key);
                      }}
                      type="text"
                      aria-label={`Merchant ${n} id`}
                      autoComplete="off"
                      spellCheck={false}
                      maxLength={50}
                      placeholder="e.g. 1324"
                      value={row.id}
                      onChange={(e) => change(index, 'id', e.target.value)}
                      {...described('id')}
                    />
                    {message('id')}
                  </td>
                  <td>
                    <input
                      type="text"
                      aria-label={`Merchant ${n} name`}
                      autoComplete="off"
                      maxLength={MAX_SPLIT_MERCHANT_NAME}
                      placeholder="e.g. Stall 7 — Noodles"
                      value={row.name}
                      onChange={(e) => change(index, 'name', e.target.value)}
                      {...described('name')}
                    />
                    {message('name')}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Remove merchant ${n}`}
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
      ) : (
        <p className="empty">No merchants yet: the cashier types each merchant&apos;s id.</p>
      )}
      {listError ? <p className="field__error">{listError}</p> : null}
      {full ? <p className="muted">The till keeps at most {MAX_SPLIT_MERCHANTS} merchants.</p> : null}
      <ErrorBox error={error} shownPaths={['splitMerchants']} title="Not saved." />
      <LiveRegion>{done}</LiveRegion>
      <div className="actions">
        <button type="button" ref={addButton} disabled={full} onClick={add}>
          Add a merchant
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save merchants
        </button>
      </div>
    </form>
  );
}
