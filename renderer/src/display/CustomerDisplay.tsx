import { useEffect, useMemo, useRef, useState } from 'react';
import type { BridgeConnectionState, CustomerDisplayView, PosBridge } from '../../../common/contract';
import { qrSvg } from '../../../common/qr';
import { TEST_MODE_MARK, TEST_MODE_SHOP_BANK_MARK } from '../../../common/test-mode-marks';
import type { TipChoice } from '../../../common/tips';
import { AmountInput, refusedField } from '../components/AmountInput';
import { money } from '../lib/format';
import { useNow } from '../lib/hooks';

/** After a result (approved, declined, canceled) the display says it this long, then welcomes again. */
export const RESULT_SHOWN_MS = 20_000;

/**
 * The customer's screen, on the second display: the amount in large type, the tip presets while
 * the customer chooses, "present your card" or the QR code to pay by phone, then the result. It
 * shows only what the host sends for it and can only send the customer's tip choice.
 */
export function CustomerDisplayApp({ bridge }: { bridge: PosBridge }) {
  const [view, setView] = useState<CustomerDisplayView | null>(null);
  const [connection, setConnection] = useState<BridgeConnectionState | 'connecting'>('connecting');
  const [busy, setBusy] = useState(false);
  // A custom tip being typed, and an error, belong to the screen they were made on.
  const [errorState, setErrorState] = useState<{ key: string; text: string } | null>(null);
  const [customState, setCustomState] = useState<{ key: string; value: number } | null>(null);

  useEffect(() => {
    const keep = (next: CustomerDisplayView) =>
      setView((current) => (current && current.version > next.version ? current : next));
    const load = () =>
      void bridge.invoke('display.snapshot', {}).then((result) => {
        if (result.ok) keep(result.value);
      });
    const offEvents = bridge.subscribe((event) => {
      if (event.type === 'display') keep(event.display);
    });
    const offConnection = bridge.onConnection((state) => {
      setConnection(state);
      if (state === 'open') load();
    });
    load();
    return () => {
      offEvents();
      offConnection();
    };
  }, [bridge]);

  const phaseKey = `${view?.paymentId ?? ''}:${view?.phase ?? ''}`;
  const custom = customState?.key === phaseKey ? customState.value : null;
  const setCustom = (value: number) => setCustomState({ key: phaseKey, value });
  const customRef = useRef<HTMLInputElement>(null);
  const customOpen = custom !== null;
  // "Other" opens the field with the cursor in it: typed digits and Enter go to the tip, not to the
  // "No tip" button that comes next in tab order (found by a tester using the keyboard only).
  useEffect(() => {
    if (customOpen) customRef.current?.focus();
  }, [customOpen]);
  const error = errorState?.key === phaseKey ? errorState.text : null;

  const now = useNow(1_000);
  const result = view && ['approved', 'declined', 'canceled'].includes(view.phase);
  const expired = result && view.at !== null && now - Date.parse(view.at) > RESULT_SHOWN_MS;
  const phase = !view || expired ? 'idle' : view.phase;

  const choose = async (tip: TipChoice) => {
    if (!view?.paymentId || locked) return;
    setBusy(true);
    setErrorState(null);
    const answer = await bridge.invoke('customer.chooseTip', { paymentId: view.paymentId, tip });
    setBusy(false);
    if (!answer.ok) setErrorState({ key: phaseKey, text: 'That did not go through. Please ask at the counter.' });
    else setView((current) => (current && current.version > answer.value.version ? current : answer.value));
  };

  // The till gone (stopped, restarting, network cut): what is on screen may be stale and a tip
  // could not be sent, so the screen says so and takes nothing until the connection is back.
  // A refused token (the till restarted with a new one) is no better: nothing would go through.
  const lost = connection === 'closed';
  const locked = busy || lost || connection === 'refused';

  // Refused: this address no longer works (the shop gave the display a new one, or it is an old
  // link). Nothing the till said is shown any more, and nothing can be tapped.
  if (connection === 'refused')
    return (
      <main className="customer-display customer-display--idle">
        <section className="customer-display__welcome">
          <h1>This screen is not connected</h1>
          <p className="customer-display__message" role="status">
            Its address no longer works (the till was given a new one, or this is an old link). Ask at the counter to
            open the customer display&apos;s address shown in the till&apos;s Settings.
          </p>
        </section>
      </main>
    );

  const m = (minor: number | null) => (minor !== null && view?.currency ? money(minor, view.currency) : '');

  return (
    <main className={`customer-display customer-display--${phase}`} aria-live="polite">
      {view?.testMode ? (
        <div className="customer-display__test">
          {view.shopBankTerminal ? TEST_MODE_SHOP_BANK_MARK : TEST_MODE_MARK}
        </div>
      ) : null}
      {lost ? (
        <p className="customer-display__message" role="status">
          One moment, please: this screen has lost the connection to the till. Ask at the counter if this stays.
        </p>
      ) : null}
      {phase === 'idle' ? (
        <section className="customer-display__welcome">
          <h1>Welcome{view?.shop ? ` to ${view.shop}` : ''}</h1>
        </section>
      ) : null}
      {phase === 'tip' && view ? (
        <section aria-labelledby="tip-title">
          <p className="customer-display__label">Amount</p>
          <p className="customer-display__amount" data-testid="display-amount">
            {m(view.amount)}
          </p>
          <h1 id="tip-title">Would you like to add a tip?</h1>
          <div className="customer-display__tips">
            {view.tipOptions.map((option) => (
              <button
                key={option.percent}
                type="button"
                className="customer-display__tip"
                disabled={locked}
                onClick={() => void choose({ kind: 'percent', percent: option.percent })}
              >
                <span className="customer-display__tip-percent">{option.percent} %</span>
                <span>{m(option.tip)}</span>
                <span className="customer-display__tip-total">Total {m(option.total)}</span>
              </button>
            ))}
            <button type="button" className="customer-display__tip" disabled={locked} onClick={() => setCustom(0)}>
              <span className="customer-display__tip-percent">Other</span>
              <span>amount</span>
            </button>
            <button
              type="button"
              className="customer-display__tip"
              disabled={locked}
              onClick={() => void choose({ kind: 'none' })}
            >
              <span className="customer-display__tip-percent">No tip</span>
            </button>
          </div>
          {custom !== null && view.currency ? (
            <form
              className="customer-display__custom"
              onSubmit={(event) => {
                event.preventDefault();
                const refused = refusedField(event.currentTarget);
                if (refused) return refused.focus();
                void choose(custom > 0 ? { kind: 'custom', amount: custom } : { kind: 'none' });
              }}
            >
              <AmountInput
                id="display-custom-tip"
                label="Tip"
                value={custom}
                currency={view.currency}
                onChange={setCustom}
                inputRef={customRef}
                hint={`Total ${m((view.amount ?? 0) + custom)}`}
              />
              <button type="submit" className="primary" disabled={locked}>
                Add this tip
              </button>
            </form>
          ) : null}
          {error ? (
            <p className="customer-display__error" role="alert">
              {error}
            </p>
          ) : null}
        </section>
      ) : null}
      {phase !== 'idle' && phase !== 'tip' && view ? <Total view={view} /> : null}
      {phase === 'qr' && view?.payUrl ? <Qr url={view.payUrl} /> : null}
      {phase !== 'idle' && phase !== 'tip' && view?.message ? (
        <p className={`customer-display__message customer-display__message--${phase}`} role="status">
          {view.message}
        </p>
      ) : null}
    </main>
  );
}

