import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { flushSync } from 'react-dom';
import type { CommandError, ReaderView } from '../../../common/contract';
import { ConfirmChoice, useWithdrawnChoice } from '../components/ConfirmChoice';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { describedBy, Field } from '../components/Field';
import { usePos } from '../store/context';
import { money, timeAgo } from '../lib/format';
import { issueFor } from '../lib/errors';
import { useFocusFirstInvalid, useNow } from '../lib/hooks';
import { busyWith } from '../store/selectors';
import { READER_STATUS_LABELS, readerKind, STAGE_LABELS } from '../lib/labels';

type Report = (message: string | null, error: CommandError | null) => void;

/**
 * A real terminal on the shop's own bank charges cards whatever the till's mode, and the app cannot
 * tell whether it is on the bank's test platform (its receipts say CHARGED BY THE SHOP'S BANK).
 */
const TEST_MODE_BANK_WARNING =
  "Test mode does not stop this terminal charging cards: it charges through the shop's bank.";

/**
 * A payment the reader may have charged (unplugged or silent after it took the request): what the
 * cashier does, not the bare status word "unknown".
 */
const HELD_UNKNOWN =
  "outcome not known: the reader may have charged the card. Check the reader's screen or last receipt, then say in Needs attention (F8) whether it was charged. Do not charge the customer again meanwhile.";

/**
 * Renames a reader this app drives ("Till 1", "Back counter"): the name every screen, the reports and
 * the receipts show. Enter saves, Escape keeps the old name; the focus comes back to Rename either way.
 */
function RenameReader({ reader, report }: { reader: ReaderView; report: Report }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy[`reader:${reader.id}`] === true);
  const [name, setName] = useState<string | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const returnFocus = useRef(false);
  const open = name !== null;
  useEffect(() => {
    if (open) input.current?.focus();
    else if (returnFocus.current) {
      returnFocus.current = false;
      button.current?.focus();
    }
  }, [open]);
  const close = () => {
    returnFocus.current = true;
    setName(null);
    setError(null);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy || name === null) return;
    const label = name.trim();
    if (!label) {
      setError({ code: 'validation', message: 'Type a name.', issues: [{ path: 'label', message: 'Type a name.' }] });
      input.current?.focus();
      return;
    }
    if (label === reader.label) return close();
    const result = await run('readers.configure', { readerId: reader.id, label }, `reader:${reader.id}`);
    if (!result.ok) {
      setError(result.error);
      input.current?.focus();
      return;
    }
    report(`${reader.label} is now called ${result.value.label}.`, null);
    close();
  };
  if (!open)
    return (
      <button ref={button} type="button" aria-disabled={busy} onClick={() => !busy && setName(reader.label)}>
        Rename
      </button>
    );
  const fieldId = `rename-${reader.id}`;
  const issue = issueFor(error, 'label');
  return (
    <form
      aria-label={`Rename ${reader.label}`}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        e.stopPropagation();
        close();
      }}
      noValidate
    >
      <div className="inline-fields">
        <Field id={fieldId} label="New name" error={issue}>
          <input
            ref={input}
            {...describedBy(fieldId, null, issue)}
            type="text"
            maxLength={60}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <button type="submit" className="primary" aria-disabled={busy}>
          Save name
        </button>
        <button type="button" onClick={close}>
          Keep {reader.label}
        </button>
      </div>
      <ErrorBox error={error} shownPaths={['label']} title="Not renamed." />
    </form>
  );
}

