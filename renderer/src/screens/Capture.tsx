import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { CommandError, GatewayName, PaymentView, TransactionView, UncapturedPage } from '../../../common/contract';
import { GATEWAY_LABELS } from '../../../common/contract/views';
import { AmountInput, refusedField } from '../components/AmountInput';
import { ConfirmChoice } from '../components/ConfirmChoice';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { usePos } from '../store/context';
import { useListChanges } from '../store/list-changes';
import { money, timeAgo, timeLeft } from '../lib/format';
import { issueFor, withoutIssues } from '../lib/errors';
import { useNow } from '../lib/hooks';
import { readPages } from '../lib/pages';

/** One uncaptured authorisation, from the host's journal or only known to the gateway. */
export interface Authorisation {
  /** What payments.capture / payments.cancel take: the host's id, or the gateway transaction id. */
  id: string;
  amountCapturable: number;
  amount: number;
  currency: string;
  title: string;
  card: { brand: string; last4: string } | null;
  createdAt: string;
  /** When the authorisation lapses, when the gateway says. */
  expiresAt: string | null;
}

/** Under a day left: the cashier is warned to capture or release it now. */
const EXPIRY_WARNING_MS = 24 * 3_600_000;

function fromPayment(p: PaymentView): Authorisation {
  return {
    id: p.id,
    amountCapturable: p.amountCapturable || p.amount,
    amount: p.amount,
    currency: p.currency,
    title: p.description ?? `Order ${p.orderReference}`,
    card: p.card,
    createdAt: p.createdAt,
    expiresAt: p.authorizationExpiresAt,
  };
}

function fromTransaction(t: TransactionView): Authorisation {
  return {
    id: t.id,
    amountCapturable: t.amountCapturable || t.amount,
    amount: t.amount,
    currency: t.currency,
    title: t.description ?? t.reference,
    card: t.card,
    createdAt: t.createdAt,
    expiresAt: t.authorizationExpiresAt,
  };
}

