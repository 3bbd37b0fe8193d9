import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type FocusEvent,
  type KeyboardEvent,
} from 'react';
import type { AttentionView, CommandError } from '../../../common/contract';
import { ConfirmChoice, useWithdrawnChoice } from '../components/ConfirmChoice';
import { disputeLine } from '../components/Disputes';
import { ErrorBox } from '../components/ErrorBox';
import { describedBy, Field } from '../components/Field';
import { LiveRegion } from '../components/LiveRegion';
import { RadioGroup } from '../components/RadioGroup';
import { usePos } from '../store/context';
import { shopTimeZone } from '../store/selectors';
import { money, timeAgo } from '../lib/format';
import { issueFor } from '../lib/errors';
import { useBackToOpener, useFocusOnMount, useNow } from '../lib/hooks';
import { paymentStatusLabel, statusLabel } from '../lib/labels';

type Settlement = 'charged' | 'not_charged' | 'credited' | 'not_credited';

/** The second press that records what the cashier read on the reader or the terminal. */
const CONFIRMATIONS: Record<Settlement, string> = {
  charged: 'Yes: the reader shows it approved',
  not_charged: 'Yes: the reader shows no approval',
  credited: 'Yes: the terminal ticket shows the credit',
  not_credited: 'Yes: the terminal ticket shows no credit',
};

/** Said on an item whose open confirmation the payment no longer offers. */
const WITHDRAWN = 'This payment changed while you were confirming: nothing was recorded. Read it again.';

/**
 * The host's reasons and advice are also shown on Process payment and in a payment's details, so
 * they send the cashier to "Needs attention (F8)"; on this screen that is "here".
 */
function onThisScreen(text: string): string {
  return text.replace(/ in Needs attention \(F8\)/g, ' here');
}

type CreateAnswer = 'created' | 'not_created';
/** What another account's dashboard shows of a payment the till can no longer read there. */
type ElsewhereAnswer = 'charged' | 'not_charged';
type DashboardAnswer = CreateAnswer | ElsewhereAnswer;

/** The words of each answer's form: its name, its hints and its recording button. */
const DASHBOARD_FORMS: Record<DashboardAnswer, { name: string; idHint?: string; reasonHint?: string; record: string }> =
  {
    created: {
      name: 'The payment was made',
      idHint: 'The till reads that payment and takes it in only if it is this one (same amount, currency and order).',
      record: 'Record: it was made',
    },
    not_created: {
      name: 'The payment was not made',
      reasonHint:
        'The payment becomes failed (not charged) and is never sent again. Should the gateway show it later, the till takes it in and lists it here.',
      record: 'Record: it was not made',
    },
    charged: {
      name: 'The payment was charged on that account',
      idHint:
        'The payment becomes paid as you say: the till cannot read that account to check it, and it is refunded on that account’s dashboard.',
      record: 'Record: it was charged there',
    },
    not_charged: {
      name: 'The payment was not charged on that account',
      reasonHint:
        'The payment becomes failed (not charged) as you say: the till cannot read that account to check it, and sends nothing for it.',
      record: 'Record: it was not charged there',
    },
  };

/**
 * What the cashier records, after checking a gateway's dashboard: for a create it never confirmed, or
 * for a payment of another account the till can no longer read.
 */
export interface CreateSettlement {
  resolution: DashboardAnswer;
  gatewayPaymentId?: string;
  by: string;
  reason?: string;
  /** `charged` of a payment captured later: captured there, or only authorised. */
  captured?: boolean;
}

/**
 * The form of a create the gateway never confirmed: the cashier checked the gateway's dashboard and
 * says it was made (its id there) or not (what it showed), and who checked. The same for a payment of
 * another account the till can no longer read (its key rolled): charged there (its id) or not. Nothing is sent before
 * the form's own confirming button; an empty field is said on the field, with the focus on it.
 * Escape, or "Back", closes it without recording anything, the focus back on the button that opened
 * it (else `backTo`).
 */