function ReaderItem({ reader, now, report }: { reader: ReaderView; now: number; report: Report }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy[`reader:${reader.id}`] === true);
  const action = busyWith(reader);
  const payment = usePos((s) => (action?.paymentId ? s.host.payments[action.paymentId] : undefined));
  const [confirmForget, setConfirmForget] = useState(false);
  // Where this reader's money goes is asked twice: a single Space on the box changed it (found by a
  // tester), and a payment taken with it set wrong is charged the other way.
  const [askStandalone, setAskStandalone] = useState<boolean | null>(null);
  // While the host works on this reader (or a payment is on it) its controls say so with
  // aria-disabled and do nothing, but keep the focus: a disabled control drops it to the page, where
  // Enter does nothing (found from the keyboard). The box also takes the focus back from its
  // confirmation, answered or not, so the cashier stays on this reader.
  const box = useRef<HTMLInputElement>(null);
  const forgetButton = useRef<HTMLButtonElement>(null);
  const locked = busy || action !== null;
  // Why Forget and the own-bank box do nothing while a payment is on the reader (the host refuses
  // both then): read with each, and said when pressed, before any confirmation is offered.
  const heldReason =
    action !== null
      ? `${reader.label} holds a payment: it cannot be forgotten, nor where its money goes changed, until that payment is over.`
      : null;
  const lockedId = `reader-${reader.id}-locked`;
  // A payment arrived on the reader while "Yes, forget" was open: withdrawn, like the box's choice.
  const forgetAsked = useWithdrawnChoice(
    confirmForget ? true : null,
    () => action === null,
    () => {
      setConfirmForget(false);
      report(`${reader.label} started taking a payment, so it cannot be forgotten now: nothing was changed.`, null);
    },
    () => forgetButton.current,
  );
  // A payment arrived on the reader while its confirmation was open (the host refuses to rewire a
  // reader holding one), or the reader was set that way meanwhile (another window): the "Yes" is
  // withdrawn before it can be pressed, the screen says why, and the focus waits on the box.
  const standaloneAsked = useWithdrawnChoice(
    askStandalone,
    (standalone) => action === null && reader.standalone !== standalone,
    (standalone) => {
      setAskStandalone(null);
      report(
        action !== null
          ? `${reader.label} started taking a payment, so where its money goes cannot change now: nothing was changed. Ask again once the payment is over.`
          : `${reader.label} already charges through ${standalone ? "the shop's own bank" : 'the gateway'} (changed elsewhere): nothing was changed.`,
        null,
      );
    },
    () => box.current,
  );
  const titleId = `reader-${reader.id}`;
  const warningId = `reader-${reader.id}-bank-warning`;
  // Test mode keeps the simulated reader's money imaginary, not a real terminal's on the shop's bank.
  const realTerminalInTest = usePos((s) => s.host.mode === 'test' && reader.hosted && reader.kind !== 'simulated');
  // A reader this app drives sits idle while the gateway takes payments by link (the host refuses to
  // reconnect it), unless it charges through the shop's own bank.
  const idle = usePos(
    (s) => reader.hosted && !reader.standalone && !!s.host.gateway && !s.host.gateway.capabilities.readerLink,
  );

  const reconnect = async () => {
    if (busy) return;
    const result = await run('readers.reconnect', { readerId: reader.id }, `reader:${reader.id}`);
    report(result.ok ? `Reconnecting ${reader.label}…` : null, result.ok ? null : result.error);
  };
  const setStandalone = async (standalone: boolean) => {
    box.current?.focus();
    setAskStandalone(null);
    const result = await run('readers.configure', { readerId: reader.id, standalone }, `reader:${reader.id}`);
    report(
      result.ok
        ? standalone
          ? `${reader.label} now charges through the shop's own bank: payments on it never go to the gateway.`
          : `${reader.label} now charges through the gateway.`
        : null,
      result.ok ? null : result.error,
    );
  };
  const forget = async () => {
    // The focus goes back to Forget (drawn again now), where a refusal is heard: never to the title.
    flushSync(() => setConfirmForget(false));
    forgetButton.current?.focus();
    const result = await run('readers.forget', { readerId: reader.id }, `reader:${reader.id}`);
    report(result.ok ? `${reader.label} was forgotten.` : null, result.ok ? null : result.error);
  };

  const facts = [
    reader.model,
    reader.serialNumber ? `serial ${reader.serialNumber}` : null,
    reader.softwareVersion ? `software ${reader.softwareVersion}` : null,
    reader.path,
    reader.hosted ? 'driven by this app' : 'hosted by the gateway',
  ].filter(Boolean);

  return (
    <li className={`reader reader--${reader.status}`}>
      <article aria-labelledby={titleId}>
        <h3 id={titleId} className="reader__title">
          {reader.label} <span className="muted">· {readerKind(reader)}</span>
        </h3>
        <p className="reader__status" role="status">
          <span className={`dot dot--${reader.status}`} aria-hidden="true" />
          {READER_STATUS_LABELS[reader.status]}
          {reader.statusDetail ? ` — ${reader.statusDetail}` : ''}
        </p>
        <p className="muted">
          Last seen {timeAgo(reader.lastSeenAt, now)} · {facts.join(' · ')}
        </p>
        {reader.hosted ? (
          <label className="checkbox">
            <input
              ref={box}
              type="checkbox"
              checked={reader.standalone}
              aria-disabled={locked}
              aria-describedby={heldReason ? lockedId : undefined}
              onChange={(e) => {
                if (heldReason) report(heldReason, null);
                else if (!locked) setAskStandalone(e.target.checked);
              }}
            />
            This reader charges through its own bank (no gateway: amounts go straight to the terminal)
          </label>
        ) : null}
        {realTerminalInTest && (reader.standalone || standaloneAsked === true) ? (
          <p id={warningId} className="notice" role="note">
            {TEST_MODE_BANK_WARNING}
          </p>
        ) : null}
        {standaloneAsked !== null ? (
          <div className="actions">
            <ConfirmChoice
              describedBy={realTerminalInTest && standaloneAsked ? warningId : undefined}
              yes={
                standaloneAsked
                  ? `Yes: ${reader.label} charges through the shop's own bank`
                  : `Yes: ${reader.label} charges through the gateway`
              }
              no="Leave it as it is"
              busy={busy}
              backTo={() => box.current}
              onYes={() => void setStandalone(standaloneAsked)}
              onNo={() => setAskStandalone(null)}
            />
          </div>
        ) : null}
        {action ? (
          <p>
            Busy with {payment ? money(payment.amount, payment.currency) : `transaction ${action.transactionId}`}
            {action.stage
              ? ` — ${STAGE_LABELS[action.stage] ?? action.stage}`
              : action.status === 'unknown'
                ? ` — ${HELD_UNKNOWN}`
                : ` — ${action.status}`}
          </p>
        ) : (
          <p className="muted">No current action.</p>
        )}
        <div className="actions">
          {reader.hosted ? <RenameReader reader={reader} report={report} /> : null}
          {idle ? null : (
            <button type="button" aria-disabled={busy} onClick={() => void reconnect()}>
              Reconnect
            </button>
          )}
          {forgetAsked ? (
            <ConfirmChoice
              yes={`Yes, forget ${reader.label}`}
              no="Keep it"
              busy={busy}
              onYes={() => void forget()}
              backTo={() => forgetButton.current}
              onNo={() => setConfirmForget(false)}
            />
          ) : (
            <button
              ref={forgetButton}
              type="button"
              className="danger"
              aria-disabled={locked}
              aria-describedby={heldReason ? lockedId : undefined}
              onClick={() => {
                if (heldReason) report(heldReason, null);
                else if (!busy) setConfirmForget(true);
              }}
            >
              Forget
            </button>
          )}
        </div>
        {heldReason ? (
          <p id={lockedId} className="muted">
            {heldReason}
          </p>
        ) : null}
      </article>
    </li>
  );
}

