import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { PayLink } from '../components/PayLink';
import { RadioGroup } from '../components/RadioGroup';
import type { CommandError, InstallmentState, OpenPage, PaymentView, ReaderView } from '../../../common/contract';
import { ConfirmChoice, useWithdrawnChoice } from '../components/ConfirmChoice';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { useMerchantLabel } from '../components/Merchant';
import { hasReceipt, ReceiptPanel, receiptRevision } from '../components/ReceiptPanel';
import { TipEntry } from '../components/TipEntry';
import { TIP_PRESETS as DEFAULT_TIP_PRESETS, type TipChoice } from '../../../common/tips';
import { usePos } from '../store/context';
import type { PendingCharge, PendingPlan } from '../store/types';
import { useListChanges } from '../store/list-changes';
import {
  busyWith,
  canCancel,
  currentDecline,
  paymentsUnderWay,
  defaultReader,
  displayConnected,
  isInFlight,
  takenByReader,
  lastChargePayment,
  isOnline,
  openPayments,
  OPEN_STATUSES,
  pairedReaders,
} from '../store/selectors';
import { calendarDate, money } from '../lib/format';
import {
  capturedInPart,
  paymentStateText,
  paymentStatusLabel,
  planChargingText,
  planStatusText,
  READER_STATUS_LABELS,
  statusLabel,
} from '../lib/labels';
import { GATEWAY_LABELS } from '../../../common/contract/views';
import { useKey } from '../lib/hooks';

const STEPS = [
  { key: 'sent', label: 'Sent' },
  { key: 'waiting_for_card', label: 'Waiting for card' },
  { key: 'processing', label: 'Processing' },
  { key: 'done', label: 'Result' },
] as const;

function currentStep(payment: PaymentView): number {
  if (payment.status === 'in_progress') return STEPS.findIndex((s) => s.key === payment.readerStage);
  if (currentDecline(payment)) return 3;
  if (
    ['requires_capture', 'succeeded', 'failed', 'canceled', 'refunded', 'partially_refunded'].includes(payment.status)
  )
    return 3;
  return -1;
}

function resultLabel(payment: PaymentView): string {
  const decline = currentDecline(payment);
  if (!decline) return statusLabel(payment.status);
  return decline.kind === 'not_completed' ? 'Not completed' : 'Declined';
}

/**
 * Why the payment did not go through, in the alert region: a card the bank refused is *Declined*; a
 * payment nobody finished (no card in time, a link that lapsed unpaid) is *Not completed*.
 */
function DeclineNotice({ decline }: { decline: PaymentView['decline'] }) {
  return (
    <LiveRegion
      alert
      as="div"
      className={`decline${decline?.kind === 'not_completed' ? ' decline--not-completed' : ''}`}
    >
      {decline ? (
        <>
          <strong>{decline.kind === 'not_completed' ? 'Not completed:' : 'Declined:'}</strong> {decline.message}
        </>
      ) : null}
    </LiveRegion>
  );
}

function Steps({ payment }: { payment: PaymentView }) {
  const current = currentStep(payment);
  // Canceled before it reached a reader (Esc right after Enter, or while it waited to be sent): it was
  // never sent, never waited for a card; only its result is reached.
  const reached = payment.status === 'canceled' && payment.readerId === null ? current : 0;
  return (
    <ol className="steps" aria-label="Progress">
      {STEPS.map((step, index) => (
        <li
          key={step.key}
          className={`steps__item${index < current && index >= reached ? ' steps__item--done' : ''}${index === current ? ' steps__item--current' : ''}`}
          aria-current={index === current ? 'step' : undefined}
        >
          {step.key === 'done' && current === 3 ? resultLabel(payment) : step.label}
        </li>
      ))}
    </ol>
  );
}

/** What a reader is doing, as far as this payment is concerned. */
function readerActivity(reader: ReaderView, payment: PaymentView): string {
  const action = busyWith(reader);
  if (!isOnline(reader) || !action) return '';
  const thisPayment =
    action.paymentId === payment.id ||
    (payment.transactionId !== null && action.transactionId === payment.transactionId);
  return thisPayment ? ', with this payment' : ', busy with another payment';
}

function ReaderPicker({
  readers,
  value,
  onChange,
  disabled,
  payment,
}: {
  readers: ReaderView[];
  value: string | null;
  onChange(id: string): void;
  disabled: boolean;
  payment: PaymentView;
}) {
  if (readers.length === 0) {
    return <p className="empty">No reader is paired. Pair or add one on the Readers screen (F6).</p>;
  }
  return (
    <RadioGroup
      legend="Reader"
      name="reader"
      className="reader-picker"
      disabled={disabled}
      value={value}
      options={readers.map((reader) => ({
        value: reader.id,
        disabled: !isOnline(reader),
        label: (
          <span>
            {reader.label}{' '}
            <span className="muted">
              — {READER_STATUS_LABELS[reader.status]}
              {readerActivity(reader, payment)}
              {reader.statusDetail ? ` (${reader.statusDetail})` : ''}
            </span>
          </span>
        ),
      }))}
      onChange={onChange}
    />
  );
}

/** Open payments asked of the host at a time; "Show more" asks for the next page. */
export const OPEN_PAGE = 100;

/** The host's count of open payments holds every payment in these statuses (payments.open). */
const isOpen = (payment: PaymentView) => OPEN_STATUSES.includes(payment.status);

