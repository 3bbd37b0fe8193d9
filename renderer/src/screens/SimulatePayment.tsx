import { useMemo, useState, type FormEvent } from 'react';
import type { CommandError, CommandInput, PaymentView, ReaderView } from '../../../common/contract';
import {
  decideTestOutcome,
  normaliseCardNumber,
  TEST_AMOUNT_RULE,
  TEST_CARDS,
  testAmountDecline,
} from '../../../common/test-cards';
import { declineInfo } from '../../../common/decline-codes';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { RadioGroup } from '../components/RadioGroup';
import { describedBy, Field } from '../components/Field';
import { usePos } from '../store/context';
import { money } from '../lib/format';
import { issueFor } from '../lib/errors';
import { STAGE_LABELS } from '../lib/labels';
import { enterInSelectSubmits } from '../lib/hooks';

type Fault = CommandInput<'simulate.setFault'>['fault'];

const FAULTS: { value: Fault; label: string; effect: string }[] = [
  { value: 'none', label: 'None (behave normally)', effect: 'behave normally again' },
  {
    value: 'timeout',
    label: 'Timeout: report "no card in time" on the next payment',
    effect: 'report a timeout on its next payment',
  },
  {
    value: 'no_answer',
    label: 'No answer: stay silent on the next payment',
    effect: 'take its next payment and never answer (the app gives up waiting and asks you what happened)',
  },
  { value: 'busy', label: 'Busy: refuse the next payment as busy', effect: 'refuse its next payment as busy' },
  {
    value: 'disconnect_mid_payment',
    label: 'Disconnect in the middle of the next payment',
    effect: 'disconnect in the middle of its next payment',
  },
];

const OTHER = 'other';
const NO_CARDS: readonly { number: string; label: string }[] = [];