function CreateSettlementForm({
  paymentId,
  answer,
  manualCapture = false,
  busy,
  error,
  backTo,
  onRecord,
  onBack,
}: {
  paymentId: string;
  answer: DashboardAnswer;
  /** A payment captured later: charged there may be an authorisation only, which the cashier says. */
  manualCapture?: boolean;
  busy: boolean;
  /** The host's refusal of the last try: said on its field when it names one. */
  error: CommandError | null;
  /** Where the focus goes on backing out when the button that opened the form is not there. */
  backTo: () => HTMLElement | null;
  onRecord(settlement: CreateSettlement): void;
  onBack(): void;
}) {
  const first = useFocusOnMount<HTMLInputElement>();
  const backToOpener = useBackToOpener();
  const back = () => backToOpener(onBack, backTo);
  const [gatewayId, setGatewayId] = useState('');
  const [by, setBy] = useState('');
  const [reason, setReason] = useState('');
  const [captured, setCaptured] = useState<boolean | null>(null);
  const [missing, setMissing] = useState<Record<string, string>>({});
  const words = DASHBOARD_FORMS[answer];
  const made = answer === 'created' || answer === 'charged';
  const asksCaptured = answer === 'charged' && manualCapture;
  const ids = {
    gatewayPaymentId: `settle-${paymentId}-id`,
    captured: `settle-${paymentId}-captured`,
    by: `settle-${paymentId}-by`,
    reason: `settle-${paymentId}-reason`,
  };
  const fieldError = (path: string) => missing[path] ?? issueFor(error, path);
  const submit = () => {
    const empty: Record<string, string> = {};
    if (made && gatewayId.trim() === '')
      empty.gatewayPaymentId = "Type the payment's id as the gateway's dashboard shows it.";
    if (asksCaptured && captured === null)
      empty.captured = 'Say whether the dashboard shows it captured or only authorised.';
    if (by.trim() === '') empty.by = 'Type who checked the dashboard.';
    if (!made && reason.trim() === '') empty.reason = 'Say what the dashboard showed.';
    setMissing(empty);
    const firstEmpty = Object.keys(empty)[0] as keyof typeof ids | undefined;
    if (firstEmpty) {
      // A choice is focused on its first option; a field by its id.
      (firstEmpty === 'captured'
        ? document.querySelector<HTMLInputElement>(`input[name="${ids.captured}"]`)
        : document.getElementById(ids[firstEmpty])
      )?.focus();
      return;
    }
    onRecord(
      made
        ? {
            resolution: answer,
            gatewayPaymentId: gatewayId.trim(),
            by: by.trim(),
            ...(asksCaptured && captured !== null ? { captured } : {}),
          }
        : { resolution: answer, by: by.trim(), reason: reason.trim() },
    );
  };
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    back();
  };
  const idError = fieldError('gatewayPaymentId');
  const capturedError = fieldError('captured');
  const byError = fieldError('by');
  const reasonError = fieldError('reason');
  return (
    <form
      className="attention-item__settle"
      aria-label={words.name}
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      onKeyDown={onKeyDown}
      noValidate
    >
      {made ? (
        <Field id={ids.gatewayPaymentId} label="Its id on the gateway's dashboard" hint={words.idHint} error={idError}>
          <input
            ref={first}
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={gatewayId}
            onChange={(event) => setGatewayId(event.target.value)}
            {...describedBy(ids.gatewayPaymentId, true, idError)}
          />
        </Field>
      ) : null}
      {asksCaptured ? (
        <RadioGroup
          legend="What the dashboard shows (this payment is captured later)"
          name={ids.captured}
          value={captured === null ? null : captured ? 'captured' : 'authorised'}
          options={[
            { value: 'captured', label: 'Captured: the money was taken' },
            {
              value: 'authorised',
              label: "Authorised only, not captured: capture or cancel it on that account's dashboard",
            },
          ]}
          onChange={(value) => setCaptured(value === 'captured')}
        >
          {capturedError ? (
            <p className="field__error" id={`${ids.captured}-error`} role="alert">
              {capturedError}
            </p>
          ) : null}
        </RadioGroup>
      ) : null}
      <Field id={ids.by} label="Checked by" error={byError}>
        <input
          ref={made ? undefined : first}
          type="text"
          autoComplete="off"
          maxLength={64}
          value={by}
          onChange={(event) => setBy(event.target.value)}
          {...describedBy(ids.by, false, byError)}
        />
      </Field>
      {!made ? (
        <Field id={ids.reason} label="What the dashboard shows" hint={words.reasonHint} error={reasonError}>
          <input
            type="text"
            autoComplete="off"
            maxLength={300}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            {...describedBy(ids.reason, true, reasonError)}
          />
        </Field>
      ) : null}
      <div className="actions">
        <button type="submit" className="danger" disabled={busy}>
          {words.record}
        </button>
        <button type="button" onClick={back} aria-keyshortcuts="Escape">
          Back
        </button>
      </div>
    </form>
  );
}

