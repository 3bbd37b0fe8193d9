import { useEffect, useState, type FormEvent } from 'react';
import type { CommandError, PaymentStatus, ReceiptStateView, Result } from '../../../common/contract';
import type { PosState } from '../store/types';
import { usePos } from '../store/context';
import { clockTime, sentence } from '../lib/format';
import { shopTimeZone } from '../store/selectors';
import { issueFor } from '../lib/errors';
import { useFocusFirstInvalid } from '../lib/hooks';
import { COPIES_LABELS, NO_PRINTER_TITLE, type ReceiptCopies } from '../lib/labels';
import { ErrorBox } from './ErrorBox';
import { LiveRegion } from './LiveRegion';
import { describedBy, Field } from './Field';

/**
 * What became of the receipt, in one line (a failed print is the "not printed — reprint" item),
 * its time in the shop's time zone.
 */
export function receiptStatusText(receipt: ReceiptStateView | null, timeZone: string | null): string | null {
  const print = receipt?.print;
  if (!print) return null;
  if (print.state === 'pending') return 'Printing the receipt…';
  if (print.state === 'failed')
    return `Receipt not printed (${COPIES_LABELS[print.copies].toLowerCase()}) — reprint it. ${print.error ?? ''}`.trim();
  return `Receipt printed${print.duplicate ? ' (duplicate)' : ''} at ${clockTime(print.at, timeZone)}${print.error ? ` — ${sentence(print.error)}` : '.'}`;
}

const OUTCOMES: ReadonlySet<PaymentStatus> = new Set([
  'succeeded',
  'requires_capture',
  'refunded',
  'partially_refunded',
  'canceled',
  'failed',
]);

/**
 * Whether a payment has an outcome to print, as the host decides it (receiptStatus in
 * main/counter/receipts.ts): approved, authorised, refunded, canceled, failed, or declined — a card
 * refused leaves the payment pending for another card, and its receipt says DECLINED. Every screen
 * offers the receipt panel on this one test: Process payment once showed none for a declined or
 * failed payment, which Transactions showed for a failed one only.
 */
export function hasReceipt(payment: { status: PaymentStatus; decline: unknown }): boolean {
  return OUTCOMES.has(payment.status) || (payment.status === 'pending' && payment.decline !== null);
}

/**
 * What a receipt says of its payment changes with these: its status, what was captured and what was
 * refunded. A receipt shown before one of them moved says something else than the payment now.
 */
export function receiptRevision(payment: { status: string; amountCaptured: number; amountRefunded: number }): string {
  return `${payment.status}:${payment.amountCaptured}:${payment.amountRefunded}`;
}

/** The copies as the printer puts them out: the merchant's first, then the customer's. */
const PRINTED_COPIES: Record<ReceiptCopies, Array<'merchant' | 'customer'>> = {
  customer: ['customer'],
  merchant: ['merchant'],
  both: ['merchant', 'customer'],
};

/**
 * The copies Copies names, rendered one after the other: what Show receipt and Print from this
 * screen give is what Print receipt would print. Both once gave the customer copy whatever was
 * chosen (Show receipt), or for both copies (Print from this screen).
 */
async function renderCopies(
  run: PosState['run'],
  paymentId: string,
  copies: ReceiptCopies,
  format: 'text' | 'html',
  key: string,
): Promise<Result<{ title: string; content: string }>> {
  const parts: string[] = [];
  let title = '';
  for (const copy of PRINTED_COPIES[copies]) {
    const result = await run('receipts.render', { paymentId, format, copy }, key);
    if (!result.ok) return result;
    title ||= result.value.title;
    parts.push(result.value.content);
  }
  return { ok: true, value: { title, content: parts.join(format === 'text' ? '\n' : '') } };
}

/**
 * A payment's receipt: print or reprint it on the receipt printer, show it, print it from this
 * screen (the browser's or the window's print dialog), or send it by email. While one runs the
 * buttons are aria-disabled, not disabled: a disabled button drops the focus, which then went
 * back to the screen's title, far from the receipt (found by a keyboard tester).
 */