function AuthorisationItem({
  auth,
  now,
  onDone,
  onRefused,
}: {
  auth: Authorisation;
  now: number;
  onDone(message: string): void;
  /** A refusal, also said by the screen once the item has left the list (captured from another tab). */
  onRefused(message: string | null): void;
}) {
  const run = usePos((s) => s.run);
  const partialCapture = usePos((s) => s.host.gateway?.capabilities.partialCapture ?? true);
  const left = timeLeft(auth.expiresAt, now);
  const busy = usePos((s) => s.busy);
  const [amount, setAmount] = useState(auth.amountCapturable);
  const [error, setError] = useState<CommandError | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const working = busy[`capture:${auth.id}`] === true || busy[`cancel:${auth.id}`] === true;
  const titleId = `auth-${auth.id}`;
  const tooMuch = amount > auth.amountCapturable;
  // A lapsed authorisation can no longer be captured (the gateway refuses): only its cancel is left.
  const lapsed = left !== null && left.ms <= 0;

  const capture = async (event: FormEvent) => {
    event.preventDefault();
    if (working || lapsed) return;
    if (amount <= 0 || tooMuch) {
      setError({
        code: 'validation',
        message: 'Check the amount.',
        issues: [
          {
            path: 'amount',
            message:
              amount <= 0
                ? 'Enter the amount to capture.'
                : `At most ${money(auth.amountCapturable, auth.currency)} can be captured.`,
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
    const partial = amount < auth.amountCapturable;
    const result = await run(
      'payments.capture',
      partial ? { paymentId: auth.id, amount } : { paymentId: auth.id },
      `capture:${auth.id}`,
    );
    if (result.ok)
      onDone(
        partial
          ? `Captured ${money(amount, auth.currency)} of ${money(auth.amountCapturable, auth.currency)} (${auth.title}).`
          : `Captured ${money(amount, auth.currency)} (${auth.title}).`,
      );
    else {
      setError(result.error);
      onRefused(`Not captured: ${money(amount, auth.currency)} (${auth.title}). ${result.error.message}`);
    }
  };

  const cancel = async () => {
    setConfirmCancel(false);
    setError(null);
    onRefused(null);
    const result = await run('payments.cancel', { paymentId: auth.id }, `cancel:${auth.id}`);
    if (result.ok) onDone(`Authorisation of ${money(auth.amountCapturable, auth.currency)} canceled (${auth.title}).`);
    else {
      setError(result.error);
      onRefused(
        `Not canceled: the authorisation of ${money(auth.amountCapturable, auth.currency)} (${auth.title}). ${result.error.message}`,
      );
    }
  };

  return (
    <li className="auth-item">
      {/* A group named by its heading (a <form> may not take role="group": its own role is form). */}
      <form onSubmit={(e) => void capture(e)} noValidate>
        <div role="group" aria-labelledby={titleId}>
          <h2 id={titleId} className="auth-item__title">
            {money(auth.amountCapturable, auth.currency)} — {auth.title}
          </h2>
          <p className="muted">
            Authorised {timeAgo(auth.createdAt, now)}
            {auth.card ? ` · ${auth.card.brand} •••• ${auth.card.last4}` : ''}
            {auth.amountCapturable !== auth.amount ? ` · of ${money(auth.amount, auth.currency)}` : ''}
          </p>
          {left && left.ms >= EXPIRY_WARNING_MS ? (
            <p className="muted">{`Authorisation: ${left.text} before it expires.`}</p>
          ) : null}
          {/* On the page from the start, so the warning is announced when the countdown reaches it. */}
          <LiveRegion alert className="expiry--soon">
            {left && left.ms < EXPIRY_WARNING_MS
              ? left.ms <= 0
                ? 'The authorisation has expired: it can no longer be captured.'
                : `Expires soon: ${left.text} to capture it before the money is released.`
              : null}
          </LiveRegion>
          <div className="inline-fields">
            {lapsed ? null : (
              <>
                {partialCapture ? (
                  <AmountInput
                    id={`capture-amount-${auth.id}`}
                    label="Capture amount"
                    value={amount}
                    currency={auth.currency}
                    onChange={(minor) => {
                      setAmount(minor);
                      // Its mark goes as soon as the amount is edited (the gateway's reason with it).
                      setError((prev) => withoutIssues(prev, ['amount']));
                    }}
                    max={auth.amountCapturable}
                    error={issueFor(error, 'amount')}
                    hint={`Up to ${money(auth.amountCapturable, auth.currency)}. Type a smaller amount for a partial capture.`}
                  />
                ) : (
                  // No field to type a part in: the gateway would refuse it only once sent.
                  <p className="muted">
                    {`The gateway captures the whole ${money(auth.amountCapturable, auth.currency)}; refund any difference afterwards.`}
                  </p>
                )}
                <button type="submit" className="primary" disabled={working}>
                  {partialCapture ? 'Capture' : `Capture ${money(auth.amountCapturable, auth.currency)}`}
                </button>
              </>
            )}
            {confirmCancel ? (
              <ConfirmChoice
                yes="Yes, cancel the authorisation"
                no="Keep it"
                busy={working}
                onYes={() => void cancel()}
                onNo={() => setConfirmCancel(false)}
              />
            ) : (
              <button type="button" className="danger" disabled={working} onClick={() => setConfirmCancel(true)}>
                Cancel authorisation
              </button>
            )}
          </div>
          <ErrorBox error={error} shownPaths={['amount']} />
        </div>
      </form>
    </li>
  );
}

/** Authorisations asked of the host at a time; "Show more" asks for the next page. */
export const CAPTURE_PAGE = 100;
/** The gateway's authorisations checked for ones the till does not know (its list's largest page). */
const GATEWAY_PAGE = 100;

/** The host's count of authorisations holds every payment in this status (payments.uncaptured). */
const uncaptured = (payment: PaymentView) => payment.status === 'requires_capture';

const modeWords = (testMode: boolean) => (testMode ? 'test mode' : 'live mode');

/**
 * Authorisations taken with a gateway or in a mode the till no longer uses, and how to capture them:
 * what to switch back to names the mode where it differs (found in a cashier-day hunt: a test-mode
 * authorisation in live mode was told "switch back to PayPlug", which alone does not bring it back).
 */
function otherGatewayText(
  name: GatewayName,
  testMode: boolean,
  held: PaymentView[],
  active: GatewayName,
  activeTestMode: boolean,
): string {
  const one = held.length === 1;
  const otherGateway = name !== active;
  const otherMode = testMode !== activeTestMode;
  const taken = [otherGateway ? `with ${GATEWAY_LABELS[name]}` : null, otherMode ? `in ${modeWords(testMode)}` : null]
    .filter(Boolean)
    .join(' ');
  const what = one
    ? `1 authorisation taken ${taken} (${money(held[0]!.amountCapturable, held[0]!.currency)}, order ${held[0]!.orderReference}) is`
    : `${held.length} authorisations taken ${taken} (${held
        .slice(0, 3)
        .map((p) => money(p.amountCapturable, p.currency))
        .join(', ')}${held.length > 3 ? ', …' : ''}) are`;
  const now =
    otherGateway && otherMode
      ? `the till now uses ${GATEWAY_LABELS[active]} in ${modeWords(activeTestMode)}`
      : otherGateway
        ? `the till now uses ${GATEWAY_LABELS[active]}`
        : `the till is now in ${modeWords(activeTestMode)}`;
  const back =
    otherGateway && otherMode
      ? `${GATEWAY_LABELS[name]} and ${modeWords(testMode)}`
      : otherGateway
        ? GATEWAY_LABELS[name]
        : modeWords(testMode);
  return `${what} not offered here: ${now}. Switch back to ${back} in Settings (F7) to capture or cancel ${one ? 'it' : 'them'}.`;
}

/**
 * The name of the region saying which authorisations are not offered: what differs from the till's
 * gateway and mode now (it said "another gateway" also of a test-mode one after going live).
 */
function elsewhereLabel(differs: { gateway: boolean; mode: boolean }[]): string {
  if (differs.every((d) => d.gateway && d.mode)) return 'Authorisations taken with another gateway and in another mode';
  if (differs.every((d) => d.gateway && !d.mode)) return 'Authorisations taken with another gateway';
  if (differs.every((d) => !d.gateway && d.mode)) return 'Authorisations taken in another mode';
  return 'Authorisations taken with another gateway or in another mode';
}

export function Capture() {
  const run = usePos((s) => s.run);
  const payments = usePos((s) => s.host.payments);
  // A snapshot (a reconnect) replaces the mirror with the newest payments only: read the pages again.
  const snapshots = usePos((s) => s.host.snapshots);
  // An authorisation captured, cancelled or made elsewhere while the screen is open: the host's
  // pages and count are read again, so "N not shown" follows (it stayed as first read).
  const changes = useListChanges(uncaptured);
  const now = useNow();
  const [hostIds, setHostIds] = useState<string[]>([]);
  const [hostTotal, setHostTotal] = useState<{ total: number; held: UncapturedPage['held'] } | null>(null);
  const [pages, setPages] = useState(1);
  const [gateway, setGateway] = useState<TransactionView[]>([]);
  const [gatewayTotal, setGatewayTotal] = useState(0);
  const [hostLoading, setHostLoading] = useState(true);
  const [gatewayLoading, setGatewayLoading] = useState(true);
  const [hostError, setHostError] = useState<CommandError | null>(null);
  const [gatewayError, setGatewayError] = useState<CommandError | null>(null);
  const loading = hostLoading || gatewayLoading;
  const error = hostError ?? gatewayError;
  const [done, setDone] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    // The host's authorisations a page at a time, oldest first (the nearest to lapsing): a busy
    // shop holds hundreds, and the screen says what the pages not shown yet hold.
    const hostPages = readPages((offset, limit) => run('payments.uncaptured', { offset, limit }), CAPTURE_PAGE, pages);
    void hostPages.then((fromHost) => {
      if (!current) return;
      setHostLoading(false);
      setHostError(fromHost.ok ? null : fromHost.error);
      if (fromHost.ok) {
        setHostIds(fromHost.value.payments.map((p) => p.id));
        setHostTotal({ total: fromHost.value.total, held: fromHost.value.held });
      }
    });
    return () => {
      current = false;
    };
  }, [run, version, pages, snapshots, changes]);

  useEffect(() => {
    let current = true;
    // The gateway's own list, read when the screen opens or is refreshed (not on every change here).
    void run('transactions.list', {
      status: 'requires_capture',
      sortField: 'created_at',
      sortOrder: 'asc',
      size: GATEWAY_PAGE,
    }).then((fromGateway) => {
      if (!current) return;
      setGatewayLoading(false);
      setGatewayError(fromGateway.ok ? null : fromGateway.error);
      if (fromGateway.ok) {
        setGateway(fromGateway.value.data);
        setGatewayTotal(fromGateway.value.meta.total);
      }
    });
    return () => {
      current = false;
    };
  }, [run, version, snapshots]);

  // The host's payments come from the live mirror, so a capture elsewhere removes them at once.
  // …and one authorised meanwhile (paid by link while this screen is open) joins at once.
  // Every authorisation the host counts that the screen has: read from its pages or in the mirror.
  // Not all are offered to capture: one with its capture or cancel queued (said above the list),
  // or made with another gateway, is not — it is still read, so not one of those "not shown".
  const known = useMemo(() => {
    const ids = new Set([...hostIds, ...Object.values(payments).map((p) => p.id)]);
    return [...ids].map((id) => payments[id]).filter((p): p is PaymentView => !!p && uncaptured(p));
  }, [hostIds, payments]);
  const fromHost = useMemo(() => known.filter((p) => p.next.includes('capture')), [known]);
  // Those taken with another gateway than the till's now: not offered (the till does not act on
  // them), but said, with what brings them back — else money held on a card went uncollected
  // without a word after a switch in Settings (found by using the app).
  const activeGateway = usePos((s) => s.host.gateway?.name ?? null);
  const testMode = usePos((s) => s.host.mode === 'test');
  const elsewhere = useMemo(() => {
    if (activeGateway === null) return [];
    // By gateway and mode: each group is brought back by its own switch.
    const byPlace = new Map<string, { name: GatewayName; testMode: boolean; held: PaymentView[] }>();
    for (const p of known) {
      if (p.gateway === activeGateway && p.testMode === testMode) continue;
      const key = `${p.gateway}|${p.testMode}`;
      const group = byPlace.get(key) ?? { name: p.gateway, testMode: p.testMode, held: [] };
      group.held.push(p);
      byPlace.set(key, group);
    }
    const groups = [...byPlace.values()];
    return groups.length === 0
      ? []
      : [
          {
            label: elsewhereLabel(
              groups.map((g) => ({ gateway: g.name !== activeGateway, mode: g.testMode !== testMode })),
            ),
            texts: groups.map((g) => otherGatewayText(g.name, g.testMode, g.held, activeGateway, testMode)),
          },
        ];
  }, [known, activeGateway, testMode]);

  const items = useMemo(() => {
    const knownTx = new Set(
      Object.values(payments)
        .map((p) => p.transactionId)
        .filter(Boolean),
    );
    const onlyGateway = gateway.filter((t) => t.status === 'requires_capture' && !knownTx.has(t.id));
    return [...fromHost.map(fromPayment), ...onlyGateway.map(fromTransaction)].sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt),
    );
  }, [fromHost, gateway, payments]);

  // The host's authorisations not on screen, and what they hold: never silently left out. The
  // host's count less every one on screen — those of its pages still waiting, and those the mirror
  // shows besides (authorised since, or carried by the snapshot), which it counts too (once
  // counted as not shown while on screen). The pages are read again when authorisations change.
  const notShown = useMemo(() => {
    if (!hostTotal) return null;
    const count = hostTotal.total - known.length;
    if (count <= 0) return null;
    const held = hostTotal.held
      .map((h) => {
        const shown = known.filter((p) => p.currency === h.currency);
        return {
          currency: h.currency,
          count: h.count - shown.length,
          amount: h.amount - shown.reduce((sum, p) => sum + p.amountCapturable, 0),
        };
      })
      .filter((h) => h.count > 0);
    return { count, held };
  }, [hostTotal, known]);
  const gatewayNotChecked = Math.max(0, gatewayTotal - gateway.length);

  // Authorisations with a capture or cancel already queued: nothing more to do here, but say so.
  const queued = Object.values(payments).filter((p) => p.status === 'requires_capture' && p.queuedOperations > 0);

  const finished = (message: string) => {
    setDone(message);
    setRefused(null);
    setVersion((v) => v + 1);
  };
  // A capture or cancel refused once its authorisation has left the list (captured or canceled from
  // another tab or till while it was on its way): the item and its error are gone, so the screen says
  // it (found in Chromium: the second tab's $40.00 capture was refused and nothing on screen said so).
  const [refused, setRefused] = useState<{ id: string; text: string } | null>(null);
  const refusedGone = refused && !items.some((auth) => auth.id === refused.id) ? refused.text : null;

  return (
    <section className="screen" aria-labelledby="capture-title">
      <h1 id="capture-title" tabIndex={-1}>
        Capture
      </h1>
      <p className="muted">
        Authorised payments waiting to be captured, oldest first. Capture them before the authorisation expires.
      </p>
      <div className="actions">
        <button type="button" onClick={() => setVersion((v) => v + 1)}>
          Refresh
        </button>
      </div>
      <LiveRegion>{done}</LiveRegion>
      <LiveRegion alert>{refusedGone}</LiveRegion>
      {/* The queue is what a capture pressed while the gateway is unreachable led to: said, not only shown. */}
      <LiveRegion heardOnOpen className="notice">
        {queued.length === 0
          ? null
          : `${
              queued.length === 1
                ? `1 authorisation (${money(queued[0]!.amount, queued[0]!.currency)}, order ${queued[0]!.orderReference}) has its capture or cancel queued`
                : `${queued.length} authorisations have their capture or cancel queued`
            }: sent when the gateway is reachable again.`}
      </LiveRegion>
      <ErrorBox error={error} title="Could not load every authorisation." />
      {elsewhere.map(({ label, texts }) => (
        <div key={label} className="notice" role="region" aria-label={label}>
          {texts.map((text) => (
            <p key={text}>{text}</p>
          ))}
        </div>
      ))}
      {notShown ? (
        <div className="notice" role="region" aria-label="Authorisations not shown">
          <p>
            {`Showing ${known.length} of ${hostTotal!.total} authorisations. `}
            {`${notShown.count} more ${notShown.count === 1 ? 'is' : 'are'} not shown, holding `}
            {notShown.held.map((h) => money(h.amount, h.currency)).join(' + ')}.
          </p>
          <button type="button" onClick={() => setPages((p) => p + 1)}>
            {`Show ${Math.min(CAPTURE_PAGE, notShown.count)} more`}
          </button>
        </div>
      ) : null}
      {gatewayNotChecked > 0 ? (
        <p className="notice">
          {`The gateway lists ${gatewayNotChecked} more ${gatewayNotChecked === 1 ? 'authorisation' : 'authorisations'} than the oldest ${gateway.length} checked here: those the till took are in the list above; find any other in Transactions (F5), status “Authorised — to capture”.`}
        </p>
      ) : null}
      {loading ? (
        <p role="status">Loading authorisations…</p>
      ) : items.length === 0 ? (
        <p className="empty">Nothing to capture.</p>
      ) : (
        <ul className="plain-list auth-list" aria-label="Uncaptured authorisations">
          {items.map((auth) => (
            <AuthorisationItem
              key={auth.id}
              auth={auth}
              now={now}
              onDone={finished}
              onRefused={(text) => setRefused(text === null ? null : { id: auth.id, text })}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
