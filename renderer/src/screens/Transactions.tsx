import { Breakable } from '../components/Breakable';
import { TakenAmount } from '../components/TakenAmount';
import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type {
  NotSentReason,
  DisputeList,
  InstallmentPlanView,
  CommandError,
  CommandInput,
  PaymentView,
  TransactionPage,
  RefundView,
  SplitView,
  TransactionDetail as Detail,
  TransactionView,
  TransactionSearchField,
} from '../../../common/contract';
import { AmountInput, refusedField } from '../components/AmountInput';
import { DisputesTable } from '../components/Disputes';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { hasReceipt, ReceiptPanel, receiptRevision } from '../components/ReceiptPanel';
import { describedBy, Field } from '../components/Field';
import { usePos } from '../store/context';
import { useListChanges } from '../store/list-changes';
import { shopTimeZone } from '../store/selectors';
import type { TxQuery, TxTab } from '../store/types';
import { Settlements, SharesTable } from './Settlements';
import { useMerchantLabel } from '../components/Merchant';
import { dateTime, dateTimeSeconds, humanize, money, timeLeft } from '../lib/format';
import {
  GATEWAY_LABELS,
  PAYMENT_METHOD_TYPES,
  TRANSACTION_STATUSES,
  type GatewayName,
  type PaymentMethodType,
} from '../../../common/contract/views';
import { issueFor, withoutIssues } from '../lib/errors';
import {
  atMostText,
  disputedAmount,
  heldShareWholeText,
  nothingLeftText,
  pendingRefunds,
  shareAtMostText,
  shareSpentText,
} from '../../../common/refunds';
import { enterInSelectSubmits, useKey } from '../lib/hooks';
import { methodLabel, planStatusText, statusLabel } from '../lib/labels';

const SORTS = [
  { value: 'created_at:desc', label: 'Newest first' },
  { value: 'created_at:asc', label: 'Oldest first' },
  { value: 'amount:desc', label: 'Amount, highest first' },
  { value: 'amount:asc', label: 'Amount, lowest first' },
  { value: 'status:asc', label: 'Status' },
] as const;

/** The transactions.list input for the query (empty filters left out). */
export function listInput(query: TxQuery): CommandInput<'transactions.list'> {
  return {
    ...(query.search.trim() ? { search: query.search.trim() } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.paymentMethodType ? { paymentMethodType: query.paymentMethodType } : {}),
    ...(query.dateFrom ? { dateFrom: query.dateFrom } : {}),
    ...(query.dateTo ? { dateTo: query.dateTo } : {}),
    sortField: query.sortField,
    sortOrder: query.sortOrder,
    page: query.page,
    size: query.size,
    ...(query.source === 'terminal' ? { source: 'terminal' as const } : {}),
  };
}

/** What can still be refunded: captured (or the whole amount once succeeded) minus refunds. */
export function refundable(t: TransactionView): number {
  if (t.status !== 'succeeded' && t.status !== 'partially_refunded') return 0;
  const captured = t.amountCaptured > 0 ? t.amountCaptured : t.amount;
  return Math.max(0, captured - t.amountRefunded);
}

/** A payment's refunds asked for and not yet sent (the till's queue): not in its refunded amount yet. */
function queuedRefunds(refunds: readonly RefundView[]): { count: number; amount: number } {
  const queued = refunds.filter((r) => r.status === 'queued');
  return { count: queued.length, amount: queued.reduce((sum, r) => sum + r.amount, 0) };
}

/**
 * Why a paid payment has nothing left to refund (refunded, the rest asked for and queued, or disputed
 * by the customer's bank), said where the refund form would be, in the host's words: a form that could
 * only be refused is not offered. Refunds the gateway holds as pending are said as not yet confirmed,
 * not as refunded. Null while money is left, or for a payment that never took money.
 */
function nothingLeftNotice(
  t: TransactionView,
  refunds: readonly RefundView[],
  disputed: number,
  gateway: string,
): string | null {
  if (!['succeeded', 'partially_refunded', 'refunded'].includes(t.status)) return null;
  const queued = queuedRefunds(refunds);
  if (refundable(t) - queued.amount - disputed > 0) return null;
  const pending = pendingRefunds(refunds);
  const format = (minor: number) => money(minor, t.currency);
  return t.status === 'refunded'
    ? nothingLeftText(format, { refunded: t.amountRefunded, pending, gateway })
    : nothingLeftText(format, { refunded: t.amountRefunded, disputed, pending, queued, gateway });
}

/** A terminal on the shop's own bank takes cards on itself: its payments' only method. */
const TERMINAL_METHODS: readonly PaymentMethodType[] = ['terminal'];

