import { useEffect, useMemo, useRef } from 'react';
import { usePos } from '../store/context';
import { money, sentence } from '../lib/format';
import { COPIES_LABELS } from '../lib/labels';
import { LiveRegion } from './LiveRegion';

/** Shown after three failed connection attempts in a row: the token may be stale. */
const TOKEN_HINT_AFTER = 3;

/**
 * Connection to the host, the gateway's reachability, a link paid or lapsed while the cashier was on
 * another screen, and a failed refresh: always on top. Each
 * banner's live region stays on the page, empty while it has nothing to say, so a banner that
 * appears is announced (the refusal and a failed refresh cut in; the others are polite).
 */
export function Banners() {
  const connection = usePos((s) => s.link.connection);
  const failedConnects = usePos((s) => s.link.failedConnects);
  const ready = usePos((s) => s.host.ready);
  const syncError = usePos((s) => s.link.syncError);
  const syncing = usePos((s) => s.link.syncing);
  const resync = usePos((s) => s.resync);
  const connectivity = usePos((s) => s.host.connectivity);
  const gateway = usePos((s) => s.host.gateway);
  const mode = usePos((s) => s.host.mode);

  const payments = usePos((s) => s.host.payments);
  const selectPayment = usePos((s) => s.selectPayment);
  const setScreen = usePos((s) => s.setScreen);
  // "Receipt not printed — reprint": a printer problem never fails a payment, but it must show.
  const unprinted = useMemo(
    () => Object.values(payments).filter((p) => p.receipt.print?.state === 'failed'),
    [payments],
  );

  const linkNotice = usePos((s) => s.ui.linkNotice);
  const dismissLinkNotice = usePos((s) => s.dismissLinkNotice);
  const openProcess = usePos((s) => s.openProcess);
  const refocus = usePos((s) => s.refocus);

  // Refresh is disabled while it runs (Chromium then drops its focus on the page itself) and goes
  // with the banner when it works: a keyboard-only cashier who pressed it would have to Tab from the
  // top. Once the refresh is over, the focus goes back to it if it failed again, else into the screen.
  const refreshButton = useRef<HTMLButtonElement>(null);
  const refreshHadFocus = useRef(false);
  useEffect(() => {
    if (syncing || !refreshHadFocus.current) return;
    refreshHadFocus.current = false;
    const button = refreshButton.current;
    if (button && !button.disabled) button.focus();
    else refocus();
  }, [syncing, syncError, refocus]);

  const queued = connectivity.queued;
  const totals = queued.totals.map((t) => money(t.amount, t.currency)).join(' + ');

  return (
    <div className="banners">
      <LiveRegion alert as="div" className="banner banner--warning">
        {connection === 'refused' ? (
          <>
            <strong>This page is not connected to the running app.</strong>{' '}
            <span>
              Its link is old or was opened without its token (the app may have restarted). Open the URL printed by npm
              start / npm run web again; nothing can be done from this page until then.
            </span>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion as="div" className="banner banner--warning">
        {connection === 'closed' ? (
          <>
            <strong>Reconnecting to the host…</strong>{' '}
            <span>
              The screen shows the last known state; payments cannot be started until the connection is back.
              {failedConnects >= TOKEN_HINT_AFTER
                ? ' If this does not go away, make sure the app is running, then open the URL printed by npm start / npm run web again.'
                : ''}
            </span>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion as="div" className="banner banner--warning banner--setup">
        {ready && gateway && !gateway.configured ? (
          <>
            <strong>
              {gateway.label} is not set up for {mode} mode.
            </strong>{' '}
            <span>No payment can be taken until its credentials are added in Settings (F7).</span>{' '}
            <button type="button" onClick={() => setScreen('settings')}>
              Open Settings (F7)
            </button>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion as="div" className="banner banner--offline">
        {connectivity.gateway === 'offline' ? (
          <>
            {connectivity.throttled ? (
              <>
                <strong>The payment gateway is slowing this till down.</strong>{' '}
                <span>
                  It answers, but asked the till to wait (429 Too Many Requests): nothing is sent until then.{' '}
                </span>
              </>
            ) : (
              <>
                <strong>The payment gateway is offline.</strong>{' '}
              </>
            )}
            <span>
              {queued.count > 0
                ? `${queued.count} operation${queued.count === 1 ? '' : 's'} queued${totals ? ` (${totals})` : ''}; they will be sent when it is back.`
                : 'Nothing is queued.'}
              {connectivity.lastError ? ` Last error: ${connectivity.lastError}` : ''}
            </span>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion as="div" className="banner banner--offline">
        {connectivity.gateway === 'refused' ? (
          <>
            <strong>The payment gateway refuses this till’s keys.</strong>{' '}
            <span>
              It answers, so the network is fine: check the keys and the API URL in Settings (F7).
              {connectivity.lastError ? ` The gateway said: ${connectivity.lastError}` : ''}
            </span>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion as="div" className="banner banner--info">
        {connectivity.recovering && connectivity.recovering.total > 0 ? (
          <>
            <strong>Checking unfinished payments with the gateway…</strong>{' '}
            <span>
              {connectivity.recovering.done} of {connectivity.recovering.total} done. You can keep working; a payment
              being checked shows its state as soon as it is known.
            </span>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion as="div" className="banner banner--warning banner--receipt">
        {unprinted.length > 0 ? (
          <>
            <strong>
              Receipt not printed — reprint{unprinted.length > 1 ? ` (${unprinted.length} payments)` : ''}.
            </strong>{' '}
            <span>
              Order {unprinted[0]!.orderReference}, {money(unprinted[0]!.amount, unprinted[0]!.currency)},{' '}
              {COPIES_LABELS[unprinted[0]!.receipt.print?.copies ?? 'customer'].toLowerCase()}:{' '}
              {sentence(unprinted[0]!.receipt.print?.error ?? 'the printer failed')} The payment itself is fine.
            </span>{' '}
            <button
              type="button"
              onClick={() => {
                selectPayment(unprinted[0]!.id);
                setScreen('process');
              }}
            >
              Open to reprint
            </button>
          </>
        ) : null}
      </LiveRegion>
      {/* A link paid or lapsed while the cashier is elsewhere: polite, and it takes no focus. */}
      <LiveRegion as="div" className="banner banner--info banner--link">
        {linkNotice ? (
          <>
            <span>{linkNotice.text}</span>{' '}
            <button type="button" aria-keyshortcuts="F2" onClick={openProcess}>
              Open (F2)
            </button>{' '}
            <button
              type="button"
              onClick={(event) => {
                // The button goes with the banner: a focus on it would be left on the page itself, and a
                // keyboard-only cashier would Tab from the top. It goes back into the screen instead.
                const hadFocus = event.currentTarget === document.activeElement;
                dismissLinkNotice();
                if (hadFocus) refocus();
              }}
            >
              Dismiss
            </button>
          </>
        ) : null}
      </LiveRegion>
      <LiveRegion alert as="div" className="banner banner--warning">
        {/* Refused, this page can never refresh (only the printed URL helps): no Refresh to try. */}
        {ready && syncError && connection !== 'closed' && connection !== 'refused' ? (
          <>
            <span>Could not refresh from the host: {syncError}</span>{' '}
            <button
              type="button"
              ref={refreshButton}
              onClick={(event) => {
                refreshHadFocus.current = event.currentTarget === document.activeElement;
                void resync();
              }}
              disabled={syncing}
            >
              Refresh
            </button>
          </>
        ) : null}
      </LiveRegion>
    </div>
  );
}