function Discovered({ readers, report }: { readers: ReaderView[]; report: Report }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy);
  if (readers.length === 0) return null;
  const pair = async (reader: ReaderView) => {
    if (!reader.deviceId) return;
    const result = await run('readers.pair', { deviceId: reader.deviceId }, `pair:${reader.deviceId}`);
    report(result.ok ? `${result.value.label} is paired.` : null, result.ok ? null : result.error);
  };
  // A named port no driver claims: asked again now; the list changes by itself when it answers.
  const tryAgain = async (reader: ReaderView) => {
    const result = await run('readers.reconnect', { readerId: reader.id }, `reader:${reader.id}`);
    report(result.ok ? `Trying ${reader.label} again.` : null, result.ok ? null : result.error);
  };
  return (
    <section aria-labelledby="discovered-title">
      <h2 id="discovered-title">Found, not paired</h2>
      <ul className="plain-list">
        {readers.map((reader) => (
          <li key={reader.id} className="reader reader--unpaired">
            <article aria-labelledby={`found-${reader.id}`}>
              <h3 id={`found-${reader.id}`} className="reader__title">
                {reader.label} <span className="muted">· {readerKind(reader)}</span>
              </h3>
              {reader.kind === 'port' ? (
                <>
                  <p className="reader__status" role="status">
                    {reader.statusDetail}
                  </p>
                  <button
                    type="button"
                    disabled={busy[`reader:${reader.id}`] === true}
                    onClick={() => void tryAgain(reader)}
                  >
                    Try again
                  </button>
                </>
              ) : (
                <>
                  <p className="muted">
                    {[reader.model, reader.serialNumber, reader.path].filter(Boolean).join(' · ')}
                  </p>
                  <button
                    type="button"
                    className="primary"
                    disabled={!reader.deviceId || busy[`pair:${reader.deviceId}`] === true}
                    onClick={() => void pair(reader)}
                  >
                    Pair
                  </button>
                </>
              )}
            </article>
          </li>
        ))}
      </ul>
    </section>
  );
}