function Total({ view }: { view: CustomerDisplayView }) {
  const m = (minor: number) => (view.currency ? money(minor, view.currency) : '');
  return (
    <section aria-labelledby="total-title">
      {/* The page's heading while a payment is shown: the customer's screen reader finds the total first. */}
      <h1 id="total-title" className="customer-display__label">
        {view.installment ? `Installment ${view.installment.part} of ${view.installment.of}` : 'Total'}
      </h1>
      <p className="customer-display__amount" data-testid="display-amount">
        {view.amount !== null ? m(view.amount) : ''}
      </p>
      {view.installment ? (
        <p className="customer-display__breakdown">
          {m(view.installment.planAmount)} in {view.installment.of} installments
        </p>
      ) : null}
      {view.tip !== null && view.preTipAmount !== null ? (
        <p className="customer-display__breakdown">
          {m(view.preTipAmount)} + tip {m(view.tip)}
        </p>
      ) : null}
    </section>
  );
}

function Qr({ url }: { url: string }) {
  const image = useMemo(() => `data:image/svg+xml;utf8,${encodeURIComponent(qrSvg(url))}`, [url]);
  return (
    <figure className="customer-display__qr">
      <img src={image} alt="QR code: scan it to pay on your phone" />
      <figcaption>Scan to pay on your phone</figcaption>
    </figure>
  );
}