export function ReceiptPanel({
  paymentRef,
  receipt,
  revision,
}: {
  paymentRef: string;
  receipt: ReceiptStateView | null;
  /** receiptRevision() of the payment: a receipt on show is shown again when it moves. */
  revision: string;
}) {
  const run = usePos((s) => s.run);
  const printHtml = usePos((s) => s.printHtml);
  const printer = usePos((s) => s.host.settings?.counter.printer.port ?? null);
  const busy = usePos((s) => s.busy[`receipt:${paymentRef}`] === true);
  // Until the cashier picks, a receipt that did not print offers the copies still to print.
  const [chosen, setChosen] = useState<ReceiptCopies | null>(null);
  const copies: ReceiptCopies = chosen ?? (receipt?.print?.state === 'failed' ? receipt.print.copies : 'customer');
  const [preview, setPreview] = useState<{ content: string; copies: ReceiptCopies; revision: string } | null>(null);
  const [email, setEmail] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const key = `receipt:${paymentRef}`;
  const emailId = `receipt-email-${paymentRef}`;
  const emailIssue = issueFor(error, 'email');
  const { form: emailForm, refused: emailRefused } = useFocusFirstInvalid(error);
  const timeZone = usePos(shopTimeZone);
  const status = receiptStatusText(receipt, timeZone);
  const printed = receipt?.print?.state === 'printed';

  const print = async () => {
    if (busy) return;
    setError(null);
    setDone(null);
    const result = await run('receipts.print', { paymentId: paymentRef, copies }, key);
    setChosen(null);
    if (!result.ok) setError(result.error);
    else if (result.value.state === 'printed')
      setDone(result.value.duplicate ? 'Duplicate printed.' : 'Receipt printed.');
    else setError({ code: 'conflict', message: `Not printed: ${result.value.error ?? 'the printer failed'}` });
  };
  const show = async () => {
    if (busy) return;
    setError(null);
    const result = await renderCopies(run, paymentRef, copies, 'text', key);
    if (result.ok) setPreview({ content: result.value.content, copies, revision });
    else setError(result.error);
  };
  // A receipt on show follows its payment: shown before a refund or a capture, it said APPROVED and
  // the old total beside a status that no longer matched (found by a tester).
  useEffect(() => {
    if (!preview || preview.revision === revision) return;
    let current = true;
    void renderCopies(run, paymentRef, preview.copies, 'text', key).then((result) => {
      if (!current) return;
      if (result.ok) setPreview({ content: result.value.content, copies: preview.copies, revision });
      else {
        setPreview(null);
        setError(result.error);
      }
    });
    return () => {
      current = false;
    };
  }, [preview, revision, run, paymentRef, key]);
  const printFromScreen = async () => {
    if (busy) return;
    setError(null);
    const result = await renderCopies(run, paymentRef, copies, 'html', key);
    if (result.ok) printHtml(result.value.title, result.value.content);
    else setError(result.error);
  };
  const sendEmail = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setDone(null);
    const result = await run('receipts.email', { paymentId: paymentRef, email: email.trim() }, key);
    if (!result.ok) {
      // A typing slip is said on the field, with the cursor back in it to correct.
      emailRefused();
      setError(result.error);
    } else
      setDone(
        result.value.state === 'sent'
          ? `The gateway sends the receipt to ${email.trim()}.`
          : `Email receipt to ${email.trim()} recorded: send it from the receipt shown here.`,
      );
  };

  return (
    <section className="receipt-panel" aria-label="Receipt">
      <h2>Receipt</h2>
      {/* Two regions that stay: a failed print cuts in, any other state is said politely. */}
      <LiveRegion className="receipt-status">{receipt?.print?.state === 'failed' ? null : status}</LiveRegion>
      <LiveRegion alert className="receipt-status receipt-status--failed">
        {receipt?.print?.state === 'failed' ? status : null}
      </LiveRegion>
      {receipt?.email ? (
        <p className="muted">
          Email receipt to {receipt.email.to}:{' '}
          {receipt.email.state === 'sent' ? 'sent by the gateway' : 'requested (send it from the receipt)'}.
        </p>
      ) : null}
      <div className="actions">
        <label className="inline-select">
          Copies{' '}
          <select value={copies} onChange={(e) => setChosen(e.target.value as ReceiptCopies)}>
            {(Object.keys(COPIES_LABELS) as ReceiptCopies[]).map((value) => (
              <option key={value} value={value}>
                {COPIES_LABELS[value]}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className={receipt?.print?.state === 'failed' ? 'primary' : undefined}
          disabled={!printer}
          aria-disabled={busy}
          title={printer ? undefined : NO_PRINTER_TITLE}
          onClick={() => void print()}
        >
          {printed || receipt?.print?.state === 'failed' ? 'Reprint receipt' : 'Print receipt'}
        </button>
        <button type="button" aria-disabled={busy} onClick={() => void show()}>
          Show receipt
        </button>
        <button type="button" aria-disabled={busy} onClick={() => void printFromScreen()}>
          Print from this screen
        </button>
      </div>
      {!printer ? (
        <p className="muted">No receipt printer is set up: print from this screen, or set one up in Settings (F7).</p>
      ) : null}
      <form ref={emailForm} className="inline-fields" onSubmit={(e) => void sendEmail(e)} noValidate>
        <Field id={emailId} label="Email the receipt" error={emailIssue}>
          <input
            {...describedBy(emailId, null, emailIssue)}
            type="email"
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </Field>
        <button type="submit" disabled={!email.trim()} aria-disabled={busy}>
          Email receipt
        </button>
      </form>
      <ErrorBox error={error} shownPaths={['email']} />
      <LiveRegion>{done}</LiveRegion>
      {preview ? (
        // A figure named "Receipt preview": a bare <pre> is generic, which may not carry a name.
        <pre className="receipt-preview" role="figure" aria-label="Receipt preview">
          {preview.content}
        </pre>
      ) : null}
    </section>
  );
}