function PairByCode({ report }: { report: Report }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy.pairCode === true);
  const [code, setCode] = useState('');
  const [label, setLabel] = useState('');
  const [location, setLocation] = useState('');
  const [error, setError] = useState<CommandError | null>(null);
  const { form, refused } = useFocusFirstInvalid(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const registrationCode = code.trim();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(registrationCode)) {
      refused();
      setError({
        code: 'validation',
        message: 'Check the registration code.',
        issues: [{ path: 'registrationCode', message: 'Type the code the reader shows: letters, digits, - or _.' }],
      });
      return;
    }
    setError(null);
    const result = await run(
      'readers.pair',
      {
        registrationCode,
        ...(label.trim() ? { label: label.trim() } : {}),
        ...(location.trim() ? { locationName: location.trim() } : {}),
      },
      'pairCode',
    );
    if (result.ok) {
      setCode('');
      setLabel('');
      setLocation('');
      report(`${result.value.label} is paired.`, null);
    } else {
      refused();
      setError(result.error);
    }
  };

  return (
    <form ref={form} aria-labelledby="pair-title" onSubmit={(e) => void submit(e)} noValidate>
      <h2 id="pair-title">Pair a cloud reader</h2>
      <div className="inline-fields">
        <Field id="registration-code" label="Registration code" error={issueFor(error, 'registrationCode')}>
          <input
            {...describedBy('registration-code', null, issueFor(error, 'registrationCode'))}
            type="text"
            autoComplete="off"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </Field>
        <Field id="pair-label" label="Label (optional)" error={issueFor(error, 'label')}>
          <input
            {...describedBy('pair-label', null, issueFor(error, 'label'))}
            type="text"
            maxLength={60}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        </Field>
        <Field id="pair-location" label="Location (optional)" error={issueFor(error, 'locationName')}>
          <input
            {...describedBy('pair-location', null, issueFor(error, 'locationName'))}
            type="text"
            maxLength={100}
            value={location}
            onChange={(e) => setLocation(e.target.value)}
          />
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          Pair reader
        </button>
      </div>
      <ErrorBox error={error} shownPaths={['registrationCode', 'label', 'locationName']} title="Not paired." />
    </form>
  );
}

function AddSimulated({ report }: { report: Report }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy.addSimulated === true);
  const [label, setLabel] = useState('');
  const [error, setError] = useState<CommandError | null>(null);
  const { form, refused } = useFocusFirstInvalid(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const result = await run('readers.addSimulated', label.trim() ? { label: label.trim() } : {}, 'addSimulated');
    if (result.ok) {
      setLabel('');
      report(`${result.value.label} was added.`, null);
    } else {
      refused();
      setError(result.error);
    }
  };
  return (
    <form ref={form} aria-labelledby="sim-title" onSubmit={(e) => void submit(e)} noValidate>
      <h2 id="sim-title">Add a simulated reader (test mode)</h2>
      <div className="inline-fields">
        <Field id="sim-label" label="Simulated reader label (optional)" error={issueFor(error, 'label')}>
          <input
            {...describedBy('sim-label', null, issueFor(error, 'label'))}
            type="text"
            maxLength={60}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          Add simulated reader
        </button>
      </div>
      <ErrorBox error={error} shownPaths={['label']} />
    </form>
  );
}

export function Readers() {
  const gateway = usePos((s) => s.host.gateway);
  const all = usePos((s) => s.host.readers);
  const mode = usePos((s) => s.host.mode);
  const run = usePos((s) => s.run);
  const refreshing = usePos((s) => s.busy.readersList === true);
  const now = useNow();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const paired = useMemo(() => all.filter((r) => r.status !== 'unpaired'), [all]);
  const discovered = useMemo(() => all.filter((r) => r.status === 'unpaired'), [all]);

  const report: Report = (msg, err) => {
    setMessage(msg);
    setError(err);
  };

  return (
    <section className="screen" aria-labelledby="readers-title">
      <h1 id="readers-title" tabIndex={-1}>
        Readers
      </h1>
      {gateway && !gateway.capabilities.readerLink && !gateway.capabilities.cloudReaders ? (
        <p className="notice" role="status">
          {gateway.label} takes payments by link (a QR code the customer scans), so readers are not used while the till
          is on {gateway.label}. They come back when you switch to a gateway with readers (Settings, F7).
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          disabled={refreshing}
          onClick={() =>
            // Looks for readers now (a terminal just plugged in), not only reads the list again.
            void run('readers.scan', {}, 'readersList').then((r) =>
              report(r.ok ? 'Reader list refreshed.' : null, r.ok ? null : r.error),
            )
          }
        >
          Refresh
        </button>
      </div>
      <LiveRegion>{message}</LiveRegion>
      <ErrorBox error={error} />
      <section aria-labelledby="paired-title">
        <h2 id="paired-title">Paired readers</h2>
        {paired.length === 0 ? (
          <p className="empty">No reader is paired yet.</p>
        ) : (
          <ul className="plain-list reader-list">
            {paired.map((reader) => (
              <ReaderItem key={reader.id} reader={reader} now={now} report={report} />
            ))}
          </ul>
        )}
      </section>
      <Discovered readers={discovered} report={report} />
      {/* Only a gateway that hosts readers pairs one by its code: PayPlug and Plural refuse it. */}
      {gateway?.capabilities.cloudReaders === false ? null : <PairByCode report={report} />}
      {mode === 'test' ? <AddSimulated report={report} /> : null}
    </section>
  );
}
