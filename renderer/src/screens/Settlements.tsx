import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { CommandError, GatewayName, PaymentView, SettlementPage, SplitView } from '../../../common/contract';
import { GATEWAY_LABELS } from '../../../common/contract/views';
import { AmountInput, refusedField } from '../components/AmountInput';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { Merchant, useMerchantLabel } from '../components/Merchant';
import { TakenAmount } from '../components/TakenAmount';
import { usePos } from '../store/context';
import { useListChanges } from '../store/list-changes';
import { releaseIssue, shopTimeZone } from '../store/selectors';
import { dateTime, money } from '../lib/format';
import { issueFor, withoutIssues } from '../lib/errors';
import { useBackToOpener, useFocusOnMount } from '../lib/hooks';
import { paymentStatusLabel } from '../lib/labels';
import { readPages } from '../lib/pages';

/**
 * A share's status as shown: the gateway's (HOLD, RELEASED, CANCELLED, …), or CLOSED for a held share
 * nothing captured is left for (SplitView.closed), which the gateway still calls HOLD.
 */
export function shareStatusLabel(split: SplitView): string {
  return split.closed ? 'CLOSED' : split.status;
}

/** The status as a badge (Settlements, a payment's details). */
export function ShareStatusBadge({ split }: { split: SplitView }) {
  const label = shareStatusLabel(split);
  return <span className={`split-status split-status--${label.toLowerCase()}`}>{label}</span>;
}

/** Words next to a share's status as the gateway says it (HOLD, RELEASED, CANCELLED, …). */
export function shareStatusText(split: SplitView, currency: string, paymentStatus?: PaymentView['status']): string {
  // Found hunting: a share no captured money is left for (a voided pre-authorisation, or the other
  // shares took it all) read as held for ever. It is over: nothing can be settled or given back.
  if (split.closed) return 'nothing to settle: no captured money is left for it (the gateway still says HOLD)';
  // Found by a tester: a link not paid yet counted its held shares as held money. Nothing is held
  // until the customer pays.
  if (split.awaitingPayment) return 'waiting for payment: nothing is held until the customer pays';
  // Found by review: a payment the till does not know was charged counted its shares as held money,
  // which may not exist. Said apart until the payment is resolved.
  if (split.outcomeUnknown)
    return 'not known yet: the till does not know whether this payment was charged; nothing is held until it is resolved (Needs attention)';
  switch (split.status) {
    case 'HOLD':
      // After a partial capture the other shares may have taken all the captured money (found
      // hunting: "held until released" beside a share that could never be released).
      if (split.releasable === 0) return 'held, but no captured money is left to release it';
      // Found by a UI hunt: an authorised pre-authorisation's held share said "held until released"
      // with no Release offered: Plural releases only captured money.
      return paymentStatus === 'requires_capture'
        ? 'held until released, once the payment is captured (Capture, F4)'
        : 'held until released';
    case 'RELEASED':
      return split.releasedAmount > 0 && split.releasedAmount < split.amount
        ? `${money(split.releasedAmount, currency)} of ${money(split.amount, currency)} settled`
        : split.releasedAmount > 0
          ? 'settled to the merchant'
          : // Found by using the app: a pre-authorisation cancelled on F4 said its plain share
            // "settled once the payment is paid", of a payment nobody will pay.
            paymentStatus === 'canceled'
            ? 'nothing settled: the payment was cancelled before it was captured'
            : paymentStatus === 'failed'
              ? 'nothing settled: the payment was not made'
              : // Found by a UI hunt: an authorised pre-authorisation (the customer has paid)
                // said "once the payment is paid"; the money moves when it is captured (F4).
                paymentStatus === 'requires_capture'
                ? 'settled once the payment is captured'
                : 'settled once the payment is paid';
    case 'CANCELLED':
      // What went back is what of the share was captured: after a partial capture, part or none of
      // it (found by a tester: "refunded to the customer" beside a Refunded column of ₹0.00).
      return split.refundedAmount >= split.amount
        ? 'not settled; refunded to the customer'
        : split.refundedAmount > 0
          ? `not settled; ${money(split.refundedAmount, currency)} of it refunded to the customer, the rest never captured`
          : 'not settled; none of it was captured, so nothing was refunded';
    case 'REQUESTED':
      return 'waiting for the gateway';
    default:
      return '';
  }
}