function PaymentPicker({ payments: mirrored }: { payments: PaymentView[] }) {
  const selectPayment = usePos((s) => s.selectPayment);
  const setScreen = usePos((s) => s.setScreen);
  const run = usePos((s) => s.run);
  const live = usePos((s) => s.host.payments);
  // A snapshot (a reconnect) carries only the newest open payments: the pages are read again, so a
  // payment paid or canceled meanwhile leaves the list instead of staying as the page read it.
  const snapshots = usePos((s) => s.host.snapshots);
  // A payment made, paid or canceled while the list is open: the pages and the host's count are
  // read again, so "N older not shown" follows (it stayed as first read).
  const changes = useListChanges(isOpen);
  const [loaded, setLoaded] = useState<PaymentView[]>([]);
  const [listed, setListed] = useState<{ total: number; open: OpenPage['open'] } | null>(null);
  const [pages, setPages] = useState(1);
  // As many as the snapshot carried (the newest) when the list opened, then a page more per "Show
  // more" (not the mirror's count as it grows: the pages read are applied to it).
  const [first] = useState(() => Math.max(OPEN_PAGE, mirrored.length));
  const wanted = first + (pages - 1) * OPEN_PAGE;

  useEffect(() => {
    let current = true;
    // The host's open payments a page at a time, newest first: the start-up snapshot carries only
    // the newest, and a busy shop may hold more (unpaid links, payments not sent to a reader).
    const load = async () => {
      const out: PaymentView[] = [];
      let last: OpenPage | null = null;
      for (let page = 0; out.length < wanted; page++) {
        const result = await run('payments.open', { offset: page * OPEN_PAGE, limit: OPEN_PAGE });
        if (!result.ok) return null;
        last = result.value;
        out.push(...result.value.payments);
        if (out.length >= result.value.total || result.value.payments.length === 0) break;
      }
      return last ? { ...last, payments: out } : null;
    };
    void load().then((page) => {
      if (!current || !page) return;
      setLoaded(page.payments);
      setListed({ total: page.total, open: page.open });
    });
    return () => {
      current = false;
    };
  }, [run, wanted, snapshots, changes]);

  // What the host listed, as the live mirror has it now (a payment paid since leaves the list), and
  // every open payment the mirror knows.
  const payments = useMemo(() => {
    const byId = new Map(mirrored.map((p) => [p.id, p]));
    for (const p of loaded) {
      const now = live[p.id] ?? p;
      if (!byId.has(now.id) && OPEN_STATUSES.includes(now.status)) byId.set(now.id, now);
    }
    return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }, [mirrored, loaded, live]);

  // The open payments not on screen, and what they hold: never silently left out. The host's count
  // less every one listed — all of them open, so all counted by it, including those the mirror
  // shows beyond the pages read (once counted as not shown while on screen). The pages are read
  // again when open payments change.
  const notShown = useMemo(() => {
    if (!listed) return null;
    const count = listed.total - payments.length;
    if (count <= 0) return null;
    const open = listed.open
      .map((o) => {
        const shown = payments.filter((p) => p.currency === o.currency);
        return {
          currency: o.currency,
          count: o.count - shown.length,
          amount: o.amount - shown.reduce((sum, p) => sum + p.amount, 0),
        };
      })
      .filter((o) => o.count > 0);
    return { count, open };
  }, [listed, payments]);

  return (
    <div>
      <p>No payment is selected.</p>
      {notShown ? (
        <div className="notice" role="region" aria-label="Open payments not shown">
          <p>
            {`Showing the newest ${payments.length} of ${listed!.total} open payments. `}
            {`${notShown.count} older ${notShown.count === 1 ? 'is' : 'are'} not shown, for `}
            {notShown.open.map((o) => money(o.amount, o.currency)).join(' + ')}.
          </p>
          <button type="button" onClick={() => setPages((p) => p + 1)}>
            {`Show ${Math.min(OPEN_PAGE, notShown.count)} more`}
          </button>
        </div>
      ) : null}
      {payments.length > 0 ? (
        <>
          <h2>Open payments</h2>
          <ul className="plain-list">
            {payments.map((p) => (
              <li key={p.id}>
                <button type="button" onClick={() => selectPayment(p.id)}>
                  {money(p.amount, p.currency)} — {p.description ?? p.orderReference} ({paymentStatusLabel(p)})
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <button type="button" onClick={() => setScreen('create')}>
        Create a payment (F1)
      </button>
    </div>
  );
}

const CREATING_ESC_HINT = 'Esc cancels the payment as soon as the gateway has it.';
const LINK_ESC_HINT = 'Esc cancels the payment while the customer has not paid.';
/** While the host is out of reach Cancel payment is off and Esc does nothing: said, not promised. */
const OFFLINE_ESC_HINT = 'Not connected to the host: Esc cancels the payment once the connection is back.';

const CANCELLING_TEXT =
  'Cancelling… The payment is cancelled as soon as the gateway has it: the reader will not ask for the card.';

/**
 * The payment's amount, what it is for, where it is, and anything waiting or needing attention.
 * Before the host reports it (Enter was just pressed), `pending` stands for it with the same card,
 * its state "Creating…": the state's live region is then the one that says "Waiting for card" (its
 * text changes in place, so it is announced; one drawn anew with its text is often not).
 */
function PaymentCard({
  payment,
  pending,
  readerLabel,
  cancelling = false,
  unfollowed = false,
}: {
  payment: PaymentView | null;
  pending?: PendingCharge | null | undefined;
  readerLabel?: string | undefined;
  /** Esc was pressed while it was being created: its cancel waits for the gateway's answer. */
  cancelling?: boolean;
  /** Another gateway's payment: what the till last knew, not a state it follows (no QR is shown). */
  unfollowed?: boolean;
}) {
  const amount = payment?.amount ?? pending?.amount ?? 0;
  const currency = payment?.currency ?? pending?.currency ?? '';
  // Captured in part: what it took, as Transactions, the receipt and the reports say (found by a
  // tester: ₹500.00 "Approved" on Process payment for ₹300.00 captured of ₹500.00 authorised).
  const part = payment ? capturedInPart(payment) : null;
  return (
    <div className="payment-card">
      <p className="payment-card__amount">{money(part ?? amount, currency)}</p>
      {part !== null ? <p className="muted">of {money(amount, currency)} authorised</p> : null}
      {payment?.tip?.state === 'chosen' && payment.tip.amount > 0 ? (
        <p className="payment-card__tip">
          {money(payment.tip.preTipAmount, payment.currency)} + tip {money(payment.tip.amount, payment.currency)}
          {payment.tip.percent !== null ? ` (${payment.tip.percent} %)` : ''}
        </p>
      ) : null}
      {payment?.chargedBy === 'terminal' ? (
        <p className="muted">Charged by the terminal through the shop&apos;s own bank (no gateway).</p>
      ) : null}
      <p className="payment-card__meta">
        {payment ? (
          <>
            {payment.description ? `${payment.description} · ` : ''}Order {payment.orderReference}
            {payment.captureMethod === 'manual' ? ' · manual capture' : ''}
            {paidHow(payment)}
            {payment.card ? ` · ${payment.card.brand} •••• ${payment.card.last4}` : ''}
          </>
        ) : (
          `Order ${pending?.orderReference ?? ''}`
        )}
      </p>
      {payment?.channel === 'card_present' && payment.tip?.state !== 'awaiting' ? <Steps payment={payment} /> : null}
      <LiveRegion
        className={payment ? `payment-state payment-state--${payment.status}` : 'payment-state payment-state--creating'}
      >
        {cancelling || (!payment && pending?.cancelAsked) ? (
          CANCELLING_TEXT
        ) : payment ? (
          <>
            {unfollowed ? `Last known here: ${statusLabel(payment.status)}.` : paymentStateText(payment)}
            {readerLabel ? ` (${readerLabel})` : ''}
          </>
        ) : pending?.readerLabel ? (
          `Creating the payment and sending it to ${pending.readerLabel}…`
        ) : (
          'Creating the payment…'
        )}
      </LiveRegion>
      {payment && payment.queuedOperations > 0 ? (
        <p className="muted">
          {payment.queuedOperations} operation{payment.queuedOperations === 1 ? '' : 's'} waiting for the gateway to
          come back.
        </p>
      ) : null}
      {payment?.attention ? (
        <div className="attention-box">
          <strong>Needs attention:</strong> {payment.attention.reason} {payment.attention.advice}
        </div>
      ) : null}
    </div>
  );
}

/** A payment waiting for its tip: the customer chooses on the display, or the cashier types it. */
function TipWaiting({ payment }: { payment: PaymentView }) {
  const run = usePos((s) => s.run);
  const display = usePos(displayConnected);
  // The display asks the newer customer for their tip: this one's is the cashier's to type.
  const displayElsewhere = usePos((s) => !!s.host.display?.paymentId && s.host.display.paymentId !== payment.id);
  const presets = usePos((s) => s.host.settings?.counter.tipping.presets ?? DEFAULT_TIP_PRESETS);
  const busy = usePos((s) => s.busy[`tip:${payment.id}`] === true);
  const [error, setError] = useState<CommandError | null>(null);
  const choose = async (tip: TipChoice) => {
    setError(null);
    const result = await run('payments.setTip', { paymentId: payment.id, tip }, `tip:${payment.id}`);
    if (!result.ok) setError(result.error);
  };
  return (
    <div className="tip-waiting">
      <p role="status" className="payment-state">
        {display && displayElsewhere
          ? 'The customer display shows another payment: ask this customer for a tip, then choose it here. Nothing has been charged yet.'
          : display
            ? 'Waiting for the customer to choose a tip on the customer display. Nothing has been charged yet.'
            : 'Ask the customer for a tip, then choose it here. Nothing has been charged yet.'}
      </p>
      <TipEntry
        amount={payment.tip?.preTipAmount ?? payment.amount}
        currency={payment.currency}
        presets={presets}
        disabled={busy}
        onChoose={(tip) => void choose(tip)}
      />
      <ErrorBox error={error} shownPaths={[]} />
    </div>
  );
}

/** How a payment no reader takes is paid, for its meta line: "" for one on a reader. */
function paidHow(payment: PaymentView): string {
  if (payment.installment) {
    const { part, of } = payment.installment;
    // Only the first part is paid by link: the gateway charges the others by itself.
    return part === 1 ? ` · installment 1 of ${of}, pay by link` : ` · installment ${part} of ${of}`;
  }
  if (payment.channel !== 'link') return '';
  return payment.savedCard ? ' · saved card' : ' · pay by link';
}

/** A payment whose sale is over: the money taken, held for capture, or none of it (not unknown). */
function cardSaleEnded(payment: PaymentView): boolean {
  return ['requires_capture', 'succeeded', 'failed', 'canceled', 'refunded', 'partially_refunded'].includes(
    payment.status,
  );
}

/**
 * A payment (or plan) that ends while it is on screen — the customer paid the link, it lapsed, Esc
 * cancelled it — moves the focus from where the open payment left it (the title, or nowhere once
 * its Cancel button went) to the screen's next step, as opening the screen on it does: Enter then
 * starts the next sale. A focus the cashier put elsewhere stays where it is.
 */
function useNextStepOnceDone(key: string, open: boolean): void {
  const refocus = usePos((s) => s.refocus);
  const last = useRef({ key, open });
  useEffect(() => {
    const was = last.current;
    last.current = { key, open };
    if (was.key !== key || !was.open || open) return;
    const active = document.activeElement;
    if (active === null || active === document.body || active.tagName === 'H1') refocus();
  }, [key, open, refocus]);
}

/** A payment by link: the QR for the customer, the time left, and cancel while it is unpaid. */
function LinkPayment({ payment }: { payment: PaymentView }) {
  const cancelPayment = usePos((s) => s.cancelPayment);
  const setScreen = usePos((s) => s.setScreen);
  const canceling = usePos((s) => s.busy[`cancel:${payment.id}`] === true);
  const connection = usePos((s) => s.link.connection);
  const testMode = usePos((s) => s.host.mode === 'test');
  const merchant = useMerchantLabel();
  const paymentError = usePos((s) => s.ui.paymentError);
  const error = paymentError && paymentError.paymentId === payment.id ? paymentError.error : null;
  const decline = currentDecline(payment);
  const open = payment.status === 'pending' || payment.status === 'creating';
  // Some gateways (Plural) keep an unpaid link open until it expires: there is nothing to cancel.
  const withdrawable = payment.next.includes('cancel');
  const run = usePos((s) => s.run);
  const takingDown = usePos((s) => s.busy[`takeDown:${payment.id}`] === true);
  // The customer display shows this link's code: with nothing to cancel, the cashier takes it down
  // there (it stayed up, with its amount, for the next customer to scan).
  const onDisplay = usePos((s) => s.host.display?.paymentId === payment.id && s.host.display.phase === 'qr');
  useNextStepOnceDone(payment.id, open);
  const cancellable = payment.status === 'pending' && withdrawable && !canceling && connection === 'open';
  useKey(
    'Escape',
    (event) => {
      if (!cancellable) return;
      event.preventDefault();
      void cancelPayment(payment.id);
    },
    open && withdrawable,
  );
  // The cashier's actions and what Esc does go beside the code (PayLink), in view on a short screen.
  const actions = (
    <>
      <div className="actions">
        {open && withdrawable ? (
          <button
            type="button"
            className="danger"
            disabled={!cancellable}
            aria-keyshortcuts="Escape"
            onClick={() => void cancelPayment(payment.id)}
          >
            Cancel payment
          </button>
        ) : (
          // Focused once the payment is done; while a link nobody can withdraw waits (Plural), the
          // title keeps the focus, so a habitual Enter does not take the QR off the screen.
          <button type="button" data-autofocus={open ? undefined : ''} onClick={() => setScreen('create')}>
            New payment (F1)
          </button>
        )}
        {payment.status === 'requires_capture' ? (
          <button type="button" onClick={() => setScreen('capture')}>
            Go to Capture (F4)
          </button>
        ) : null}
        {open && !withdrawable && onDisplay ? (
          <button
            type="button"
            disabled={takingDown}
            onClick={() => void run('display.takeDown', { paymentId: payment.id }, `takeDown:${payment.id}`)}
          >
            Take the code off the customer display
          </button>
        ) : null}
      </div>
      {open && withdrawable ? (
        <p className="key-hints">{connection === 'open' ? LINK_ESC_HINT : OFFLINE_ESC_HINT}</p>
      ) : null}
      {open && !withdrawable && payment.status === 'pending' ? (
        <p className="muted link-stays-open">
          {/* Plural states no end for its checkout page: "until it expires" promised an end that never came. */}
          {payment.payUrlExpiresAt
            ? 'This link cannot be withdrawn: it stays open until it expires.'
            : 'This link cannot be withdrawn, and it has no time limit: it stays open.'}{' '}
          If the customer no longer wants to pay, take the code down; should they pay later, the payment appears in
          Transactions and can be refunded there.
        </p>
      ) : null}
    </>
  );
  const showCode = payment.status === 'pending' && !!payment.payUrl;
  return (
    <>
      <DeclineNotice decline={decline} />
      <ErrorBox error={error} />
      {showCode ? (
        <PayLink
          url={payment.payUrl!}
          amount={payment.amount}
          currency={payment.currency}
          expiresAt={payment.payUrlExpiresAt}
        >
          {actions}
        </PayLink>
      ) : (
        actions
      )}
      {payment.splits.length > 0 ? (
        <p className="muted split-summary">
          Shared between merchants:{' '}
          {payment.splits
            .map(
              (split) => `${merchant(split.merchantId)} ${money(split.amount, payment.currency)}${shareState(split)}`,
            )
            .join(' · ')}
        </p>
      ) : null}
      {testMode && showCode ? (
        <p className="test-hint">
          Test mode: pay the link with a test card, or open it on a phone.{' '}
          <button type="button" onClick={() => setScreen('simulate')}>
            Pay with a test card (F3)
          </button>
        </p>
      ) : null}
    </>
  );
}

/**
 * A share as it stands, after its amount on the payment's line: held until released, or what became
 * of it since (found by a tester: a share cancelled on Settlements still read as plainly shared).
 */
function shareState(split: PaymentView['splits'][number]): string {
  // Held at the gateway, but nothing captured is left for it: over, not held.
  if (split.closed) return ' (closed: nothing to settle)';
  switch (split.status) {
    case 'HOLD':
      return ' (held)';
    case 'REQUESTED':
      return split.onHold ? ' (held)' : '';
    case 'RELEASED':
      return split.onHold ? ' (released)' : '';
    case 'CANCELLED':
      return ' (cancelled)';
    default:
      return '';
  }
}

/**
 * A plan opened from Transactions shows the list's copy at once, marked as such, and is read again
 * from its gateway (installments.get): a part charged since the list was read showed as Scheduled
 * until F5 (found by a tester). Answers 'reading' meanwhile, the error if it was not read, else null.
 */
function usePlanReadAgain(planId: string, fromList: boolean): 'reading' | CommandError | null {
  const run = usePos((s) => s.run);
  const showPlan = usePos((s) => s.showPlan);
  // The plan read last, and the error if it was not read: any other plan opened is being read.
  const [read, setRead] = useState<{ planId: string; error: CommandError | null } | null>(null);
  useEffect(() => {
    if (!fromList) return;
    let current = true;
    void run('installments.get', { planId }).then((result) => {
      if (!current) return;
      if (result.ok) showPlan(result.value);
      setRead({ planId, error: result.ok ? null : result.error });
    });
    return () => {
      current = false;
    };
  }, [planId, fromList, run, showPlan]);
  if (!fromList) return null;
  return read?.planId === planId ? read.error : 'reading';
}

/** Said when an abort's confirmation is withdrawn: the plan ended (or was aborted elsewhere) meanwhile. */
const PLAN_WITHDRAWN = 'The plan ended while you were confirming: nothing was aborted.';

/**
 * An installment plan: the first part's QR, the schedule, and abort while it runs. Aborting stops
 * the customer's later installments and cannot be undone, so it is asked twice (found by a UI hunt:
 * one key press aborted it), like cancelling an authorisation: the confirmation, with the focus on
 * it, says what aborting does.
 */
function PlanPanel() {
  const plan = usePos((s) => s.ui.selectedPlan)!;
  const activeGateway = usePos((s) => s.host.gateway?.name ?? null);
  // Taken with the gateway the till used before a switch: still followed with it (while its keys are
  // kept), and aborted with them, but not shown to the customer here. A plan the till cannot follow
  // now (made in the other mode, its gateway's keys removed) is neither: its QR and Abort are another account's.
  const elsewhere = activeGateway !== null && plan.gateway !== activeGateway;
  const followed = plan.notFollowed === null;
  const here = !elsewhere && followed;
  const run = usePos((s) => s.run);
  const showPlan = usePos((s) => s.showPlan);
  const setScreen = usePos((s) => s.setScreen);
  const fromTransactions = usePos((s) => s.ui.planFromTransactions);
  const backFromPlan = usePos((s) => s.backFromPlan);
  // Opened from Transactions: Esc goes back there, as from a payment's details (a confirmation open
  // takes its own Esc first).
  useKey('Escape', backFromPlan, fromTransactions);
  const reading = usePlanReadAgain(plan.id, fromTransactions);
  const busy = usePos((s) => s.busy[`plan:${plan.id}`] === true);
  const [error, setError] = useState<CommandError | null>(null);
  const [asked, setAsked] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  // The plan ended (paid in full, failed, aborted in another window) with the confirmation open: its
  // "Yes" is withdrawn before it can be pressed, the screen says why, the focus waits on the title.
  const confirming = useWithdrawnChoice(
    asked,
    (planId) => planId === plan.id && plan.status === 'active',
    () => {
      setAsked(null);
      setSaid(PLAN_WITHDRAWN);
    },
    () => title.current,
  );
  const abort = async () => {
    title.current?.focus();
    setAsked(null);
    setError(null);
    setSaid(null);
    const result = await run('installments.abort', { planId: plan.id }, `plan:${plan.id}`);
    if (result.ok) showPlan(result.value);
    else setError(result.error);
  };
  const firstPaid = plan.schedule[0]?.paid ?? false;
  const left = plan.schedule.filter((entry) => !entry.paid && entry.state !== 'canceled').length;
  const warningId = `plan-${plan.id}-abort-warning`;
  const abortable = plan.status === 'active' && followed;
  // Once the customer has paid the first part (the rest is charged on its dates) or the plan ended,
  // the counter is free: the next sale starts here, as after any payment done.
  const counterFree = firstPaid || plan.status !== 'active';
  // Then New payment takes the focus, as a link's does once paid: on screen when the first part is
  // paid, and when the panel opens. Not while an abort is being confirmed, nor once its withdrawal
  // put the focus on the title (Enter there does nothing, on purpose).
  useNextStepOnceDone(plan.id, !counterFree || asked !== null || said === PLAN_WITHDRAWN);
  const newPayment = counterFree ? (
    <button type="button" data-autofocus="" onClick={() => setScreen('create')}>
      New payment (F1)
    </button>
  ) : null;
  const abortButton =
    abortable || newPayment ? (
      <div className="actions">
        {!abortable ? null : confirming !== null ? (
          <>
            <p id={warningId} className="notice" role="note">
              {`Aborting stops the ${left === 1 ? 'installment' : `${left} installments`} not paid yet: the customer is not charged for ${left === 1 ? 'it' : 'them'}. It cannot be undone.`}
            </p>
            <ConfirmChoice
              yes="Yes, abort the plan"
              no="Keep the plan"
              busy={busy}
              describedBy={warningId}
              onYes={() => void abort()}
              onNo={() => setAsked(null)}
            />
          </>
        ) : (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => {
              setSaid(null);
              setAsked(plan.id);
            }}
          >
            Abort plan
          </button>
        )}
        {confirming === null ? newPayment : null}
      </div>
    ) : null;
  return (
    <section className="screen screen--process" aria-labelledby="process-title">
      <h1 id="process-title" ref={title} tabIndex={-1}>
        Installment plan
      </h1>
      <p role="status" className="payment-state">
        {money(plan.amount, plan.currency)} in {plan.schedule.length} installments for {plan.customer.firstName}{' '}
        {plan.customer.lastName}: {planStatusText(plan)}
        {plan.failure ? ` (${plan.failure})` : ''}
      </p>
      {reading === null ? null : (
        <p className="notice" role="status">
          {reading === 'reading'
            ? `As the list read it: reading it again from ${GATEWAY_LABELS[plan.gateway]}…`
            : `As the list read it: not read again now. ${reading.message}`}
        </p>
      )}
      {fromTransactions ? (
        <div className="actions">
          <button type="button" onClick={backFromPlan} aria-keyshortcuts="Escape">
            Back to transactions
          </button>
        </div>
      ) : null}
      <LiveRegion className="notice">{said}</LiveRegion>
      <ErrorBox error={error} />
      {plan.notFollowed ? (
        <div className="attention-box" role="note">
          <strong>Not followed.</strong> {plan.notFollowed}
        </div>
      ) : elsewhere ? (
        <div className="attention-box" role="note">
          <strong>Taken with {GATEWAY_LABELS[plan.gateway]}.</strong> The till now uses {GATEWAY_LABELS[activeGateway]}{' '}
          and still follows this plan with {GATEWAY_LABELS[plan.gateway]}: the parts it charges, declines or aborts show
          here and on Transactions, and Abort plan ends it with {GATEWAY_LABELS[plan.gateway]}&apos;s keys. Switch back
          to {GATEWAY_LABELS[plan.gateway]} in Settings (F7) to show its QR code.
        </div>
      ) : null}
      {plan.payUrl && !firstPaid && here ? (
        <PayLink
          url={plan.payUrl}
          amount={plan.schedule[0]?.amount ?? plan.amount}
          currency={plan.currency}
          expiresAt={plan.payUrlExpiresAt}
          caption="Scan to pay the first installment; the others are charged to the same card on their dates."
        >
          {abortButton}
        </PayLink>
      ) : (
        abortButton
      )}
      <table className="schedule">
        <caption>Schedule</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Amount</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {plan.schedule.map((entry, index) => (
            <tr key={`${entry.date}-${index}`}>
              <td>
                <time dateTime={entry.date}>{calendarDate(entry.date)}</time>
              </td>
              <td className="num">{money(entry.amount, plan.currency)}</td>
              <td>{INSTALLMENT_STATE_LABELS[entry.state]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const INSTALLMENT_STATE_LABELS: Record<InstallmentState, string> = {
  scheduled: 'Scheduled',
  waiting: 'Waiting for the customer',
  charging: 'Charging',
  paid: 'Paid',
  expired: 'Link expired',
  failed: 'Declined',
  canceled: 'Canceled',
  not_charged: 'Not paid',
};

/** The Process screen's frame: its section and its heading (which the app focuses when nothing else). */
function ProcessFrame({ children, plain = false }: { children: ReactNode; plain?: boolean }) {
  return (
    <section className={plain ? 'screen' : 'screen screen--process'} aria-labelledby="process-title">
      <h1 id="process-title" tabIndex={-1}>
        Process payment
      </h1>
      {/* In a fragment of its own: one child (the card while the payment is created) or several (the
          card and the rest), the card stays the same, and so does its state's live region. */}
      <>{children}</>
    </section>
  );
}

export function ProcessPayment() {
  const selectedPlan = usePos((s) => s.ui.selectedPlan);
  const pendingPlan = usePos((s) => s.ui.pendingPlan);
  if (selectedPlan) return <PlanPanel />;
  return pendingPlan ? <PlanCharging plan={pendingPlan} /> : <PaymentOnReaderOrLink />;
}

/** A plan sent and not answered yet: what is being charged, until the host's plan takes its place. */
function PlanCharging({ plan }: { plan: PendingPlan }) {
  return (
    <section className="screen screen--process" aria-labelledby="process-title">
      <h1 id="process-title" tabIndex={-1}>
        Installment plan
      </h1>
      <p className="payment-card__amount">{money(plan.amount, plan.currency)}</p>
      <LiveRegion className="payment-state payment-state--creating">{planChargingText(plan)}</LiveRegion>
    </section>
  );
}

function PaymentOnReaderOrLink() {
  const selectedId = usePos((s) => s.ui.selectedPaymentId);
  const pendingCharge = usePos((s) => s.ui.pendingCharge);
  const lastCharge = usePos((s) => s.ui.lastCharge);
  const payments = usePos((s) => s.host.payments);
  const allReaders = usePos((s) => s.host.readers);
  const fallbackReader = usePos(defaultReader);
  const paymentError = usePos((s) => s.ui.paymentError);
  const notice = usePos((s) => s.ui.notice);
  const connection = usePos((s) => s.link.connection);
  const busyMap = usePos((s) => s.busy);
  const processPayment = usePos((s) => s.processPayment);
  const selectPayment = usePos((s) => s.selectPayment);
  const cancelPayment = usePos((s) => s.cancelPayment);
  const cancelCharge = usePos((s) => s.cancelCharge);
  const setScreen = usePos((s) => s.setScreen);
  const run = usePos((s) => s.run);
  const showPlan = usePos((s) => s.showPlan);
  const testMode = usePos((s) => s.host.mode === 'test');
  const activeGateway = usePos((s) => s.host.gateway?.name ?? null);
  const [picked, setPicked] = useState<string | null>(null);
  const retryRef = useRef<HTMLButtonElement>(null);

  const payment = selectedId ? payments[selectedId] : undefined;
  const readers = useMemo(() => pairedReaders(allReaders), [allReaders]);
  const open = useMemo(() => openPayments(payments), [payments]);
  // Nothing chosen (after a reload, say): the cashier's last Charge, open or ended moments ago (as
  // soon as the host reports it), else the one payment under way: on a reader, or waiting for the
  // customer to pay its link or choose a tip. That is the one the cashier is looking for.
  const underWay = paymentsUnderWay(open, activeGateway, testMode);
  const only = selectedId || pendingCharge || underWay.length !== 1 ? null : underWay[0]!.id;
  const choosing = !selectedId && !pendingCharge;
  useEffect(() => {
    if (!choosing) return;
    const pick = lastChargePayment(payments, lastCharge, Date.now())?.id ?? only;
    if (pick) selectPayment(pick);
  }, [choosing, payments, lastCharge, only, selectPayment]);
  // A plan's unpaid part is the plan's business (found by using the app: after a reload the first part
  // showed as a lone link, another QR than the plan's, and its cancel ended the plan unconfirmed): the
  // plan's panel takes its place, with the plan's QR, its schedule and Abort plan, confirmed.
  const planOfPart = payment?.status === 'pending' ? payment.installmentPlanId : null;
  useEffect(() => {
    if (!planOfPart) return;
    let current = true;
    void run('installments.list', {}).then((result) => {
      const plan = result.ok ? result.value.find((p) => p.id === planOfPart) : undefined;
      if (current && plan) showPlan(plan);
    });
    return () => {
      current = false;
    };
  }, [planOfPart, run, showPlan]);

  // A card payment that ends while shown — approved or declined for good on its reader, cancelled with
  // Esc — moves a focus left on the title to New payment (F1), as a link's does (found in a defect
  // hunt: Enter did nothing after Approved). Not one whose outcome is unknown: that one may have been
  // charged, and nothing should invite the next sale's Enter there.
  const cardEnded = !!payment && payment.channel !== 'link' && cardSaleEnded(payment);
  useNextStepOnceDone(payment?.id ?? '', !!payment && payment.channel !== 'link' && !cardEnded);

  const pickedReader = readers.find((r) => r.id === picked && isOnline(r));
  const paymentReader = payment?.readerId ? readers.find((r) => r.id === payment.readerId) : undefined;
  const readerId =
    pickedReader?.id ?? (paymentReader && isOnline(paymentReader) ? paymentReader.id : fallbackReader?.id) ?? null;
  const reader = readers.find((r) => r.id === readerId) ?? null;
  // A payment under way is on its own reader, even one no longer listed (forgotten elsewhere, or the
  // gateway's readers not listed while it is unreachable): never on whichever reader the picker offers.
  const onItsReader = payment?.status === 'in_progress' && payment.readerId !== null;
  const shownReader = onItsReader ? (paymentReader ?? null) : reader;

  const processing = payment ? busyMap[`process:${payment.id}`] === true : false;
  const canceling = payment ? busyMap[`cancel:${payment.id}`] === true : false;
  const inFlight = isInFlight(payment) || processing;
  const disconnected = connection !== 'open';
  // Created with its cancel asked and not canceled yet (the gateway refused it, or was out of reach):
  // Cancel payment stays, to ask again (recovery also sends it again once the gateway is back).
  const cancellable = canCancel(payment, paymentReader) && !canceling && !processing && !disconnected;
  // Being created (Enter was just pressed, the gateway has not answered): Esc cancels it once the
  // gateway has it, rather than letting it go on to the reader (see cancelCharge).
  const creating = payment?.status === 'creating' && payment.tip?.state !== 'awaiting';
  // The host has the cancel asked while it was created (journaled, so also after a reload): it sends
  // it once the gateway has the payment.
  const cancelHeld = payment?.cancelAsked === true;
  const cancelsOnceCreated = (creating && !canceling && !cancelHeld && !disconnected) || (!payment && !!pendingCharge);
  const cancelAsked = !payment && pendingCharge?.cancelAsked === true;
  const cancellingCreation = (creating && canceling) || cancelAsked || cancelHeld;

  // After a decline, Enter means "try another card": put the focus there.
  const declineKey =
    payment?.status === 'pending' && currentDecline(payment)?.anotherCard ? `${payment.id}:${payment.updatedAt}` : null;
  useEffect(() => {
    if (declineKey) retryRef.current?.focus();
  }, [declineKey]);

  useKey(
    'Escape',
    (event) => {
      if (cancelsOnceCreated) {
        event.preventDefault();
        cancelCharge();
        return;
      }
      if (!payment || !cancellable) return;
      event.preventDefault();
      void cancelPayment(payment.id);
    },
    !!payment || !!pendingCharge,
  );

  if (!payment && pendingCharge) {
    // Enter was pressed and the host has not reported the payment yet (usually a few milliseconds).
    return (
      <ProcessFrame>
        <PaymentCard payment={null} pending={pendingCharge} />
        <div className="actions">
          <button
            type="button"
            className="danger"
            disabled={cancelAsked}
            aria-keyshortcuts="Escape"
            onClick={() => cancelCharge()}
          >
            Cancel payment
          </button>
        </div>
        {cancelAsked ? null : <p className="key-hints">{CREATING_ESC_HINT}</p>}
      </ProcessFrame>
    );
  }

  if (!payment) {
    return (
      <ProcessFrame plain>
        <LiveRegion heardOnOpen>
          {selectedId ? 'The selected payment is not known to the host any more.' : null}
        </LiveRegion>
        <PaymentPicker payments={open} />
      </ProcessFrame>
    );
  }

  const awaitingTip = payment.tip?.state === 'awaiting' && payment.status === 'creating';

  const stillOpen = ['creating', 'pending', 'in_progress', 'unknown', 'requires_capture'].includes(payment.status);
  const otherGateway = activeGateway !== null && payment.gateway !== activeGateway;
  const otherMode = payment.testMode !== testMode;
  if (activeGateway && (otherGateway || otherMode) && stillOpen) {
    // Taken with the gateway the till used before, or in the other mode: nothing here can act on it,
    // and its QR (if any) is not shown as if it were waiting to be paid here. A switch of mode said
    // nothing and offered buttons the host refused (found in a defect hunt).
    const label = GATEWAY_LABELS[payment.gateway];
    const mode = (test: boolean) => (test ? 'test mode' : 'live mode');
    const taken =
      otherGateway && otherMode
        ? `${label} in ${mode(payment.testMode)}`
        : otherGateway
          ? label
          : mode(payment.testMode);
    const now =
      otherGateway && otherMode
        ? `The till now uses ${GATEWAY_LABELS[activeGateway]} in ${mode(testMode)}`
        : otherGateway
          ? `The till now uses ${GATEWAY_LABELS[activeGateway]}`
          : `The till is now in ${mode(testMode)}`;
    const back = otherGateway && otherMode ? `${label} and ${mode(payment.testMode)}` : taken;
    // Another gateway's open link in this mode is still read with that gateway's own keys, unless
    // Needs attention says it is not (its keys gone): it said "not followed" of one the till followed.
    const followed =
      otherGateway &&
      !otherMode &&
      payment.channel === 'link' &&
      payment.status === 'pending' &&
      payment.transactionId !== null &&
      payment.attention === null;
    return (
      <ProcessFrame>
        <PaymentCard payment={payment} unfollowed={!followed} />
        <div className="attention-box" role="note">
          <strong>
            Taken {otherGateway ? 'with' : 'in'} {taken}.
          </strong>{' '}
          {now}
          {payment.status === 'requires_capture'
            ? // Authorised: nobody pays it again, but Capture (F4) does not offer it while switched.
              `, so this authorisation is not followed and Capture (F4) does not offer it. Switch back to ${back} in Settings (F7) to capture or cancel it.`
            : followed
              ? ` and still follows this link with ${label}'s keys: paid, it shows as paid here. Switch back to ${back} in Settings (F7) to finish, cancel or refund it.`
              : `, so this payment is not followed and its state may be out of date (a customer may still pay its link). Switch back to ${back} in Settings (F7) to finish, cancel or refund it.`}
        </div>
        <div className="actions">
          <button type="button" data-autofocus="" onClick={() => setScreen('create')}>
            New payment (F1)
          </button>
        </div>
      </ProcessFrame>
    );
  }

  if (payment.channel === 'link') {
    return (
      <ProcessFrame>
        <PaymentCard payment={payment} />
        <LiveRegion heardOnOpen className="notice">
          {notice}
        </LiveRegion>
        {awaitingTip ? <TipWaiting payment={payment} /> : null}
        <LinkPayment payment={payment} />
        {hasReceipt(payment) ? (
          <ReceiptPanel paymentRef={payment.id} receipt={payment.receipt} revision={receiptRevision(payment)} />
        ) : null}
      </ProcessFrame>
    );
  }

  const decline = currentDecline(payment);
  const error = paymentError && paymentError.paymentId === payment.id ? paymentError.error : null;
  // A 'failed' payment is final at the gateway; a declined one that stayed 'pending' takes another card.
  const sendable = payment.status === 'pending' && !cancelHeld;
  const retryable = sendable && !!decline?.anotherCard;
  const escHint = cancelHeld
    ? null
    : payment.status === 'in_progress' && payment.readerStage === 'processing'
      ? 'The card is being authorised: it cannot be canceled now.'
      : takenByReader(payment, paymentReader)
        ? // A Concert terminal that took the request: the till cannot stop it, only its own keys can.
          `${paymentReader!.label} has the payment: the till can no longer cancel it. To stop it, cancel on the reader itself while it asks for the card; its answer then shows here.`
        : canCancel(payment, paymentReader)
          ? disconnected
            ? OFFLINE_ESC_HINT
            : 'Esc cancels the payment while the card is not yet authorised.'
          : creating && !canceling
            ? CREATING_ESC_HINT
            : null;
  // Ended with something to show for it (a failed one is still offered another try).
  const finished = cardSaleEnded(payment) && payment.status !== 'failed';
  // Said only of a payment that can be sent: under an unknown outcome ("do not charge again") or a
  // final one, "pick an online reader" would invite sending the customer's card a second time.
  const blockReason = !sendable
    ? null
    : disconnected
      ? 'Not connected to the host.'
      : !reader
        ? 'Pick an online reader first.'
        : null;

  return (
    <ProcessFrame>
      <PaymentCard
        payment={payment}
        readerLabel={onItsReader ? (shownReader?.label ?? 'a reader not in the list') : undefined}
        cancelling={cancellingCreation}
      />

      <LiveRegion heardOnOpen className="notice">
        {notice}
      </LiveRegion>

      <DeclineNotice decline={decline} />
      <ErrorBox error={error} />

      {awaitingTip ? <TipWaiting payment={payment} /> : null}

      {!finished ? (
        <ReaderPicker
          readers={readers}
          value={onItsReader ? (shownReader?.id ?? null) : readerId}
          onChange={setPicked}
          disabled={inFlight || awaitingTip}
          payment={payment}
        />
      ) : null}

      <div className="actions">
        {retryable ? (
          <button
            ref={retryRef}
            type="button"
            className="primary"
            disabled={inFlight || !!blockReason}
            // The app focuses [data-autofocus] whenever the screen is shown (after this screen's
            // own effects), so a return to a declined payment lands here too and Enter retries.
            data-autofocus={!inFlight && !blockReason ? '' : undefined}
            onClick={() => reader && void processPayment(payment.id, reader.id)}
          >
            {decline?.kind === 'not_completed' ? 'Send to reader again' : 'Try another card'}
          </button>
        ) : null}
        {!retryable && !finished ? (
          <button
            type="button"
            className="primary"
            disabled={inFlight || !sendable || !!blockReason}
            aria-busy={processing}
            data-autofocus={sendable && !inFlight && !blockReason ? '' : undefined}
            onClick={() => reader && void processPayment(payment.id, reader.id)}
          >
            Send to reader
          </button>
        ) : null}
        {!finished ? (
          <button
            type="button"
            className="danger"
            disabled={!cancellable && !cancelsOnceCreated}
            aria-keyshortcuts="Escape"
            onClick={() => (cancelsOnceCreated ? cancelCharge() : void cancelPayment(payment.id))}
          >
            Cancel payment
          </button>
        ) : null}
        {cardSaleEnded(payment) || payment.status === 'unknown' ? (
          // The next step once the sale has ended, also when the screen opens on it (see cardEnded).
          <button type="button" data-autofocus={cardEnded ? '' : undefined} onClick={() => setScreen('create')}>
            New payment (F1)
          </button>
        ) : null}
        {payment.status === 'requires_capture' ? (
          <button type="button" onClick={() => setScreen('capture')}>
            Go to Capture (F4)
          </button>
        ) : null}
      </div>
      {hasReceipt(payment) ? (
        <ReceiptPanel paymentRef={payment.id} receipt={payment.receipt} revision={receiptRevision(payment)} />
      ) : null}
      {testMode &&
      payment.status === 'in_progress' &&
      payment.readerStage === 'waiting_for_card' &&
      shownReader?.canPresentTestCards ? (
        <p className="test-hint">
          Test mode: the simulated reader waits for a test card.{' '}
          <button type="button" onClick={() => setScreen('simulate')}>
            Present a test card (F3)
          </button>
        </p>
      ) : null}
      {/* Only while it applies: on an approved or failed payment Esc has nothing to cancel. */}
      {(blockReason && !finished) || escHint ? (
        <p className="key-hints">
          {blockReason && !finished ? `${blockReason}${escHint ? ' · ' : ''}` : ''}
          {escHint}
        </p>
      ) : null}
    </ProcessFrame>
  );
}