function groupDigits(number: string): string {
  return number.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function outcomeText(amount: number, cardNumber: string): string {
  const outcome = decideTestOutcome(amount, cardNumber);
  if (outcome.approved) return `Approved (${outcome.brand} •••• ${outcome.last4}).`;
  return `Declined: ${outcome.code} — ${declineInfo(outcome.code).cashier}`;
}

function PresentCard({ readers }: { readers: ReaderView[] }) {
  const payments = usePos((s) => s.host.payments);
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy);
  const [readerPick, setReaderPick] = useState<string | null>(null);
  // The payment on Process payment (F2): its reader is the one chosen at first.
  const processing = usePos((s) => s.ui.selectedPaymentId);
  // Readers are PlutoPay's (its sandbox's and the app's simulated ones): they decide with its cards.
  const [card, setCard] = useState<string>(TEST_CARDS[0]!.number);
  const [other, setOther] = useState('');
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  // On the reader now (not one it may hold from before, whose outcome only a person can tell).
  const waiting = readers.filter((r) => r.action?.status === 'in_progress' && r.canPresentTestCards);
  const reader =
    waiting.find((r) => r.id === readerPick) ??
    waiting.find((r) => processing !== null && r.action?.paymentId === processing) ??
    waiting[0] ??
    null;
  const payment = reader?.action?.paymentId ? payments[reader.action.paymentId] : undefined;
  const cardNumber = card === OTHER ? normaliseCardNumber(other) : card;
  const cardError = card === OTHER && other.trim() && !cardNumber ? 'Card number: 12 to 19 digits.' : null;
  const presenting = reader ? busy[`present:${reader.id}`] === true : false;
  // The "No answer" fault holds the payment: the reader ignores cards, whatever the test rules say.
  const held = reader?.heldByFault === 'no_answer';
  // Process payment shows a link (or a plan's): F3 is there to pay it, not to present a card.
  const linkOnProcess = usePos(
    (s) =>
      s.ui.selectedPlan !== null ||
      (s.ui.selectedPaymentId !== null && s.host.payments[s.ui.selectedPaymentId]?.channel === 'link'),
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!reader || !cardNumber || presenting || held) return;
    setError(null);
    setDone(null);
    const result = await run('simulate.presentCard', { readerId: reader.id, cardNumber }, `present:${reader.id}`);
    if (result.ok) setDone(`Card ${groupDigits(cardNumber)} presented on ${reader.label}.`);
    else setError(result.error);
  };

  const ending = payment ? testAmountDecline(payment.amount) : null;

  // The card just presented ends the reader's wait, so the form gives way to "No reader is waiting":
  // the message is drawn after either, in one live region that stays (announced, not remounted).
  return (
    <>
      {waiting.length === 0 ? (
        <section aria-labelledby="present-title">
          <h2 id="present-title">Present a test card</h2>
          <p className="empty" role="status">
            No reader is waiting for a card. Charge a payment first (F1); it shows up here while the reader waits.
          </p>
        </section>
      ) : (
        <form aria-labelledby="present-title" onSubmit={(e) => void submit(e)} noValidate>
          <h2 id="present-title">Present a test card</h2>
          <RadioGroup
            legend="Reader waiting for a card"
            name="sim-reader"
            value={reader?.id ?? null}
            options={waiting.map((r) => {
              const p = r.action?.paymentId ? payments[r.action.paymentId] : undefined;
              return {
                value: r.id,
                label: (
                  <span>
                    {r.label} — {p ? money(p.amount, p.currency) : `transaction ${r.action?.transactionId}`}
                    {r.action?.stage ? ` (${STAGE_LABELS[r.action.stage] ?? r.action.stage})` : ''}
                    {r.heldByFault === 'no_answer' ? ' — “No answer” fault: ignores cards' : ''}
                  </span>
                ),
              };
            })}
            onChange={setReaderPick}
          />

          {payment && !held ? (
            <p className="test-amount">
              Test amount {money(payment.amount, payment.currency)}:{' '}
              {ending
                ? `its last two digits in minor units are ${ending.digits}, so an approving card is declined with ${ending.code} (${declineInfo(ending.code).cashier})`
                : `an approving card is approved. ${TEST_AMOUNT_RULE}`}
            </p>
          ) : null}

          <RadioGroup
            legend="Test card"
            name="test-card"
            className="card-picker"
            value={card}
            options={[
              ...TEST_CARDS.map((c) => ({
                value: c.number,
                label: (
                  <span>
                    {c.label} <span className="muted mono">{groupDigits(c.number)}</span>
                  </span>
                ),
              })),
              { value: OTHER, label: <span>Another card number</span> },
            ]}
            onChange={setCard}
          />
          {card === OTHER ? (
            <Field id="other-card" label="Card number" error={cardError ?? issueFor(error, 'cardNumber')}>
              <input
                {...describedBy('other-card', null, cardError ?? issueFor(error, 'cardNumber'))}
                type="text"
                inputMode="numeric"
                autoComplete="off"
                value={other}
                onChange={(e) => setOther(e.target.value)}
              />
            </Field>
          ) : null}
          {held ? (
            <p className="expected" id="present-held">
              Expected outcome: no answer. {reader?.label} has the “No answer” fault: it ignores any card on this
              payment and never answers. Cancel the payment on Process payment (F2), or wait: the app gives up on it and
              asks you in Needs attention (F8) what happened.
            </p>
          ) : payment && cardNumber ? (
            <p className="expected">Expected outcome: {outcomeText(payment.amount, cardNumber)}</p>
          ) : null}

          <ErrorBox error={error} shownPaths={['cardNumber']} />
          <div className="actions">
            <button
              type="submit"
              className="primary"
              disabled={!cardNumber || presenting || held}
              aria-describedby={held ? 'present-held' : undefined}
              // The screen opens on it (the reader and the approving card are chosen): Enter presents.
              data-autofocus={cardNumber && !held && !linkOnProcess ? '' : undefined}
            >
              Present card
            </button>
          </div>
        </form>
      )}
      <LiveRegion>{done}</LiveRegion>
    </>
  );
}