function Filters({ query, onSearch }: { query: TxQuery; onSearch(patch: Partial<TxQuery>): void }) {
  const [search, setSearch] = useState(query.search);
  const [status, setStatus] = useState(query.status);
  const [method, setMethod] = useState(query.paymentMethodType);
  const [dateFrom, setDateFrom] = useState(query.dateFrom);
  const [dateTo, setDateTo] = useState(query.dateTo);
  const [sort, setSort] = useState(`${query.sortField}:${query.sortOrder}`);
  const [source, setSource] = useState(query.source);
  const [error, setError] = useState<CommandError | null>(null);
  // Only the methods the payments listed can have: the gateway's own, or a terminal's on the shop's
  // bank (found by a tester: Card, Wallet, Bank transfer and Terminal offered on PayPlug).
  const gatewayMethods = usePos((s) => s.host.gateway?.capabilities.paymentMethods ?? PAYMENT_METHOD_TYPES);
  const methods = source === 'terminal' ? TERMINAL_METHODS : gatewayMethods;
  // Only the till's journal answers a search the gateway does not (Plural, the shop's terminals):
  // it finds what an order or transaction reference starts with, nothing else (found by a tester:
  // the hint offered descriptions and emails on Plural, which found nothing).
  const gatewaySearches = usePos((s) => s.host.gateway?.capabilities.transactionSearch ?? true);
  // What the gateway's own search finds, as its capabilities say (found in a cashier-day hunt: PayPlug
  // finds a card's last four digits, which the hint did not say).
  const finds = usePos((s) => s.host.gateway?.capabilities.transactionSearchFinds ?? SEARCH_FIELDS_UNKNOWN);
  const searchHint =
    source === 'terminal' || !gatewaySearches
      ? 'The start of an order reference or a transaction reference'
      : orList(['Order reference', 'transaction reference', ...finds.map((field) => SEARCH_FIELD_WORDS[field])]);
  const shownMethod = method && methods.includes(method) ? method : '';
  const dateError = issueFor(error, 'dateFrom');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (dateFrom && dateTo && dateFrom > dateTo) {
      // Said aloud too (the alert): only the field's colour and text changed, away from the focus.
      setError({
        code: 'validation',
        message: 'Check the dates.',
        issues: [{ path: 'dateFrom', message: 'The "From" date is after the "To" date.' }],
      });
      return;
    }
    setError(null);
    const [sortField, sortOrder] = sort.split(':') as [TxQuery['sortField'], TxQuery['sortOrder']];
    onSearch({
      search,
      status,
      paymentMethodType: shownMethod,
      dateFrom,
      dateTo,
      sortField,
      sortOrder,
      source,
      page: 1,
    });
  };

  return (
    <form
      className="filters"
      role="search"
      aria-label="Find transactions"
      onSubmit={submit}
      onKeyDown={enterInSelectSubmits}
      noValidate
    >
      <Field id="tx-search" label="Search" hint={searchHint}>
        <input
          {...describedBy('tx-search', searchHint, null)}
          type="search"
          value={search}
          maxLength={100}
          onChange={(e) => setSearch(e.target.value)}
          data-autofocus=""
        />
      </Field>
      <Field id="tx-status" label="Status">
        <select id="tx-status" value={status} onChange={(e) => setStatus(e.target.value as TxQuery['status'])}>
          <option value="">Any status</option>
          {TRANSACTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </Field>
      <Field id="tx-method" label="Method">
        <select
          id="tx-method"
          value={shownMethod}
          onChange={(e) => setMethod(e.target.value as TxQuery['paymentMethodType'])}
        >
          <option value="">Any method</option>
          {methods.map((m) => (
            <option key={m} value={m}>
              {humanize(m)}
            </option>
          ))}
        </select>
      </Field>
      <Field id="tx-from" label="From" error={dateError}>
        <input
          {...describedBy('tx-from', null, dateError)}
          type="date"
          value={dateFrom}
          onChange={(e) => setDateFrom(e.target.value)}
        />
      </Field>
      <Field id="tx-to" label="To">
        <input id="tx-to" type="date" value={dateTo} onChange={(e) => setDateTo(e.target.value)} />
      </Field>
      <Field id="tx-sort" label="Sort by">
        <select id="tx-sort" value={sort} onChange={(e) => setSort(e.target.value)}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </Field>
      <Field id="tx-source" label="Charged by">
        <select id="tx-source" value={source} onChange={(e) => setSource(e.target.value as TxQuery['source'])}>
          <option value="gateway">The gateway</option>
          <option value="terminal">Terminals on the shop&apos;s bank</option>
        </select>
      </Field>
      <button type="submit" className="primary">
        Search
      </button>
      <ErrorBox error={error} shownPaths={['dateFrom']} />
    </form>
  );
}

/** A note kept with the payment at the gateway (where the gateway keeps notes). */
function NoteForm({
  paymentId,
  note,
  onSaved,
}: {
  paymentId: string;
  note: string | null;
  onSaved(message: string): void;
}) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy[`note:${paymentId}`] === true);
  const [text, setText] = useState(note ?? '');
  const [error, setError] = useState<CommandError | null>(null);
  const [unchanged, setUnchanged] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    // The note as it is already kept: nothing to write to the gateway, nor a second identical step
    // in the timeline (found in Chromium: each press of Save note added one).
    if (text.trim() === (note ?? '')) {
      setUnchanged(true);
      return;
    }
    const result = await run('payments.annotate', { paymentId, note: text.trim() }, `note:${paymentId}`);
    if (result.ok) onSaved(text.trim() ? 'Note saved with the payment.' : 'Note removed.');
    else setError(result.error);
  };
  return (
    <form className="note-form" aria-labelledby="note-title" onSubmit={(e) => void save(e)} noValidate>
      <h2 id="note-title">Note</h2>
      <Field id="payment-note" label="Note kept with the payment" error={issueFor(error, 'note')}>
        <input
          {...describedBy('payment-note', null, issueFor(error, 'note'))}
          type="text"
          maxLength={200}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setUnchanged(false);
          }}
        />
      </Field>
      <ErrorBox error={error} shownPaths={['note']} />
      <LiveRegion>{unchanged ? 'Nothing changed: the note is already saved with the payment.' : null}</LiveRegion>
      <div className="actions">
        <button type="submit" disabled={busy}>
          Save note
        </button>
      </div>
    </form>
  );
}

/** A refund the host refused: its amount and the host's answer. */
interface Refusal {
  amount: number;
  error: CommandError;
}

/**
 * A refused refund, said by the details once the refund form has gone (nothing left to refund): the
 * form and its error went with it (found in Chromium: a second tab's refund, pressed while the first
 * refunded the payment in full, was refused and nothing on screen said so).
 */