/** The shares of one payment, read only (Transactions → Details). */
/** A release or cancel of the share sent and not confirmed yet: said wherever the share's status is. */
function SharePending({ split }: { split: SplitView }) {
  return split.pending ? (
    <span className="muted"> · waiting for the gateway to confirm (retried automatically)</span>
  ) : null;
}

export function SharesTable({ payment, caption }: { payment: PaymentView; caption: string }) {
  return (
    <table className="shares">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Merchant</th>
          <th scope="col">Reference</th>
          <th scope="col">Share</th>
          <th scope="col">Status</th>
          <th scope="col">Released</th>
          <th scope="col">Refunded</th>
        </tr>
      </thead>
      <tbody>
        {payment.splits.map((split, index) => (
          <tr key={split.id ?? index}>
            <td>
              <Merchant id={split.merchantId} />
            </td>
            <td>{split.settlementReference ?? <span className="muted">—</span>}</td>
            <td className="num">{money(split.amount, payment.currency)}</td>
            <td>
              <ShareStatusBadge split={split} />{' '}
              <span className="muted">{shareStatusText(split, payment.currency, payment.status)}</span>
              <SharePending split={split} />
            </td>
            <td className="num">{money(split.releasedAmount, payment.currency)}</td>
            <td className="num">{money(split.refundedAmount, payment.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Asked = { kind: 'release'; amount: number } | { kind: 'cancel' };

/** The confirmation a release or cancel needs: the amount and the merchant, and where the rest goes. */
function Confirm({
  asked,
  split,
  currency,
  gatewayName,
  partlyCaptured,
  busy,
  onConfirm,
  onBack,
}: {
  asked: Asked;
  split: SplitView;
  currency: string;
  gatewayName: GatewayName;
  /** Less than the whole payment was captured: the share's rest may have nothing to refund. */
  partlyCaptured: boolean;
  busy: boolean;
  onConfirm(): void;
  onBack(): void;
}) {
  const confirmRef = useFocusOnMount<HTMLButtonElement>();
  const backToOpener = useBackToOpener();
  // Backing out gives the focus back to the button that asked (found by a tester: it fell to the page).
  const back = (from: HTMLElement) =>
    backToOpener(onBack, () => from.closest('main')?.querySelector<HTMLElement>('h1[tabindex]') ?? null);
  const id = `confirm-${split.id}`;
  const merchant = useMerchantLabel()(split.merchantId);
  const rest = asked.kind === 'release' ? split.amount - asked.amount : split.amount;
  const gateway = GATEWAY_LABELS[gatewayName];
  const title =
    asked.kind === 'cancel'
      ? split.closed
        ? `Cancel the closed share of merchant ${merchant} at ${gateway}?`
        : `Cancel the share of merchant ${merchant} (${money(split.amount, currency)})?`
      : rest === 0
        ? `Release ${money(split.amount, currency)} to merchant ${merchant}?`
        : `Release ${money(asked.amount, currency)} of ${money(split.amount, currency)} to merchant ${merchant}?`;
  const detail =
    asked.kind === 'cancel'
      ? split.closed
        ? `No money moves: no captured money is left for it. ${gateway} stops saying HOLD for it.`
        : partlyCaptured
          ? `Nothing is settled to the merchant: what of ${money(split.amount, currency)} was captured is refunded to the customer.`
          : `Nothing is settled to the merchant: ${money(split.amount, currency)} is refunded to the customer.`
      : rest === 0
        ? 'The whole share is settled to the merchant.'
        : partlyCaptured
          ? `The other ${money(rest, currency)} is not settled to the merchant: what of it was captured is refunded to the customer. A share is released only once.`
          : `The other ${money(rest, currency)} is refunded to the customer (not taken from the merchant). A share is released only once.`;
  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    back(event.currentTarget);
  };
  return (
    <div
      className="confirm"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-detail`}
      onKeyDown={onKey}
    >
      <p id={`${id}-title`} className="confirm__title">
        <strong>{title}</strong>
      </p>
      <p id={`${id}-detail`}>{detail}</p>
      <div className="actions">
        <button
          type="button"
          ref={confirmRef}
          className={asked.kind === 'cancel' ? 'danger' : 'primary'}
          disabled={busy}
          onClick={onConfirm}
        >
          {asked.kind === 'cancel' ? 'Yes, cancel the share' : 'Yes, release'}
        </button>
        <button type="button" disabled={busy} onClick={(event) => back(event.currentTarget)} aria-keyshortcuts="Escape">
          Go back
        </button>
      </div>
    </div>
  );
}

/** One share: its state and, while held, release (all or part) or cancel — each confirmed first. */
function ShareRow({ payment, split, onDone }: { payment: PaymentView; split: SplitView; onDone(text: string): void }) {
  const run = usePos((s) => s.run);
  const busyKey = `settle:${payment.id}:${split.id}`;
  const merchant = useMerchantLabel()(split.merchantId);
  const busy = usePos((s) => s.busy[busyKey] === true);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [partial, setPartial] = useState(false);
  const [amount, setAmount] = useState(0);
  const [error, setError] = useState<CommandError | null>(null);
  const currency = payment.currency;
  const canRelease = split.next.includes('release');
  const canCancel = split.next.includes('cancel');
  const minimum = usePos((s) => s.host.gateway?.limits.amountMin ?? 1);
  const partRef = useRef<HTMLInputElement>(null);
  const partButton = useRef<HTMLButtonElement>(null);
  // Closing the part (its button, or Escape in it) takes its refusal along: the field it was about goes.
  const closePart = () => {
    setPartial(false);
    setError(null);
  };
  // Back on the field when it opens and when the gateway refused the amount, so it can be retyped.
  useEffect(() => {
    if (partial && !asked) partRef.current?.focus();
  }, [partial, asked, error]);

  const askPartial = (event: FormEvent) => {
    event.preventDefault();
    // The gateway's own rule: at least its minimum, and what is left for the customer is either
    // nothing or at least that minimum too (it refunds no less).
    const issue = releaseIssue(amount, split, minimum, currency);
    if (issue) {
      setError({ code: 'validation', message: 'Check the amount.', issues: [{ path: 'amount', message: issue }] });
      return;
    }
    // The amount field refused a paste: the amount shown is not what the cashier meant to send.
    const refused = refusedField(event.currentTarget as HTMLFormElement);
    if (refused) return refused.focus();
    setError(null);
    setAsked({ kind: 'release', amount });
  };

  const confirm = async () => {
    if (!asked || !split.id) return;
    const result =
      asked.kind === 'cancel'
        ? await run('settlements.cancel', { paymentId: payment.id, splitId: split.id }, busyKey)
        : await run(
            'settlements.release',
            {
              paymentId: payment.id,
              splitId: split.id,
              ...(asked.amount < split.amount ? { amount: asked.amount } : {}),
            },
            busyKey,
          );
    setAsked(null);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setError(null);
    setPartial(false);
    const rest = asked.kind === 'release' ? split.amount - asked.amount : split.amount;
    // What the gateway refunded, not what the share's rest was: after a partial capture it may be nothing.
    const refunded = result.value.amountRefunded - payment.amountRefunded;
    const refund =
      refunded > 0
        ? `${money(refunded, currency)} refunded to the customer`
        : 'nothing was left to refund to the customer';
    onDone(
      asked.kind === 'cancel'
        ? split.closed && refunded === 0
          ? `Closed share of ${merchant} cancelled at ${GATEWAY_LABELS[payment.gateway]}: no money moved.`
          : `Share of ${merchant} cancelled: ${refund}.`
        : rest === 0
          ? `Released ${money(split.amount, currency)} to ${merchant}.`
          : `Released ${money(asked.amount, currency)} of ${money(split.amount, currency)} to ${merchant}; ${refund}.`,
    );
  };

  return (
    <li className="share">
      <div className="share__line">
        <Merchant className="share__merchant" id={split.merchantId} />
        {split.settlementReference ? <span className="muted"> · {split.settlementReference}</span> : null}
        <span className="num"> {money(split.amount, currency)}</span> <ShareStatusBadge split={split} />{' '}
        <span className="muted">{shareStatusText(split, currency, payment.status)}</span>
        {split.refundedAmount > 0 ? (
          <span className="muted"> · {money(split.refundedAmount, currency)} refunded</span>
        ) : null}
        <SharePending split={split} />
      </div>
      {(canRelease || canCancel) && !asked ? (
        <div className="actions">
          {canRelease ? (
            <button
              type="button"
              className="primary"
              disabled={busy}
              // The host's releasable amount: the whole share, or after a partial capture what can be settled.
              onClick={() => setAsked({ kind: 'release', amount: split.releasable })}
            >
              Release {money(split.releasable, currency)} to {merchant}
            </button>
          ) : null}
          {canRelease ? (
            <button
              type="button"
              ref={partButton}
              aria-expanded={partial}
              disabled={busy}
              onClick={() => {
                if (partial) closePart();
                else setPartial(true);
                setAmount(0);
              }}
            >
              Release part…
            </button>
          ) : null}
          {canCancel ? (
            <button type="button" className="danger" disabled={busy} onClick={() => setAsked({ kind: 'cancel' })}>
              {/* Closed: a cancel moves no money, it only tidies the share at the gateway. */}
              {split.closed ? `Cancel at ${GATEWAY_LABELS[payment.gateway]}` : 'Cancel share'}
            </button>
          ) : null}
        </div>
      ) : null}
      {partial && !asked && canRelease ? (
        <form
          className="inline-fields"
          onSubmit={askPartial}
          onKeyDown={(event) => {
            if (event.key !== 'Escape') return;
            event.preventDefault();
            event.stopPropagation();
            closePart();
            partButton.current?.focus();
          }}
          noValidate
          aria-label={`Release part of ${merchant}'s share`}
        >
          <AmountInput
            id={`release-${split.id}`}
            label={`Amount to release to ${merchant}`}
            value={amount}
            currency={currency}
            onChange={(minor) => {
              setAmount(minor);
              // Its mark goes as soon as the amount is edited (the gateway's reason with it).
              setError((prev) => withoutIssues(prev, ['amount']));
            }}
            max={split.releasable}
            error={issueFor(error, 'amount')}
            hint={`Up to ${money(split.releasable, currency)}${split.releasable < split.amount ? ` of ${money(split.amount, currency)} (what is left of the money captured)` : ''}; the rest is refunded to the customer.`}
            inputRef={partRef}
          />
          <button type="submit" disabled={busy}>
            Release this part
          </button>
        </form>
      ) : null}
      {asked ? (
        <Confirm
          asked={asked}
          split={split}
          currency={currency}
          gatewayName={payment.gateway}
          partlyCaptured={payment.amountCaptured < payment.amount}
          busy={busy}
          onConfirm={() => void confirm()}
          onBack={() => setAsked(null)}
        />
      ) : null}
      <ErrorBox error={error} shownPaths={partial ? ['amount'] : []} title="Not done." />
    </li>
  );
}

function SettlementItem({ payment, onDone }: { payment: PaymentView; onDone(text: string): void }) {
  const titleId = `settlement-${payment.id}`;
  const timeZone = usePos(shopTimeZone);
  return (
    <li className="settlement" aria-labelledby={titleId}>
      <h3 id={titleId}>
        <TakenAmount payment={payment} /> — {payment.description ?? `Order ${payment.orderReference}`}
      </h3>
      <p className="muted">
        {paymentStatusLabel(payment)} · order {payment.orderReference}
        {payment.transactionId ? ` · ${payment.transactionId}` : ''} · {dateTime(payment.createdAt, timeZone)}
        {payment.amountRefunded > 0 ? ` · ${money(payment.amountRefunded, payment.currency)} refunded` : ''}
      </p>
      <ul className="plain-list shares-list" aria-label={`Shares of ${payment.orderReference}`}>
        {payment.splits.map((split, index) => (
          <ShareRow key={split.id ?? index} payment={payment} split={split} onDone={onDone} />
        ))}
      </ul>
    </li>
  );
}

/** Split payments asked of the host at a time; "Show more" asks for the next page. */
export const SETTLEMENTS_PAGE = 100;

/**
 * What a payment's shares still held hold, as the host counts it (SplitView.held): after a partial
 * capture only the captured money left, not the shares' whole amounts, as the reports say.
 */
const heldAmount = (p: PaymentView) => p.splits.reduce((sum, s) => sum + (s.status === 'HOLD' ? s.held : 0), 0);

/** What the held shares of a payment whose outcome is unknown would hold if it was charged (none is held). */
const notKnownAmount = (p: PaymentView) => p.splits.reduce((sum, s) => sum + (s.outcomeUnknown ? s.amount : 0), 0);

/** notKnownAmount of these payments, per currency, as the host counts them (SettlementPage.notKnown). */
function notKnownTotals(payments: PaymentView[]): SettlementPage['notKnown'] {
  return [...new Set(payments.map((p) => p.currency))].map((currency) => {
    const of = payments.filter((p) => p.currency === currency);
    return { currency, count: of.length, amount: of.reduce((sum, p) => sum + notKnownAmount(p), 0) };
  });
}

/** "1 not known yet (₹400.00 if it was charged)": money that may not exist, never said as held. */
function notKnownText(totals: SettlementPage['notKnown']): string {
  const count = totals.reduce((n, h) => n + h.count, 0);
  const amounts = totals.map((h) => money(h.amount, h.currency)).join(' + ');
  return `${count} not known yet (${amounts} if ${count === 1 ? 'it was' : 'they were'} charged)`;
}

/** Those whose held shares hold something first, as the host lists them (a closed share holds nothing). */
const heldFirst = (a: PaymentView, b: PaymentView) => {
  const held = (p: PaymentView) => (heldAmount(p) > 0 ? 1 : 0);
  return held(b) - held(a) || b.createdAt.localeCompare(a.createdAt);
};

/** A payment's place in the host's list of split payments and in its held totals (settlements.list). */
const splitPlace = (p: PaymentView) => p.transactionId !== null && p.splits.length > 0 && `held ${heldAmount(p)}`;

/**
 * Transactions → Settlements: the split payments the till made, those with a held share first.
 * Each held share is released (in full or in part) or cancelled after a confirmation stating the
 * amount and the merchant; what the host answers (and every later event) updates the list at once.
 */
export function Settlements() {
  const run = usePos((s) => s.run);
  const payments = usePos((s) => s.host.payments);
  // A snapshot (a reconnect) replaces the mirror with the newest payments only: read the pages again.
  const snapshots = usePos((s) => s.host.snapshots);
  // A share released or cancelled, or a split payment made, while the screen is open (another
  // window, a queued release sent later): the pages and the host's held totals are read again, so
  // what "not shown" holds follows (it stayed as first read, and counted a released share again).
  const changes = useListChanges(splitPlace);
  const [ids, setIds] = useState<string[]>([]);
  const [listed, setListed] = useState<{
    total: number;
    held: SettlementPage['held'];
    notKnown: SettlementPage['notKnown'];
  } | null>(null);
  const [pages, setPages] = useState(1);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    // A page at a time, held first: a busy shop has hundreds, and the screen says what the pages
    // not shown yet hold (it asked for 100 and said nothing of the rest).
    const load = readPages((offset, limit) => run('settlements.list', { offset, limit }), SETTLEMENTS_PAGE, pages);
    void load.then((result) => {
      if (!current) return;
      setLoading(false);
      if (result.ok) {
        setIds(result.value.payments.map((p) => p.id));
        setListed({ total: result.value.total, held: result.value.held, notKnown: result.value.notKnown });
        setError(null);
      } else setError(result.error);
    });
    return () => {
      current = false;
    };
  }, [run, version, pages, snapshots, changes]);

  // The host's payments come from the live mirror: a release, a refund or a newly paid split
  // payment shows at once.
  const items = useMemo(() => {
    const known = new Set([...ids, ...Object.values(payments).map((p) => p.id)]);
    return [...known]
      .map((id) => payments[id])
      .filter((p): p is PaymentView => !!p && p.transactionId !== null && p.splits.length > 0)
      .sort(heldFirst);
  }, [ids, payments]);
  // Counted as the host's held totals count them: a share no captured money is left for holds nothing,
  // nor does one of a payment not paid yet (said apart).
  const held = items.filter((p) => heldAmount(p) > 0).length;
  const unpaid = items.filter((p) => p.splits.some((s) => s.awaitingPayment)).length;
  // Charged or not, the till does not know: what their held shares would hold, said apart, never as held.
  const unknown = useMemo(() => items.filter((p) => p.splits.some((s) => s.outcomeUnknown)), [items]);

  // The split payments not listed yet, and what their held shares hold: never silently left out.
  const notShown = useMemo(() => {
    if (!listed || items.length >= listed.total) return null;
    const heldRest = listed.held
      .map((h) => {
        const shown = items.filter((p) => p.currency === h.currency && heldAmount(p) > 0);
        return {
          currency: h.currency,
          count: h.count - shown.length,
          amount: h.amount - shown.reduce((sum, p) => sum + heldAmount(p), 0),
        };
      })
      .filter((h) => h.count > 0);
    const notKnownRest = listed.notKnown
      .map((h) => {
        const shown = unknown.filter((p) => p.currency === h.currency);
        return {
          currency: h.currency,
          count: h.count - shown.length,
          amount: h.amount - shown.reduce((sum, p) => sum + notKnownAmount(p), 0),
        };
      })
      .filter((h) => h.count > 0);
    return { count: listed.total - items.length, held: heldRest, notKnown: notKnownRest };
  }, [listed, items, unknown]);

  return (
    <section aria-labelledby="settlements-title">
      <h2 id="settlements-title">Settlements</h2>
      <p className="muted">
        Payments shared between merchants. A held share is settled to its merchant only when you release it — in full,
        or in part (the rest is refunded to the customer) — or cancel it (refunded in full).
      </p>
      <div className="actions">
        <button type="button" onClick={() => setVersion((v) => v + 1)}>
          Refresh
        </button>
      </div>
      <LiveRegion>{done}</LiveRegion>
      <ErrorBox error={error} title="Could not load the split payments." />
      <p className="muted" aria-live="polite">
        {loading
          ? 'Loading…'
          : `${items.length} split payment${items.length === 1 ? '' : 's'}, ${held} with a held share${unpaid > 0 ? `, ${unpaid} waiting for payment` : ''}${unknown.length > 0 ? `, ${notKnownText(notKnownTotals(unknown))}` : ''}.`}
      </p>
      {notShown ? (
        <div className="notice" role="region" aria-label="Split payments not shown">
          <p>
            {`Showing ${items.length} of ${listed!.total} split payments. `}
            {`${notShown.count} more ${notShown.count === 1 ? 'is' : 'are'} not shown`}
            {notShown.held.length === 0
              ? ', none with a held share.'
              : `, ${notShown.held.reduce((n, h) => n + h.count, 0)} of them with a held share holding ${notShown.held
                  .map((h) => money(h.amount, h.currency))
                  .join(' + ')}.`}
            {notShown.notKnown.length > 0 ? ` Of them, ${notKnownText(notShown.notKnown)}.` : ''}
          </p>
          <button type="button" onClick={() => setPages((p) => p + 1)}>
            {`Show ${Math.min(SETTLEMENTS_PAGE, notShown.count)} more`}
          </button>
        </div>
      ) : null}
      {!loading && items.length === 0 ? (
        <p className="empty">No split payments yet.</p>
      ) : (
        <ul className="plain-list settlement-list" aria-label="Split payments">
          {items.map((payment) => (
            <SettlementItem
              key={payment.id}
              payment={payment}
              onDone={(text) => {
                setDone(text);
                setVersion((v) => v + 1);
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