function FaultInjection({ readers }: { readers: ReaderView[] }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy);
  const simulated = readers.filter((r) => r.kind === 'simulated');
  const [readerPick, setReaderPick] = useState<string>('');
  const [fault, setFault] = useState<Fault>('timeout');
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  if (simulated.length === 0) return null;
  const reader = simulated.find((r) => r.id === readerPick) ?? simulated[0]!;
  const setting = busy[`fault:${reader.id}`] === true;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    const result = await run('simulate.setFault', { readerId: reader.id, fault }, `fault:${reader.id}`);
    if (result.ok) {
      setDone(`${reader.label} will ${FAULTS.find((f) => f.value === fault)?.effect ?? fault}.`);
    } else {
      setError(result.error);
    }
  };

  return (
    <form
      aria-labelledby="fault-title"
      onSubmit={(e) => void submit(e)}
      onKeyDown={enterInSelectSubmits}
      noValidate
      className="fault-form"
    >
      <h2 id="fault-title">Fault injection</h2>
      <div className="inline-fields">
        <Field id="fault-reader" label="Simulated reader">
          <select id="fault-reader" value={reader.id} onChange={(e) => setReaderPick(e.target.value)}>
            {simulated.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="fault" label="Fault">
          <select id="fault" value={fault} onChange={(e) => setFault(e.target.value as Fault)}>
            {FAULTS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={setting}>
          Set fault
        </button>
      </div>
      <ErrorBox error={error} />
      <LiveRegion>{done}</LiveRegion>
    </form>
  );
}

interface OnProcess {
  paymentId: string | null;
  planId: string | null;
  /** The gateway's id of the plan's first part, the one its QR pays. */
  planFirst: string | null;
}

/** The open link Process payment shows (a plan's: its first part), if it is one of `links`. */
function onProcess(links: PaymentView[], shown: OnProcess): PaymentView | undefined {
  if (shown.planId)
    return (
      links.find((p) => p.installmentPlanId === shown.planId && p.transactionId === shown.planFirst) ??
      links.find((p) => p.installmentPlanId === shown.planId)
    );
  return shown.paymentId ? links.find((p) => p.id === shown.paymentId) : undefined;
}

/** The link made last. */
function newest(links: PaymentView[]): PaymentView {
  return links.reduce((latest, p) => (Date.parse(p.createdAt) > Date.parse(latest.createdAt) ? p : latest));
}

/**
 * The customer's side of a payment link: pay it with a test card, as the gateway's page would. The
 * link chosen at first is the one the cashier is processing (on Process payment), else the newest.
 */
function PayLinkWithTestCard() {
  const payments = usePos((s) => s.host.payments);
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy);
  // The till's gateway's own sandbox cards (PayPlug's and Plural's are not PlutoPay's), never another's.
  const cards = usePos((s) => s.host.gateway?.linkTestCards) ?? NO_CARDS;
  const [pick, setPick] = useState<string | null>(null);
  const [chosen, setCard] = useState<string | null>(null);
  const card = chosen && cards.some((c) => c.number === chosen) ? chosen : (cards[0]?.number ?? null);
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const active = usePos((s) => s.host.gateway?.name);
  const keepsCards = usePos((s) => s.host.gateway?.capabilities.savedCards ?? false);
  const [saveCard, setSaveCard] = useState(false);
  // What Process payment (F2) shows: a payment, or an installment plan (its first part's link).
  const processing: OnProcess = {
    paymentId: usePos((s) => s.ui.selectedPaymentId),
    planId: usePos((s) => s.ui.selectedPlan?.id ?? null),
    planFirst: usePos((s) => s.ui.selectedPlan?.schedule[0]?.paymentIds.at(-1) ?? null),
  };
  // A link of another gateway than the till's is not followed (nor payable with this one's cards).
  const links = Object.values(payments).filter(
    (p) => p.channel === 'link' && p.status === 'pending' && p.payUrl && p.gateway === active,
  );
  // The link just paid leaves the list, and the form with it: what happened stays on screen, in one
  // live region drawn after the form or its heading (announced, not remounted).
  const payment =
    links.length === 0 || card === null
      ? null
      : (links.find((p) => p.id === pick) ?? onProcess(links, processing) ?? newest(links));
  const paying = payment !== null && busy[`paylink:${payment.id}`] === true;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (payment === null || card === null) return;
    setError(null);
    setDone(null);
    const result = await run(
      'simulate.payLink',
      { paymentId: payment.id, cardNumber: card, ...(keepsCards && saveCard ? { saveCard: true } : {}) },
      `paylink:${payment.id}`,
    );
    if (result.ok)
      setDone(`Card ${groupDigits(card)} used on the payment page of ${money(payment.amount, payment.currency)}.`);
    else setError(result.error);
  };
  return (
    <>
      {payment === null ? (
        done ? (
          <section aria-labelledby="paylink-title">
            <h2 id="paylink-title">Pay a payment link</h2>
          </section>
        ) : null
      ) : (
        <form aria-labelledby="paylink-title" onSubmit={(e) => void submit(e)} noValidate>
          <h2 id="paylink-title">Pay a payment link</h2>
          <RadioGroup
            legend="Payment link waiting to be paid"
            name="paylink"
            value={payment.id}
            options={links.map((p) => ({
              value: p.id,
              label: (
                <span>
                  {money(p.amount, p.currency)} — order {p.orderReference}
                </span>
              ),
            }))}
            onChange={setPick}
          />
          <RadioGroup
            legend="Test card"
            name="paylink-card"
            className="card-picker"
            value={card}
            options={cards.map((c) => ({
              value: c.number,
              label: (
                <span>
                  {c.label} <span className="muted mono">{groupDigits(c.number)}</span>
                </span>
              ),
            }))}
            onChange={setCard}
          />
          {keepsCards ? (
            <label className="checkbox">
              <input type="checkbox" checked={saveCard} onChange={(e) => setSaveCard(e.target.checked)} /> The customer
              ticks “save my card” (kept only if the payment offered it)
            </label>
          ) : null}
          <ErrorBox error={error} />
          <div className="actions">
            {/* The screen opens on it (the link on Process payment and a card are chosen): Enter pays. */}
            <button type="submit" className="primary" disabled={paying} data-autofocus="">
              Pay the link
            </button>
          </div>
        </form>
      )}
      <LiveRegion>{done}</LiveRegion>
    </>
  );
}

export function SimulatePayment() {
  // A gateway that takes payments by link only has no readers to present cards to.
  const linkOnly = usePos((s) => {
    const capabilities = s.host.gateway?.capabilities;
    return capabilities ? !capabilities.readerLink && !capabilities.cloudReaders : false;
  });
  const mode = usePos((s) => s.host.mode);
  const allReaders = usePos((s) => s.host.readers);
  const readers = useMemo(() => allReaders.filter((r) => r.status !== 'unpaired'), [allReaders]);

  if (mode !== 'test') {
    return (
      <section className="screen" aria-labelledby="simulate-title">
        <h1 id="simulate-title" tabIndex={-1}>
          Simulate payment
        </h1>
        <p>Simulated cards exist only in test mode. The app is in live mode.</p>
      </section>
    );
  }

  return (
    <section className="screen screen--simulate" aria-labelledby="simulate-title">
      <h1 id="simulate-title" tabIndex={-1}>
        Simulate payment
      </h1>
      <p className="test-banner">TEST MODE — simulated cards</p>
      {linkOnly ? null : <PresentCard readers={readers} />}
      <PayLinkWithTestCard />
      {linkOnly ? null : <FaultInjection readers={readers} />}
    </section>
  );
}