/**
 * One item. Memoised: the list keeps each item's object while others come and go, so a change to
 * Needs attention re-renders the items it touched, not the whole page.
 */
const AttentionItem = memo(function AttentionItem({
  item,
  now,
  hold,
}: {
  item: AttentionView;
  now: number;
  /** Keeps the item drawn (true) while the cashier is in the middle of something on it. */
  hold: (paymentId: string, held: boolean) => void;
}) {
  const payment = usePos((s) => s.host.payments[item.paymentId]);
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy[`retry:${item.paymentId}`] === true);
  const selectPayment = usePos((s) => s.selectPayment);
  const setScreen = usePos((s) => s.setScreen);
  const openTransaction = usePos((s) => s.openTransaction);
  const timeZone = usePos(shopTimeZone);
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const titleId = attentionTitleId(item.paymentId);
  const title = useRef<HTMLHeadingElement>(null);
  const checkAgain = useRef<HTMLButtonElement>(null);

  /**
   * The button pressed goes away (a confirmation) or is disabled while the host works, which drops
   * the focus to the screen's title, far from the item: it waits on the item's title instead. When
   * the item then leaves the list, the screen moves it on to the next item.
   */
  const holdFocus = () => {
    if (title.current && title.current.closest('li')?.contains(document.activeElement)) title.current.focus();
  };

  const [confirming, setConfirming] = useState<Settlement | null>(null);
  // The form of a create the gateway never confirmed (or of a payment of an account the till can no
  // longer read), open on the cashier's answer.
  const [answering, setAnswering] = useState<DashboardAnswer | null>(null);
  // A confirmation or a form open, or a command running: the item stays drawn, wherever new items put it.
  const midAction = confirming !== null || answering !== null || busy;
  useEffect(() => {
    if (!midAction) return;
    hold(item.paymentId, true);
    return () => hold(item.paymentId, false);
  }, [midAction, hold, item.paymentId]);
  // A reader outcome only the cashier can establish (from the reader's screen or receipt).
  const readerUnknown =
    !item.otherAccount && payment?.status === 'unknown' && payment.transactionId !== null && payment.readerId !== null;
  // A refund on a terminal that only its ticket can settle.
  const refundUnknown = item.unsettledRefund !== null;
  // The payment changed under an open confirmation (the host learned the outcome meanwhile): the
  // choice is no longer the payment's, so it is withdrawn before the cashier can press it, said, and
  // the focus that was on it waits on the item's title.
  const offered = useWithdrawnChoice(
    confirming,
    (choice) => (choice === 'charged' || choice === 'not_charged' ? readerUnknown : refundUnknown),
    () => {
      setConfirming(null);
      setError(null);
      setDone(WITHDRAWN);
    },
    () => title.current,
  );

  // A create the host can no longer settle this way (it found the payment meanwhile): the form is
  // withdrawn as a confirmation is, and said.
  const createUnknown = item.unknownCreate === true;
  // Made on another of the shop's accounts, which the till can no longer read (its key rolled).
  const settleElsewhere = item.otherAccount === true && item.settleElsewhere === true;
  const answeringOffered = useWithdrawnChoice(
    answering,
    (choice) => (choice === 'created' || choice === 'not_created' ? createUnknown : settleElsewhere),
    () => {
      setAnswering(null);
      setError(null);
      setDone(WITHDRAWN);
    },
    () => title.current,
  );

  const settleCreate = async (settlement: CreateSettlement) => {
    holdFocus();
    setError(null);
    setDone(null);
    const result = await run(
      'attention.resolve',
      { paymentId: item.paymentId, ...settlement },
      `retry:${item.paymentId}`,
    );
    if (result.ok) {
      setAnswering(null);
      setDone(`Recorded: the payment is now ${statusLabel(result.value.status).toLowerCase()}.`);
    } else {
      setError(result.error);
      // The form stays as typed; the focus goes back into it, on the field the host named if any.
      const path = result.error.issues?.[0]?.path;
      const field = path
        ? document.getElementById(`settle-${item.paymentId}-${path === 'gatewayPaymentId' ? 'id' : path}`)
        : null;
      (field ?? title.current)?.focus();
    }
  };

  const resolve = async (resolution: Settlement | 'dismiss') => {
    holdFocus();
    setConfirming(null);
    setError(null);
    setDone(null);
    const result = await run('attention.resolve', { paymentId: item.paymentId, resolution }, `retry:${item.paymentId}`);
    if (result.ok)
      setDone(
        resolution === 'dismiss'
          ? item.dispute
            ? 'Cleared. The dispute stays here until the bank decides.'
            : 'Cleared.'
          : `Recorded: the payment is now ${statusLabel(result.value.status).toLowerCase()}.`,
      );
    else setError(result.error);
  };

  const retry = async () => {
    holdFocus();
    setError(null);
    setDone(null);
    // A dispute is read again from the gateway too (it clears once won or lost).
    if (item.dispute) await run('disputes.list', { refresh: true });
    const result = await run('attention.retry', { paymentId: item.paymentId }, `retry:${item.paymentId}`);
    if (result.ok) setDone(`Checked again: the payment is now ${statusLabel(result.value.status).toLowerCase()}.`);
    else setError(result.error);
    // Still in doubt: back on "Check again", where it was (the title held it while the host asked).
    if (document.activeElement === title.current) checkAgain.current?.focus();
  };

  return (
    <li className="attention-item" data-payment-id={item.paymentId}>
      <article aria-labelledby={titleId}>
        <h2 id={titleId} ref={title} className="attention-item__title" tabIndex={-1}>
          {payment
            ? `${money(payment.amount, payment.currency)} — ${payment.description ?? `Order ${payment.orderReference}`}`
            : `Payment ${item.paymentId}`}
          {item.testMode ? <span className="attention-item__mode"> · test mode</span> : null}
        </h2>
        <p>
          <strong>What happened:</strong> {onThisScreen(item.reason)}
        </p>
        <p>
          <strong>What to do:</strong> {onThisScreen(item.advice)}
        </p>
        {item.dispute ? <p className="attention-item__dispute">{disputeLine(item.dispute, timeZone)}</p> : null}
        {item.dispute && item.ownReason ? (
          <p id={`${titleId}-stays`} className="muted">
            Mark as handled clears only what happened above: the dispute keeps this payment here until the bank decides.
          </p>
        ) : null}
        <p className="muted">
          Since {timeAgo(item.since, now)}
          {payment ? ` · ${paymentStatusLabel(payment)}` : ''}
        </p>
        <div className="actions">
          <button type="button" ref={checkAgain} disabled={busy} onClick={() => void retry()}>
            Check again
          </button>
          {readerUnknown && offered === null ? (
            <>
              <button type="button" disabled={busy} onClick={() => setConfirming('charged')}>
                The card was charged
              </button>
              <button type="button" disabled={busy} onClick={() => setConfirming('not_charged')}>
                The card was not charged
              </button>
            </>
          ) : null}
          {createUnknown && answeringOffered === null ? (
            <>
              <button type="button" disabled={busy} onClick={() => setAnswering('created')}>
                It was made: enter its id
              </button>
              <button type="button" disabled={busy} onClick={() => setAnswering('not_created')}>
                It was not made
              </button>
            </>
          ) : null}
          {settleElsewhere && answeringOffered === null ? (
            <>
              <button type="button" disabled={busy} onClick={() => setAnswering('charged')}>
                It was charged there: enter its id
              </button>
              <button type="button" disabled={busy} onClick={() => setAnswering('not_charged')}>
                It was not charged there
              </button>
            </>
          ) : null}
          {refundUnknown && offered === null ? (
            <>
              <button type="button" disabled={busy} onClick={() => setConfirming('credited')}>
                The card was credited
                {payment ? ` ${money(item.unsettledRefund!.amount, payment.currency)}` : ''}
              </button>
              <button type="button" disabled={busy} onClick={() => setConfirming('not_credited')}>
                The card was not credited
              </button>
            </>
          ) : null}
          {offered ? (
            <ConfirmChoice
              yes={CONFIRMATIONS[offered]}
              no="Back"
              busy={busy}
              backTo={() => title.current}
              onYes={() => void resolve(offered)}
              onNo={() => setConfirming(null)}
            />
          ) : null}
          {/* A dispute clears by itself once the bank decides: nothing to mark unless the payment is also in
              doubt for its own reason, and then marking clears only that part. */}
          {/* Made on another account (the embedded sandbox off, or on): nothing to mark until it is read there. */}
          {!readerUnknown &&
          !refundUnknown &&
          !item.otherAccount &&
          payment?.status !== 'unknown' &&
          (!item.dispute || item.ownReason) ? (
            <button
              type="button"
              disabled={busy}
              aria-describedby={item.dispute ? `${titleId}-stays` : undefined}
              onClick={() => void resolve('dismiss')}
            >
              Mark as handled
            </button>
          ) : null}
          {payment ? (
            <button
              type="button"
              onClick={() => {
                selectPayment(item.paymentId);
                setScreen('process');
              }}
            >
              Open payment
            </button>
          ) : null}
          {item.dispute ? (
            <button
              type="button"
              onClick={() => {
                openTransaction(item.dispute!.transactionId);
                setScreen('transactions');
              }}
            >
              Details and timeline
            </button>
          ) : null}
          {item.unknownCreate ? (
            // No gateway transaction yet: its details and timeline are the journal's.
            <button
              type="button"
              onClick={() => {
                openTransaction(item.paymentId);
                setScreen('transactions');
              }}
            >
              Details and timeline
            </button>
          ) : null}
        </div>
        {answeringOffered ? (
          <CreateSettlementForm
            key={answeringOffered}
            paymentId={item.paymentId}
            answer={answeringOffered}
            manualCapture={item.manualCapture === true}
            busy={busy}
            error={error}
            backTo={() => title.current}
            onRecord={(settlement) => void settleCreate(settlement)}
            onBack={() => {
              setAnswering(null);
              setError(null);
            }}
          />
        ) : null}
        <LiveRegion>{done}</LiveRegion>
        <ErrorBox error={error} />
      </article>
    </li>
  );
});