function refusalText(refusal: Refusal, t: TransactionView): string {
  const why = t.status === 'refunded' ? 'this payment is refunded already.' : refusal.error.message;
  return `Not refunded: ${money(refusal.amount, t.currency)} — ${why}`;
}

function RefundForm({
  transaction,
  queued = 0,
  disputed = 0,
  splits = [],
  gateway = 'the gateway',
  onRefunded,
  onRefused,
}: {
  transaction: TransactionView;
  /** Refunds asked for and queued, not in the transaction's refunded amount yet: not offered again. */
  queued?: number;
  /** Money a customer's bank disputes (open, or lost): not the shop's to refund, so not offered. */
  disputed?: number;
  /** A split payment's shares: the refund may name the one it comes from. */
  splits?: SplitView[];
  /** The gateway's name, as the refusals say it (a held share is refunded only whole). */
  gateway?: string;
  /** `typedNext`: the cashier typed the next amount while this one was made (the cursor stays there). */
  onRefunded(message: string, typedNext: boolean): void;
  /** A refusal, also said by the details once the form has left (refunded in full from another tab). */
  onRefused(refusal: Refusal | null): void;
}) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy[`refund:${transaction.id}`] === true);
  const left = Math.max(0, refundable(transaction) - queued - disputed);
  // What the cashier typed stays as typed, whatever the detail reloads with; until they type, the
  // field offers what is left. A refund made reverts to that only the fields not touched since.
  const [typed, setTyped] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [share, setShare] = useState('');
  const [error, setError] = useState<CommandError | null>(null);
  const [sending, setSending] = useState<number | null>(null);
  const touched = useRef({ amount: false, reason: false, share: false });
  // Only the shares a refund can still take something from, each with what is left of it (found by
  // a UI hunt: a cancelled share with nothing left was offered, labelled with its full amount).
  const shares = splits.filter((split) => split.id !== null && split.refundable > 0);
  const merchant = useMerchantLabel();
  // A share chosen that has nothing left since (the detail was read again) is no longer the choice.
  const chosen = shares.find((split) => split.id === share) ?? null;
  // One the cashier chose that has nothing left since (refunded from another tab or till): kept as the
  // choice, with why, rather than silently drawing the refund from other shares.
  const spent = chosen ? null : (splits.find((split) => split.id !== null && split.id === share) ?? null);
  const spentText = spent ? shareSpentText(merchant(spent.merchantId)) : null;
  const most = chosen ? Math.min(left, chosen.refundable) : left;
  const amount = typed ?? most;
  // A held share goes back only whole: a part of it is said so here, as the host would refuse it.
  const heldText =
    chosen?.status === 'HOLD'
      ? heldShareWholeText(
          (minor) => money(minor, transaction.currency),
          chosen.amount,
          merchant(chosen.merchantId),
          gateway,
        )
      : null;

  if (left === 0) return null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    // The share chosen has nothing left (the field says so): nothing is sent until another is chosen.
    if (spentText) return;
    if (amount <= 0 || amount > most || (heldText !== null && amount !== chosen?.amount)) {
      setError({
        code: 'validation',
        message: 'Check the amount.',
        issues: [
          {
            path: 'amount',
            message:
              amount <= 0
                ? 'Enter the amount to refund.'
                : heldText !== null
                  ? heldText
                  : amount <= left && chosen
                    ? shareAtMostText((minor) => money(minor, transaction.currency), most, merchant(chosen.merchantId))
                    : atMostText((minor) => money(minor, transaction.currency), left, disputed),
          },
        ],
      });
      return;
    }
    // The amount field refused a paste: the amount shown is not what the cashier meant to send.
    const refused = refusedField(event.currentTarget as HTMLFormElement);
    if (refused) return refused.focus();
    setError(null);
    onRefused(null);
    touched.current = { amount: false, reason: false, share: false };
    setSending(amount);
    // The field is free for the next amount at once (the line under it says what is being refunded):
    // digits typed now are that amount, never added after the one being refunded.
    setTyped(0);
    const trimmed = reason.trim();
    // Always the amount on screen: "no amount" would refund whatever is left when the host gets it.
    const result = await run(
      'payments.refund',
      {
        paymentId: transaction.id,
        amount,
        ...(trimmed ? { reason: trimmed } : {}),
        ...(chosen ? { splits: [{ splitId: chosen.id!, amount }] } : {}),
      },
      `refund:${transaction.id}`,
    );
    setSending(null);
    // Kept by the host to send (the gateway unreachable, or its answer lost): asked for, as a refund
    // made is. Put back in the field, it read as not made, and Enter again sent a second refund.
    const queued = !result.ok && result.error.code === 'offline' && result.error.queued === true;
    if (result.ok || queued) {
      if (!touched.current.amount) setTyped(null);
      if (!touched.current.reason) setReason('');
      if (!touched.current.share) setShare('');
      onRefunded(
        result.ok ? `Refunded ${money(amount, transaction.currency)}.` : result.error.message,
        touched.current.amount,
      );
    } else {
      // Not made: the amount it was for is back in the field, unless the next one was typed since.
      if (!touched.current.amount) setTyped(amount);
      setError(result.error);
      onRefused({ amount, error: result.error });
    }
  };

  return (
    <form
      className="refund-form"
      aria-labelledby="refund-title"
      onSubmit={(e) => void submit(e)}
      onKeyDown={enterInSelectSubmits}
      noValidate
    >
      <h2 id="refund-title">Refund</h2>
      <div className="inline-fields">
        <AmountInput
          id="refund-amount"
          label="Refund amount"
          value={amount}
          currency={transaction.currency}
          onChange={(minor) => {
            touched.current.amount = true;
            setTyped(minor);
            setError((prev) => withoutIssues(prev, ['amount']));
          }}
          max={left}
          error={issueFor(error, 'amount')}
          hint={
            chosen?.status === 'HOLD'
              ? `All ${money(chosen.amount, transaction.currency)} of ${merchant(chosen.merchantId)}'s share: it is held, and ${gateway} refunds a held share only whole. Release it first (Settlements) to refund part of it.`
              : `Up to ${money(most, transaction.currency)}${chosen ? ` from ${merchant(chosen.merchantId)}'s share` : ''}${disputed > 0 ? `: the customer's bank disputes ${money(disputed, transaction.currency)} of this payment` : ''}. Type a smaller amount for a partial refund.`
          }
        />
        <Field id="refund-reason" label="Reason (optional)" error={issueFor(error, 'reason')}>
          <input
            {...describedBy('refund-reason', null, issueFor(error, 'reason'))}
            type="text"
            maxLength={200}
            value={reason}
            onChange={(e) => {
              touched.current.reason = true;
              setReason(e.target.value);
              setError((prev) => withoutIssues(prev, ['reason']));
            }}
          />
        </Field>
        {shares.length > 0 || spent ? (
          <Field id="refund-share" label="Take it from" error={issueFor(error, 'splits') ?? spentText}>
            <select
              {...describedBy('refund-share', null, issueFor(error, 'splits') ?? spentText)}
              value={chosen || spent ? share : ''}
              onChange={(e) => {
                touched.current.share = true;
                setShare(e.target.value);
                setError((prev) => withoutIssues(prev, ['splits']));
              }}
            >
              <option value="">
                As the gateway draws it (money not settled first, then held shares whole, then the others)
              </option>
              {shares.map((split) => (
                <option key={split.id} value={split.id!}>
                  {merchant(split.merchantId)}'s share ({money(split.refundable, transaction.currency)} left to refund,{' '}
                  {split.status})
                </option>
              ))}
              {spent ? (
                <option value={spent.id!} disabled>
                  {merchant(spent.merchantId)}'s share (nothing left to refund)
                </option>
              ) : null}
            </select>
          </Field>
        ) : null}
        <button type="submit" className="primary" disabled={busy || spentText !== null}>
          Refund
        </button>
      </div>
      <LiveRegion>
        {busy && sending !== null
          ? `Refunding ${money(sending, transaction.currency)}… Another refund can be made once it is done.`
          : null}
      </LiveRegion>
      <ErrorBox error={error} shownPaths={['amount', 'reason', 'splits']} title="Not refunded." />
    </form>
  );
}