/**
 * Items drawn at a time; "Show N more" draws the next page. After a long gateway outage the list
 * holds thousands of payments in doubt (every one is kept), and drawing a form for each made the
 * screen slow to open and to use.
 *
 * The store keeps the whole list and only this screen pages it. The host already sends the list
 * whole in the snapshot and then item by item (applyAttentionChange), so the sidebar's count is
 * exact and a change costs the same however many pages are shown; what grew with the list was the
 * drawing, and slicing it here bounds that. Paging on the host instead would need a page command,
 * a count and totals kept in step with each change, and reading pages again on every change — the
 * machinery Capture needs only because its list is not mirrored.
 */
export const ATTENTION_PAGE = 50;

export const attentionTitleId = (paymentId: string) => `attention-${paymentId}`;

/**
 * The items drawn: the first `limit` in the host's order, then, in that order, any after them the
 * cashier is in the middle of (`held`). A new item at the top pushes the last one on the page onto
 * the next; if the cashier was confirming something on it, or had the focus in it, it stays where
 * it is, with its confirmation, until that is over.
 */
function pageOf(list: readonly AttentionView[], limit: number, held: ReadonlySet<string>): readonly AttentionView[] {
  const page = list.slice(0, limit);
  if (held.size === 0) return page;
  for (let i = limit; i < list.length; i++) if (held.has(list[i]!.paymentId)) page.push(list[i]!);
  return page;
}