/**
 * A search's matches with the gateways the till used before a switch, which the list (the active
 * gateway's) does not hold: "No transactions match" alone sent the cashier away from a sale that
 * exists (found in a defect hunt). Those the till reads with that gateway's own keys open below, read
 * only (it said to switch back "to see" a link paid after the switch, whose details it can read).
 */
function elsewhereText(elsewhere: NonNullable<TransactionPage['elsewhere']>, active: GatewayName | null): string {
  return elsewhere
    .map(({ gateway, count, readable }) => {
      const one = count === 1;
      const label = GATEWAY_LABELS[gateway];
      const them = one ? 'it' : 'them';
      const matches =
        `${count >= 100 ? '100 or more payments' : `${count} payment${one ? '' : 's'}`} taken with ${label} ` +
        `${one ? 'matches' : 'match'} this search${active ? `, not listed while the till uses ${GATEWAY_LABELS[active]}` : ''}: `;
      if (readable.length === 0) return `${matches}switch back to ${label} in Settings (F7) to see or refund ${them}.`;
      if (readable.length === count)
        return `${matches}open ${them} below to see ${them}, read from ${label}; switch back to ${label} in Settings (F7) to refund, capture or cancel ${them}.`;
      return (
        `${matches}open the ${readable.length} below to see them, read from ${label}; switch back to ${label} in ` +
        `Settings (F7) to see the others, or to refund, capture or cancel any of them.`
      );
    })
    .join(' ');
}

const OFFLINE_LIST =
  "The gateway is not answering: these are this till's own payments with it. Open one to refund it; the refund is sent when the gateway is back.";
/** The gateway answered with a list the till could not read (`why`: what was wrong with it). */
const unreadableList = (why: string) =>
  `The gateway answered with a list this till could not read: these are this till's own payments with it. Open one to refund it. (${why.replace(/\.$/, '')}.)`;
const OFFLINE_DETAIL =
  "The gateway is not answering: this is the till's own record of the payment. A refund made now is queued and sent when the gateway is back.";
/** A payment the gateway has no transaction for: the journal's record of it, and its timeline. */
const JOURNAL_ONLY_DETAIL =
  "The gateway has no transaction for this payment (its creation was never confirmed, or it was recorded as not made): this is the till's own record of it. Nothing was charged through it, so there is nothing to refund.";
const unreadableDetail = (why: string) =>
  `The gateway answered about this payment in a way this till could not read: this is the till's own record of it, and it is in Needs attention until the gateway answers readably. (${why.replace(/\.$/, '')}.)`;

function TransactionDetailView({ transactionId, onBack }: { transactionId: string; onBack(): void }) {
  const run = usePos((s) => s.run);
  const timeZone = usePos(shopTimeZone);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [refused, setRefused] = useState<Refusal | null>(null);
  const [version, setVersion] = useState(0);
  const title = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let current = true;
    void run('transactions.get', { transactionId }).then((result) => {
      if (!current) return;
      if (result.ok) {
        setDetail(result.value);
        setError(null);
      } else {
        setError(result.error);
      }
    });
    return () => {
      current = false;
    };
  }, [run, transactionId, version]);

  useKey('Escape', onBack);
  const notes = usePos((s) => s.host.gateway?.capabilities.paymentNotes ?? false);
  // Another gateway's payment (made before a switch) is read only here: notes are the till's gateway's.
  const activeGateway = usePos((s) => s.host.gateway?.name ?? null);
  const activeGatewayLabel = usePos((s) => s.host.gateway?.label ?? null);
  const setTxTab = usePos((s) => s.setTxTab);
  // The shares as the host says now (a release elsewhere shows at once), else as the detail said.
  const live = usePos((s) => (detail?.payment ? s.host.payments[detail.payment.id] : undefined));
  const payment = live ?? detail?.payment ?? null;
  // The payment moved since the detail was read (refunded or captured from another tab or till, paid,
  // canceled): read it again, so the amounts and the refund form are never the stale ones (found in
  // Chromium: a second tab kept offering a refund of $11.07 already refunded, under "Succeeded").
  const moved = live ? `${live.status}:${live.amountCaptured}:${live.amountRefunded}` : null;
  const lastMoved = useRef(moved);
  useEffect(() => {
    if (lastMoved.current !== null && moved !== null && moved !== lastMoved.current) setVersion((v) => v + 1);
    lastMoved.current = moved;
  }, [moved]);

  const t = detail?.transaction;
  // The refund form shows its own refusal; once it has gone (nothing left), the details say it.
  const gatewayLabel = payment ? GATEWAY_LABELS[payment.gateway] : (activeGatewayLabel ?? 'the gateway');
  const disputed = disputedAmount(detail?.disputes ?? []);
  const nothingLeft = t && !detail.journalOnly ? nothingLeftNotice(t, detail.refunds, disputed, gatewayLabel) : null;
  const refusedGone =
    refused && t && (detail.journalOnly || nothingLeft || refundable(t) === 0) ? refusalText(refused, t) : null;
  return (
    <section className="screen" aria-labelledby="tx-detail-title">
      <h1 id="tx-detail-title" tabIndex={-1} ref={title}>
        {detail?.journalOnly ? 'Payment' : 'Transaction'} {t ? t.reference : ''}
      </h1>
      <div className="actions">
        <button type="button" onClick={onBack} aria-keyshortcuts="Escape">
          Back to transactions
        </button>
      </div>
      <ErrorBox error={error} />
      <LiveRegion heardOnOpen className="notice">
        {detail?.journalOnly
          ? JOURNAL_ONLY_DETAIL
          : detail?.offline
            ? OFFLINE_DETAIL
            : detail?.unreadable
              ? unreadableDetail(detail.unreadable)
              : null}
      </LiveRegion>
      <LiveRegion>{done}</LiveRegion>
      <LiveRegion alert>{refusedGone}</LiveRegion>
      {!t ? (
        !error ? (
          <p role="status">Loading…</p>
        ) : null
      ) : (
        <>
          <dl className="details">
            {t.orderReference ? (
              <>
                <dt>Order</dt>
                <dd>{t.orderReference}</dd>
              </>
            ) : null}
            <dt>Amount</dt>
            <dd>{money(t.amount, t.currency)}</dd>
            <dt>Status</dt>
            <dd>{detail.journalOnly && payment && !t.notSent ? statusLabel(payment.status) : transactionStatus(t)}</dd>
            {t.status === 'requires_capture' ? (
              <>
                <dt>Authorisation</dt>
                <dd>{authorisationText(t.authorizationExpiresAt, timeZone)}</dd>
              </>
            ) : null}
            <dt>Captured</dt>
            <dd>{money(t.amountCaptured, t.currency)}</dd>
            <dt>Refunded</dt>
            <dd>{money(t.amountRefunded, t.currency)}</dd>
            <dt>Method</dt>
            <dd>
              {methodLabel(t)}
              {t.card ? ` · ${t.card.brand} •••• ${t.card.last4}` : ''}
            </dd>
            <dt>Created</dt>
            <dd>{dateTime(t.createdAt, timeZone)}</dd>
            {t.description ? (
              <>
                <dt>Description</dt>
                <dd>{t.description}</dd>
              </>
            ) : null}
            {t.receiptEmail ? (
              <>
                <dt>Receipt email</dt>
                <dd>{t.receiptEmail}</dd>
              </>
            ) : null}
            {/* A cancel is no failure: its status says it (PayPlug words the till's own cancel "You have
                aborted the transaction."); the timeline keeps the gateway's words. */}
            {t.failureMessage && t.status !== 'canceled' ? (
              <>
                <dt>Failure</dt>
                <dd>
                  {t.failureMessage} {t.failureCode ? `(${t.failureCode})` : ''}
                </dd>
              </>
            ) : null}
            {t.id !== t.reference ? (
              // The id the gateway's API names it by, when it is not the reference in the heading
              // (PlutoPay: txn_… is read off receipts, the API id is what support asks for). A
              // terminal on the shop's bank has no gateway: its trm_… is the till's id for the payment.
              <>
                <dt>{payment?.chargedBy === 'terminal' ? 'Terminal payment id' : "Gateway's API id"}</dt>
                <dd className="mono">{t.id}</dd>
              </>
            ) : null}
          </dl>
          {/* A payment the host cannot refund here (another gateway's, another account's) takes no note either. */}
          {notes &&
          detail.payment &&
          !detail.journalOnly &&
          !detail.refundNotHere &&
          detail.payment.gateway === activeGateway ? (
            <NoteForm
              key={`${t.id}:${t.note ?? ''}`}
              paymentId={detail.payment.id}
              note={t.note}
              onSaved={(message) => {
                setDone(message);
                setVersion((v) => v + 1);
              }}
            />
          ) : null}
          {payment && payment.splits.length > 0 ? (
            <section aria-labelledby="shares-title">
              <h2 id="shares-title">Shares</h2>
              <SharesTable payment={payment} caption={`Shares of ${t.reference}`} />
              {payment.splits.some((split) => split.next.length > 0) ? (
                <div className="actions">
                  <button type="button" onClick={() => setTxTab('settlements')}>
                    Release or cancel held shares (Settlements)
                  </button>
                </div>
              ) : null}
            </section>
          ) : null}
          {detail.journalOnly ? null : detail.refundNotHere ? (
            <p className="notice">{detail.refundNotHere}</p>
          ) : nothingLeft ? (
            <p className="notice">{nothingLeft}</p>
          ) : (
            <RefundForm
              key={t.id}
              transaction={t}
              queued={queuedRefunds(detail.refunds).amount}
              disputed={disputed}
              splits={payment?.splits ?? []}
              gateway={gatewayLabel}
              onRefused={setRefused}
              onRefunded={(message, typedNext) => {
                setDone(message);
                setRefused(null);
                setVersion((v) => v + 1);
                // Off the form: it now offers what is left, and a second Enter must not refund that
                // (found by a tester: Enter twice on a partial refund refunded the whole payment) —
                // unless the cashier typed the next amount meanwhile: Enter is then for that one.
                if (!typedNext) title.current?.focus();
              }}
            />
          )}
          {!detail.journalOnly && hasReceipt(payment ?? { status: t.status, decline: null }) ? (
            <ReceiptPanel
              paymentRef={detail.payment?.id ?? t.id}
              receipt={payment?.receipt ?? null}
              revision={receiptRevision(payment ?? t)}
            />
          ) : null}
          {detail.disputes && detail.disputes.length > 0 ? (
            <section aria-labelledby="tx-disputes-title">
              <h2 id="tx-disputes-title">Disputes</h2>
              <p>
                The customer's bank disputes this payment. Respond on the gateway's dashboard; the money a lost dispute
                takes is not a refund and is not counted as one here.
              </p>
              <DisputesTable disputes={detail.disputes} caption={`Disputes of ${t.reference}`} timeZone={timeZone} />
            </section>
          ) : null}
          <h2>Refunds</h2>
          {detail.refunds.length === 0 ? (
            <p className="empty">No refunds.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {detail.refunds.map((r) => (
                  <tr key={r.id}>
                    <td>{dateTime(r.createdAt, timeZone)}</td>
                    <td>{money(r.amount, r.currency)}</td>
                    <td>{humanize(r.status)}</td>
                    <td>{r.reason ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Timeline</h2>
          {detail.timeline.length === 0 ? (
            <p className="empty">This payment was not handled by this app, so there is no local timeline.</p>
          ) : (
            <ol className="timeline">
              {detail.timeline.map((entry, index) => (
                <li key={`${entry.at}-${index}`}>
                  <time dateTime={entry.at}>{dateTimeSeconds(entry.at, timeZone)}</time>{' '}
                  <strong>{humanize(entry.event)}</strong>
                  {entry.detail ? ` — ${entry.detail}` : ''}
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

/**
 * The gateway's disputes (chargebacks), read again with the list: one on a payment this till never
 * handled is listed too. Shown only when there is one, or the gateway could not be read.
 */
function Disputes({ version }: { version: unknown }) {
  const run = usePos((s) => s.run);
  const timeZone = usePos(shopTimeZone);
  const openTransaction = usePos((s) => s.openTransaction);
  const [list, setList] = useState<DisputeList | null>(null);
  useEffect(() => {
    let current = true;
    void run('disputes.list', { refresh: true }).then((result) => {
      if (current && result.ok) setList(result.value);
    });
    return () => {
      current = false;
    };
  }, [run, version]);
  if (!list || list.disputes.length === 0) return null;
  const open = list.disputes.filter((d) => d.closedAt === null).length;
  return (
    <section aria-labelledby="disputes-title">
      <h2 id="disputes-title">Disputes</h2>
      <p>
        {open === 0 ? 'No dispute is open.' : `${open} open: respond to each on the gateway's dashboard.`}
        {list.readProblem ? ` The gateway's list could not be read now (${list.readProblem}); shown as last read.` : ''}
      </p>
      <DisputesTable
        disputes={list.disputes}
        caption="Disputes"
        timeZone={timeZone}
        onOpen={(d) => openTransaction(d.transactionId)}
      />
    </section>
  );
}

/** A search's hint before the host said which gateway it uses. */
const SEARCH_FIELDS_UNKNOWN: readonly TransactionSearchField[] = ['description', 'email'];

const SEARCH_FIELD_WORDS: Record<TransactionSearchField, string> = {
  description: 'description',
  email: 'email',
  cardLast4: "a card's last four digits",
};

/** "a, b or c". */
function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The till's installment plans (gateways that have them), each opened on the Process screen. */
function InstallmentPlans() {
  const run = usePos((s) => s.run);
  const showPlan = usePos((s) => s.showPlan);
  const setScreen = usePos((s) => s.setScreen);
  const returnTo = usePos((s) => s.ui.planReturnTo);
  const returnedToPlan = usePos((s) => s.returnedToPlan);
  const [plans, setPlans] = useState<InstallmentPlanView[]>([]);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    let current = true;
    void run('installments.list', {}).then((result) => {
      if (!current) return;
      if (result.ok) setPlans(result.value);
      setLoaded(true);
    });
    return () => {
      current = false;
    };
  }, [run]);
  // Back from a plan's panel (Esc): the focus goes to the plan's button, as back from a payment's details.
  useEffect(() => {
    if (!returnTo || !loaded) return;
    [...document.querySelectorAll<HTMLElement>('[data-plan-for]')].find((b) => b.dataset.planFor === returnTo)?.focus();
    returnedToPlan();
  }, [returnTo, loaded, returnedToPlan]);
  if (plans.length === 0) return null;
  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title">Installment plans</h2>
      <ul className="plain-list">
        {plans.map((plan) => (
          <li key={plan.id}>
            <button
              type="button"
              data-plan-for={plan.id}
              onClick={() => {
                showPlan(plan, true);
                setScreen('process');
              }}
            >
              {money(plan.amount, plan.currency)} in {plan.schedule.length} — {plan.customer.firstName}{' '}
              {plan.customer.lastName}, order {plan.orderReference} ({planStatusText(plan)})
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

const TABS: readonly { tab: TxTab; label: string }[] = [
  { tab: 'list', label: 'Transactions' },
  { tab: 'settlements', label: 'Settlements' },
];

/** The screen's tabs (a gateway that splits payments adds Settlements): arrow keys move between them. */
function Tabs({ current, onChange }: { current: TxTab; onChange(tab: TxTab): void }) {
  const move = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = TABS.findIndex((t) => t.tab === current);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length]!;
    onChange(next.tab);
    document.getElementById(`tx-tab-${next.tab}`)?.focus();
  };
  return (
    <div role="tablist" aria-label="Transactions views" className="tabs">
      {TABS.map(({ tab, label }) => (
        <button
          key={tab}
          type="button"
          role="tab"
          id={`tx-tab-${tab}`}
          aria-selected={current === tab}
          aria-controls={`tx-panel-${tab}`}
          tabIndex={current === tab ? 0 : -1}
          className={`tabs__tab${current === tab ? ' tabs__tab--current' : ''}`}
          onClick={() => onChange(tab)}
          onKeyDown={move}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

export function Transactions() {
  const splitting = usePos((s) => s.host.gateway?.capabilities.splitSettlement === true);
  const chosen = usePos((s) => s.ui.txTab);
  const setTxTab = usePos((s) => s.setTxTab);
  const selected = usePos((s) => s.ui.txSelectedId);
  const tab: TxTab = splitting ? chosen : 'list';
  if (selected || !splitting) return <TransactionList />;
  return (
    <section className="screen" aria-labelledby="tx-title">
      <h1 id="tx-title" tabIndex={-1}>
        Transactions
      </h1>
      <Tabs current={tab} onChange={setTxTab} />
      <div role="tabpanel" id={`tx-panel-${tab}`} aria-labelledby={`tx-tab-${tab}`}>
        {tab === 'settlements' ? <Settlements /> : <TransactionList embedded />}
      </div>
    </section>
  );
}

/**
 * A transaction's status in words: a link nobody paid before it lapsed is said so, not a bare
 * "Failed" that reads as a card refused (found by using the app); a payment that ended before the
 * gateway had it says how, and that nothing was charged.
 */
function transactionStatus(t: TransactionView): string {
  if (t.notSent) return NOT_SENT_WORDS[t.notSent];
  if (t.status === 'failed' && t.failureCode === 'link_expired') return 'Failed: link expired, not paid';
  return statusLabel(t.status);
}

/** A payment the gateway never had a transaction for, by why (NotSentReason): nothing was charged. */
const NOT_SENT_WORDS: Record<NotSentReason, string> = {
  canceled: 'Canceled before it was sent: not charged',
  canceled_awaiting_tip: 'Canceled while waiting for the tip: not charged',
  not_made: 'Recorded as not made: not charged',
  refused: 'Refused by the gateway: not charged',
  not_sent: 'Never sent (gateway unreachable): not charged',
};

/**
 * An uncaptured authorisation in its details: when it lapses (as Capture says it) and where it is
 * captured. Read when the details load; Capture (F4) counts it down.
 */
function authorisationText(expiresAt: string | null, timeZone: string | null): string {
  const where = 'Capture it, or cancel it, on the Capture screen (F4).';
  const left = timeLeft(expiresAt, Date.now());
  if (!left) return `The gateway states no expiry. ${where}`;
  if (left.ms <= 0) return 'Expired: it can no longer be captured. Cancel it on the Capture screen (F4).';
  return `Expires ${dateTime(expiresAt, timeZone)} (${left.text}). ${where}`;
}

/** What a row of the list shows of a payment: a change in it reads the page again. */
const listedState = (p: PaymentView) =>
  `${p.status}|${p.amountCaptured}|${p.amountRefunded}|${p.card?.last4 ?? ''}|${p.transactionId ?? ''}`;

function TransactionList({ embedded = false }: { embedded?: boolean }) {
  const query = usePos((s) => s.ui.txQuery);
  const timeZone = usePos(shopTimeZone);
  const selected = usePos((s) => s.ui.txSelectedId);
  const setTxQuery = usePos((s) => s.setTxQuery);
  const openTransaction = usePos((s) => s.openTransaction);
  const returnTo = usePos((s) => s.ui.txReturnTo);
  const returnedToTransaction = usePos((s) => s.returnedToTransaction);
  const run = usePos((s) => s.run);
  const installments = usePos((s) => s.host.gateway?.capabilities.installments !== null && s.host.gateway !== null);
  const disputes = usePos((s) => s.host.gateway?.capabilities.disputes === true);
  const active = usePos((s) => s.host.gateway?.name ?? null);
  const [page, setPage] = useState<TransactionPage | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  // A payment paid, captured or refunded while the list is open (a link the customer paid on their
  // phone, say): the page shown is read again, so its rows follow (they kept the state first read).
  const changes = useListChanges(listedState);

  const load = useCallback(
    (q: TxQuery, isCurrent: () => boolean) => {
      void run('transactions.list', listInput(q)).then((result) => {
        if (!isCurrent()) return;
        setLoading(false);
        if (result.ok) {
          setPage(result.value);
          setError(null);
        } else {
          // The rows on screen answered another query: under this one's error they would mislead.
          setPage(null);
          setError(result.error);
        }
      });
    },
    [run],
  );

  useEffect(() => {
    if (selected) return;
    let current = true;
    load(query, () => current);
    return () => {
      current = false;
    };
  }, [load, query, selected, version, changes]);

  // Back from a payment's details (Esc): the focus goes to the Details button of the row it came
  // from, on the page it was on, once that page is on screen (found by a tester: it went to Search).
  useEffect(() => {
    if (selected || !returnTo || !page) return;
    const button = [...document.querySelectorAll<HTMLElement>('[data-details-for]')].find(
      (b) => b.dataset.detailsFor === returnTo,
    );
    button?.focus();
    returnedToTransaction();
  }, [selected, returnTo, page, returnedToTransaction]);

  if (selected) return <TransactionDetailView transactionId={selected} onBack={() => openTransaction(null)} />;

  const meta = page?.meta;
  const goTo = (p: number) => {
    if (loading || !meta || p < 1 || p > meta.lastPage) return;
    setLoading(true);
    setTxQuery({ page: p });
  };
  // The pager's buttons stay focusable while a page loads and on the first or last page
  // (aria-disabled, not disabled): a disabled button drops the focus, which then went to Search,
  // where the next Enter ran the search again and showed page 1 (found by a keyboard tester).
  const previousOff = loading || !meta || meta.currentPage <= 1;
  const nextOff = loading || !meta || meta.currentPage >= meta.lastPage;

  const content = (
    <>
      <Filters
        query={query}
        onSearch={(patch) => {
          setLoading(true);
          setTxQuery(patch);
          setVersion((v) => v + 1);
        }}
      />
      {installments ? <InstallmentPlans /> : null}
      {disputes ? <Disputes version={version} /> : null}
      <ErrorBox error={error} title="Could not load transactions." />
      <LiveRegion heardOnOpen className="notice">
        {page?.offline ? OFFLINE_LIST : page?.unreadable ? unreadableList(page.unreadable) : null}
      </LiveRegion>
      <LiveRegion className="notice">
        {!loading && page?.elsewhere ? elsewhereText(page.elsewhere, active) : null}
      </LiveRegion>
      {!loading && page?.elsewhere?.some((match) => match.readable.length > 0) ? (
        <div className="actions">
          {page.elsewhere.flatMap((match) =>
            match.readable.map((found) => (
              <button key={found.paymentId} type="button" onClick={() => openTransaction(found.paymentId)}>
                {`Details for ${found.orderReference} (${GATEWAY_LABELS[match.gateway]})`}
              </button>
            )),
          )}
        </div>
      ) : null}
      <p role="status" className="muted">
        {loading
          ? 'Loading…'
          : meta
            ? meta.more
              ? // The gateway gives no count (PayPlug): only that more follow.
                `More than ${meta.total - 1} transactions · page ${meta.currentPage} of ${meta.lastPage} or more`
              : `${meta.total} transaction${meta.total === 1 ? '' : 's'} · page ${meta.currentPage} of ${Math.max(1, meta.lastPage)}`
            : ''}
      </p>
      {page && page.data.length > 0 ? (
        <table className="tx-table">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Order</th>
              <th scope="col">Reference</th>
              <th scope="col">Amount</th>
              <th scope="col">Status</th>
              <th scope="col">Method</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.data.map((t) => (
              // A journaled row opens by the till's own payment id: two accounts may share a gateway id.
              <tr key={t.paymentId ?? t.id}>
                <td>{dateTime(t.createdAt, timeZone)}</td>
                <td>{t.orderReference ? <Breakable text={t.orderReference} /> : <span className="muted">—</span>}</td>
                <td>
                  <Breakable text={t.reference} />
                  {t.description ? <span className="muted"> · {t.description}</span> : null}
                </td>
                <td className="num">
                  <TakenAmount payment={t} />
                </td>
                <td>
                  {transactionStatus(t)}
                  {t.amountRefunded > 0 && t.status !== 'refunded' ? (
                    <span className="muted"> ({money(t.amountRefunded, t.currency)} refunded)</span>
                  ) : null}
                </td>
                <td>
                  {methodLabel(t)}
                  {t.card ? ` •••• ${t.card.last4}` : ''}
                </td>
                <td>
                  <button
                    type="button"
                    aria-label={`Details for ${t.reference}`}
                    data-details-for={t.paymentId ?? t.id}
                    onClick={() => openTransaction(t.paymentId ?? t.id)}
                  >
                    Details
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : !loading && !error ? (
        <p className="empty">No transactions match.</p>
      ) : null}
      {meta ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" aria-disabled={previousOff} onClick={() => goTo(meta.currentPage - 1)}>
            Previous page
          </button>
          <button type="button" aria-disabled={nextOff} onClick={() => goTo(meta.currentPage + 1)}>
            Next page
          </button>
        </nav>
      ) : null}
    </>
  );
  if (embedded) return content;
  return (
    <section className="screen" aria-labelledby="tx-title">
      <h1 id="tx-title" tabIndex={-1}>
        Transactions
      </h1>
      {content}
    </section>
  );
}