/**
 * The items not drawn (after the first `limit`, but for those drawn): how many, and what their
 * payments hold per currency — real money first, test money apart (Needs attention lists both
 * modes; the two never add up).
 */
function notShownOf(list: readonly AttentionView[], limit: number, shown: readonly AttentionView[]) {
  const held = new Map<string, { currency: string; testMode: boolean; amount: number }>();
  const drawnAfter = new Set(shown.slice(limit).map((item) => item.paymentId));
  for (let i = limit; i < list.length; i++) {
    const item = list[i]!;
    if (drawnAfter.has(item.paymentId)) continue;
    const key = `${item.testMode ? 'test' : 'live'}:${item.currency}`;
    const sum = held.get(key) ?? { currency: item.currency, testMode: item.testMode, amount: 0 };
    sum.amount += item.amount;
    held.set(key, sum);
  }
  return {
    count: Math.max(0, list.length - shown.length),
    held: [...held.values()].sort(
      (a, b) => Number(a.testMode) - Number(b.testMode) || a.currency.localeCompare(b.currency),
    ),
  };
}

function focusTitleOf(paymentId: string): boolean {
  const title = document.getElementById(attentionTitleId(paymentId));
  title?.focus();
  return title !== null;
}

export function Attention() {
  const attention = usePos((s) => s.host.attention);
  const now = useNow();
  const [pages, setPages] = useState(1);
  const limit = pages * ATTENTION_PAGE;
  // The items the cashier is in the middle of: a confirmation open or a command running (each item
  // says), and the one the focus is in.
  const [busyItems, setBusyItems] = useState<ReadonlySet<string>>(() => new Set());
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const hold = useCallback((paymentId: string, on: boolean) => {
    setBusyItems((before) => {
      if (before.has(paymentId) === on) return before;
      const after = new Set(before);
      if (on) after.add(paymentId);
      else after.delete(paymentId);
      return after;
    });
  }, []);
  const held = useMemo(
    () => (focusedId === null ? busyItems : new Set([...busyItems, focusedId])),
    [busyItems, focusedId],
  );
  // The first items in the host's order: one resolved leaves and the next moves up into the page;
  // one new takes its place in the order (the last on the page then joins those not shown, unless
  // the cashier is in the middle of it).
  const shown = useMemo(() => pageOf(attention, limit, held), [attention, limit, held]);
  const notShown = useMemo(() => notShownOf(attention, limit, shown), [attention, limit, shown]);
  const screenTitle = useRef<HTMLHeadingElement>(null);

  // The item the focus is in (also held, above), and the page as last drawn: when that item leaves
  // (resolved here or elsewhere) the focus goes to the item after it (else before it, else the
  // screen's title), never to the page itself. Only the page is looked at, whatever the list holds.
  const focusedItem = useRef<string | null>(null);
  const focusItem = (paymentId: string | null) => {
    focusedItem.current = paymentId;
    setFocusedId(paymentId);
  };
  const drawn = useRef<readonly AttentionView[]>(shown);
  // "Show N more": the focus goes to the first item it drew.
  const focusNext = useRef<string | null>(null);

  useLayoutEffect(() => {
    const before = drawn.current;
    drawn.current = shown;
    if (focusNext.current !== null) {
      const target = focusNext.current;
      focusNext.current = null;
      if (focusTitleOf(target)) return;
    }
    const left = focusedItem.current;
    if (left === null || shown === before) return;
    const ids = new Set(shown.map((item) => item.paymentId));
    if (ids.has(left)) return;
    focusItem(null);
    const active = document.activeElement;
    if (active !== null && active !== document.body && active.isConnected) return;
    const at = before.findIndex((item) => item.paymentId === left);
    const after = before.slice(at + 1).find((item) => ids.has(item.paymentId));
    const previous = before
      .slice(0, Math.max(0, at))
      .reverse()
      .find((item) => ids.has(item.paymentId));
    // The last drawn one left: the item that moved up into the page follows the one before it.
    const movedUp = previous ? shown[shown.indexOf(previous) + 1] : shown[0];
    const next = after ?? movedUp ?? previous;
    if (!next || !focusTitleOf(next.paymentId)) screenTitle.current?.focus();
  }, [shown]);

  const onFocus = (event: FocusEvent<HTMLUListElement>) => {
    const item = (event.target as HTMLElement).closest<HTMLElement>('li[data-payment-id]');
    focusItem(item?.dataset.paymentId ?? null);
  };
  // The focus moved out of the list (Tab, a click, or the app putting it back on the screen after
  // the focused button went away): no item holds it any more. Leaving for nowhere (the item's button
  // going away, the window losing the focus) is not leaving the item.
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    const onFocusIn = (event: globalThis.FocusEvent) => {
      if (focusedItem.current === null || list.current?.contains(event.target as Node)) return;
      focusedItem.current = null;
      setFocusedId(null);
    };
    document.addEventListener('focusin', onFocusIn);
    return () => document.removeEventListener('focusin', onFocusIn);
  }, []);

  const showMore = () => {
    // The first item it draws (one held after the page is drawn already).
    const drawnNow = new Set(shown.map((item) => item.paymentId));
    const first = attention.slice(limit).find((item) => !drawnNow.has(item.paymentId));
    focusNext.current = first ? first.paymentId : null;
    setPages((p) => p + 1);
  };

  return (
    <section className="screen" aria-labelledby="attention-title">
      <h1 id="attention-title" ref={screenTitle} tabIndex={-1}>
        Needs attention
      </h1>
      <p className="muted">
        Payments the host could not settle by itself. It keeps checking; nothing here is charged twice.
      </p>
      {notShown.count > 0 ? (
        <div className="notice" role="region" aria-label="Payments not shown">
          <p>
            {`Showing ${shown.length} of ${attention.length} payments, newest first. `}
            {`${notShown.count} more ${notShown.count === 1 ? 'is' : 'are'} not shown, holding `}
            {notShown.held.map((h) => `${money(h.amount, h.currency)}${h.testMode ? ' in test mode' : ''}`).join(' + ')}
            .
          </p>
          <button type="button" onClick={showMore}>
            {`Show ${Math.min(ATTENTION_PAGE, notShown.count)} more`}
          </button>
        </div>
      ) : null}
      {attention.length === 0 ? (
        <p className="empty">Nothing needs attention.</p>
      ) : (
        <ul ref={list} className="plain-list" aria-label="Payments needing attention" onFocus={onFocus}>
          {shown.map((item) => (
            <AttentionItem key={item.paymentId} item={item} now={now} hold={hold} />
          ))}
        </ul>
      )}
    </section>
  );
}
