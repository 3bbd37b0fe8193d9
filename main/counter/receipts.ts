/**
 * Receipts at the counter: the receipt of a payment built from the journal (and, for refunds,
 * the gateway's answer when it can be had), shown as text or HTML, printed on the ESC/POS
 * printer of Settings, or asked for by email. Printing never holds up or fails a payment: jobs
 * run one at a time in the background after the approval is on disk, every outcome is journaled
 * (pending → printed | failed), and a failed one is a visible "receipt not printed — reprint".
 */
import type { GatewayCapabilities, RenderedReceipt } from '../../common/contract';
import { declineInfo, isDeclineCode } from '../../common/decline-codes';
import { openEscPosPrinter, PrinterError, statusProblem, type ReceiptPrinter } from '../../drivers/printers/printer';
import type { Settings } from '../config/settings';
import { merchantLabel } from '../../common/split-merchants';
import { errorText, HostError } from '../core/errors';
import { GATEWAY_LABELS } from '../gateway/registry';
import type { GatewayRefund } from '../gateway/port';
import { chargedByShopBankTerminal, STANDALONE_LABEL } from '../payments/standalone';
import {
  buildReceipt,
  escpos,
  html,
  htmlFragment,
  text,
  type EntryMode,
  type ReceiptCopy,
  type ReceiptInput,
  type ReceiptRefund,
  type ReceiptStatus,
  type ReceiptWidth,
} from '../receipts';
import { keptTip } from '../reports';
import {
  installmentPart,
  terminalLinesOf,
  type Journal,
  type PaymentRecord,
  type ReceiptCopies,
  type ReceiptRecord,
} from '../store/journal';
import { copiesOf } from '../payments/views';

export interface ReceiptDeps {
  journal: Journal;
  settings: () => Settings;
  /** The gateway account's name, when Settings names no shop. */
  accountName: () => string | null;
  readerLabel: (readerId: string) => string | null;
  /** The active gateway's capabilities (receipt email), null when none is configured. */
  capabilities: () => { name: string; capabilities: GatewayCapabilities } | null;
  /**
   * The payment of a transaction id the account the till reads now names (PaymentEngine.findHere): a
   * receipt asked for by a gateway's id (the Transactions list) is never another account's payment.
   */
  transactionHere: (transactionId: string) => PaymentRecord | undefined;
  /** The gateway's refunds of a payment, best effort: null when it cannot answer now. */
  gatewayRefunds: (record: PaymentRecord) => Promise<GatewayRefund[] | null>;
  /** Opens the receipt printer on a port (tests inject one). */
  openPrinter?: (port: string) => Promise<ReceiptPrinter>;
  /** A payment's receipt state changed (its view must be sent again). */
  onChanged: (paymentId: string) => void;
  /** Milliseconds since the epoch (the host's clock). */
  now: () => number;
  log: (summary: string, detail?: string) => void;
}

/** How recent a payment must be for its receipt to print by itself on approval. */
export const AUTO_PRINT_WITHIN_MS = 30 * 60_000;

const ENTRY_MODES: ReadonlySet<string> = new Set(['contactless', 'chip', 'swipe', 'manual', 'unknown']);

/** What a payment's receipt says about its outcome, or null while it has none yet. */
export function receiptStatus(record: PaymentRecord): ReceiptStatus | null {
  switch (record.status) {
    case 'succeeded':
      return { kind: 'approved' };
    case 'requires_capture':
      return { kind: 'authorised' };
    case 'refunded':
      return { kind: 'refunded' };
    case 'partially_refunded':
      return { kind: 'partially_refunded' };
    case 'canceled':
      return { kind: 'canceled' };
    case 'failed':
      return failure(record, 'Not completed');
    case 'pending':
      return record.declineCode ? failure(record, 'Declined') : null;
    default:
      return null;
  }
}

/**
 * A failed payment as the customer reads it: DECLINED only when a card was refused (an expired
 * payment link or a reader that timed out refused nothing), and the reason in the customer's words —
 * the journal keeps the cashier's ("Ask for another card", "Start a new payment…"), which are no
 * reason to print on the customer's paper. A code the app does not know keeps the gateway's words.
 */
function failure(record: PaymentRecord, fallback: string): ReceiptStatus {
  const code = record.declineCode;
  if (code && isDeclineCode(code)) {
    const info = declineInfo(code);
    return { kind: info.kind === 'not_completed' ? 'not_completed' : 'declined', reason: info.gateway, code };
  }
  return { kind: 'declined', reason: record.declineMessage ?? fallback, code };
}

export class CounterReceipts {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ReceiptDeps) {}

  private get journal(): Journal {
    return this.deps.journal;
  }

  /** The receipt input of a payment, or a HostError while it has no outcome to print. */
  async input(record: PaymentRecord, copy: ReceiptCopy, duplicate: boolean): Promise<ReceiptInput> {
    const status = receiptStatus(record);
    if (!status) {
      throw new HostError(
        'conflict',
        'This payment has no outcome yet, so there is no receipt to print. Wait for the card to be approved or declined.',
      );
    }
    const settings = this.deps.settings();
    // A partial capture charged less than was asked for: the receipt shows what was charged.
    const charged =
      ['succeeded', 'refunded', 'partially_refunded'].includes(record.status) &&
      record.amountCaptured > 0 &&
      record.amountCaptured !== record.amount
        ? record.amountCaptured
        : record.amount;
    // What was charged pays the bill first and the tip last, as the reports count Tips: a capture
    // below the bill keeps no tip, one above it the part above (the refunds are listed apart).
    const tip = keptTip(record.amount, record.tipAmount, charged, 0);
    const refunds = record.amountRefunded > 0 ? await this.refunds(record) : [];
    const card =
      record.cardBrand && record.cardLast4 && /^\d{4}$/.test(record.cardLast4)
        ? { brand: record.cardBrand, last4: record.cardLast4 }
        : null;
    return {
      shop: {
        name: settings.shopName || this.deps.accountName() || 'Shop',
        addressLines: settings.shopAddress,
        footerLines: settings.receiptFooter,
      },
      paymentId: record.id,
      orderReference: record.orderReference,
      createdAt: record.createdAt,
      timeZone: settings.timeZone,
      amount: charged - tip,
      tip,
      // A percentage of the amount asked for; after a partial capture it would not describe the lines.
      tipPercent: tip > 0 && charged === record.amount ? record.tipPercent : null,
      total: charged,
      currency: record.currency,
      status,
      card,
      entryMode: record.entryMode && ENTRY_MODES.has(record.entryMode) ? (record.entryMode as EntryMode) : null,
      authCode: record.authCode,
      gateway: {
        name: record.chargedBy === 'terminal' ? STANDALONE_LABEL : GATEWAY_LABELS[record.gateway],
        reference: record.chargedBy === 'terminal' ? record.transactionId : record.reference,
        ...(record.chargedBy === 'terminal' ? { terminal: true } : {}),
      },
      readerLabel: record.readerId ? this.deps.readerLabel(record.readerId) : null,
      refunds,
      installment: this.installment(record),
      shares: this.journal.splitsOf(record.id).map((split) => ({
        // Named as Settings names it now ("Stall 7 — Noodles (1324)"), else by its id.
        merchant: merchantLabel(settings.splitMerchants, split.merchantId),
        reference: split.settlementReference,
        amount: split.amount,
        status: split.status,
        released: split.releasedAmount,
        refunded: split.refundedAmount,
      })),
      terminalLines: terminalLinesOf(record),
      // The payment's own mode: a test payment printed again in live mode is still no charge.
      testMode: record.mode === 'test',
      shopBankTerminal: chargedByShopBankTerminal(record, this.journal),
      copy,
      duplicate,
    };
  }

  /**
   * Refund rows: the gateway's list when it answers (with its references), else the refunds the
   * journal made; one row for the whole refunded amount when neither adds up (made elsewhere).
   */
  private async refunds(record: PaymentRecord): Promise<ReceiptRefund[]> {
    let rows: ReceiptRefund[] = [];
    if (record.chargedBy === 'gateway') {
      const listed = await this.deps.gatewayRefunds(record).catch(() => null);
      if (listed) {
        rows = listed
          .filter((r) => r.status === 'succeeded' || r.status === 'pending')
          .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
          .map((r) => ({ amount: r.amount, at: r.createdAt, reference: r.reference }));
      }
    }
    if (sum(rows) !== record.amountRefunded) {
      rows = this.journal
        .operationsFor(record.id)
        .filter((op) => op.kind === 'refund' && op.state === 'done' && typeof op.params.amount === 'number')
        .map((op) => ({ amount: op.params.amount as number, at: op.updatedAt, reference: null }));
    }
    if (sum(rows) !== record.amountRefunded) rows = [{ amount: record.amountRefunded, at: record.updatedAt }];
    return rows;
  }

  /** Which part of its installment plan a payment is, from the plan's schedule; null when none. */
  private installment(record: PaymentRecord): ReceiptInput['installment'] {
    const plan = record.installmentPlanId ? this.journal.getPlan(record.installmentPlanId) : undefined;
    const part = plan ? installmentPart(plan, [record.id, record.transactionId]) : null;
    return part && plan ? { ...part, planTotal: plan.amount } : null;
  }

  private record(paymentId: string): PaymentRecord {
    const record = this.journal.getPayment(paymentId) ?? this.deps.transactionHere(paymentId);
    if (!record) throw new HostError('not_found', `No payment ${paymentId}.`);
    return record;
  }

  /** The receipt as text at the printer's width (or another), or as HTML to print from the screen. */
  async render(
    paymentId: string,
    options: {
      copy: ReceiptCopy;
      format: 'text' | 'html';
      width?: ReceiptWidth | undefined;
      duplicate?: boolean | undefined;
    },
  ): Promise<RenderedReceipt> {
    const model = buildReceipt(await this.input(this.record(paymentId), options.copy, options.duplicate ?? false));
    if (options.format === 'html') {
      return {
        title: model.title,
        format: 'html',
        content: htmlFragment(model.lines, model.locale),
        document: html(model),
        testMode: model.testMode,
      };
    }
    const width = options.width ?? this.deps.settings().receiptWidth;
    return {
      title: model.title,
      format: 'text',
      content: text(model, width),
      document: null,
      testMode: model.testMode,
    };
  }

  /**
   * The ESC/POS bytes of a job: each copy cut; the drawer pulsed with the merchant copy of a first
   * print when set. Only a copy that was printed before is marked DUPLICATE: reprinting both copies
   * after the customer's alone gives the merchant its first, unmarked copy. Decided when the job
   * runs, after the jobs before it: one asked for while another still prints is a duplicate too.
   */
  async jobBytes(record: PaymentRecord, job: Pick<ReceiptRecord, 'id' | 'copies'>): Promise<Uint8Array[]> {
    const settings = this.deps.settings();
    const printedBefore = this.printedCopies(record.id, job.id);
    const duplicate = this.isDuplicate(record.id, job);
    const out: Uint8Array[] = [];
    for (const copy of copiesOf(job.copies)) {
      const model = buildReceipt(await this.input(record, copy, printedBefore.has(copy)));
      out.push(
        escpos(model, {
          width: settings.receiptWidth,
          cut: 'partial',
          drawerKick: settings.drawerKick && copy === 'merchant' && !duplicate,
        }),
      );
    }
    return out;
  }

  /** Whether a job prints a copy the jobs before it have already put on paper. */
  private isDuplicate(paymentId: string, job: Pick<ReceiptRecord, 'id' | 'copies'>): boolean {
    const printedBefore = this.printedCopies(paymentId, job.id);
    return copiesOf(job.copies).some((copy) => printedBefore.has(copy));
  }

  /** The copies of a payment's receipt already on paper (from print jobs before `beforeJob`, when given). */
  private printedCopies(paymentId: string, beforeJob = Infinity): Set<ReceiptCopy> {
    const printed = new Set<ReceiptCopy>();
    for (const job of this.journal.receiptsFor(paymentId)) {
      if (job.channel === 'print' && job.state === 'printed' && job.id < beforeJob)
        for (const copy of copiesOf(job.copies)) printed.add(copy);
    }
    return printed;
  }

  /**
   * Prints a payment's receipt now (a reprint from Details, or the cashier's "print"): journaled
   * as pending, printed in turn, and answered with how it went. A printer problem is the job's
   * state (failed, with the reason), never an error of the payment.
   */
  async print(paymentId: string, copies: ReceiptCopies): Promise<ReceiptRecord> {
    const record = this.record(paymentId);
    const printed = this.printedCopies(record.id);
    const duplicate = copiesOf(copies).some((copy) => printed.has(copy));
    if (!receiptStatus(record)) await this.input(record, 'customer', duplicate); // throws the reason
    const port = this.deps.settings().receiptPrinterPort;
    if (!port) {
      throw new HostError(
        'conflict',
        'No receipt printer is set up. Choose its port in Settings (F7), or print from the screen.',
      );
    }
    const job = this.journal.addReceipt({
      paymentId: record.id,
      channel: 'print',
      copies,
      duplicate,
      destination: port,
      state: 'pending',
      error: null,
    });
    this.deps.onChanged(record.id);
    return this.enqueue(job);
  }

  /**
   * After an approval is on disk: the copies Settings asks for, in the background — for a customer
   * still at the counter (a payment created in the last half hour), not for one the till only
   * learns about later (a link paid hours after, a payment looked up in Transactions).
   */
  autoPrint(record: PaymentRecord): void {
    const settings = this.deps.settings();
    if (settings.printReceipts === 'off' || !settings.receiptPrinterPort) return;
    if (this.deps.now() - Date.parse(record.createdAt) > AUTO_PRINT_WITHIN_MS) return;
    if (this.journal.receiptsFor(record.id).some((r) => r.channel === 'print')) return;
    const job = this.journal.addReceipt({
      paymentId: record.id,
      channel: 'print',
      copies: settings.printReceipts === 'both' ? 'both' : 'customer',
      duplicate: false,
      destination: settings.receiptPrinterPort,
      state: 'pending',
      error: null,
    });
    this.journal.afterCommit(() => {
      this.deps.onChanged(record.id);
      void this.enqueue(job);
    });
  }

  /**
   * Asks the printer on `port` for its status, in the print queue (never over a job): null when it
   * answers and may print, else what is wrong, in the words a failed receipt would carry. Settings
   * says it next to the port as soon as one is saved, so a typo is not found at the first sale.
   */
  checkPrinter(port: string): Promise<string | null> {
    const run = this.queue.then(async () => {
      let printer: ReceiptPrinter | null = null;
      try {
        const open = this.deps.openPrinter ?? ((path: string) => openEscPosPrinter(path));
        printer = await open(port);
        const problem = statusProblem(await printer.status());
        return problem ? printFailure(problem) : null;
      } catch (error) {
        return printFailure(error);
      } finally {
        await printer?.close().catch(() => undefined);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Prints other documents (X/Z reports) in the same queue as the receipts. */
  printParts(parts: Uint8Array[]): Promise<{ state: 'printed' | 'failed'; error: string | null }> {
    const port = this.deps.settings().receiptPrinterPort;
    const run = this.queue.then(async () => {
      if (!port) return { state: 'failed' as const, error: 'No receipt printer is set up.' };
      let printer: ReceiptPrinter | null = null;
      try {
        const open = this.deps.openPrinter ?? ((path: string) => openEscPosPrinter(path));
        printer = await open(port);
        for (const part of parts) await printer.print(part);
        return { state: 'printed' as const, error: null };
      } catch (error) {
        return { state: 'failed' as const, error: printFailure(error) };
      } finally {
        await printer?.close().catch(() => undefined);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private enqueue(job: ReceiptRecord): Promise<ReceiptRecord> {
    const run = this.queue.then(() => this.runJob(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runJob(job: ReceiptRecord): Promise<ReceiptRecord> {
    let printer: ReceiptPrinter | null = null;
    let done: ReceiptRecord;
    // Known only now, after the jobs queued before this one have printed or failed.
    const duplicate = this.isDuplicate(job.paymentId, job);
    const copies = copiesOf(job.copies);
    let printed = 0;
    try {
      const record = this.journal.getPayment(job.paymentId)!;
      const bytes = await this.jobBytes(record, job);
      const open = this.deps.openPrinter ?? ((port: string) => openEscPosPrinter(port));
      printer = await open(job.destination!);
      let warning: string | null = null;
      for (const part of bytes) {
        const result = await printer.print(part);
        printed++;
        if (result.status?.paper === 'near_end') warning = 'paper near its end';
      }
      done = this.journal.updateReceipt(job.id, { state: 'printed', error: warning, duplicate });
    } catch (error) {
      const reason = printFailure(error);
      this.deps.log(`Receipt not printed for ${job.paymentId}`, reason);
      done = this.journal.updateReceipt(job.id, { state: 'failed', error: reason, duplicate });
      // The merchant copy of "both" printed before the failure is on paper: only the rest is owed,
      // and printing it again is a duplicate.
      if (printed > 0 && printed < copies.length) {
        this.journal.addReceipt({
          paymentId: job.paymentId,
          channel: 'print',
          copies: copies[0]!,
          duplicate: this.printedCopies(job.paymentId, job.id).has(copies[0]!),
          destination: job.destination,
          state: 'printed',
          error: null,
        });
      }
    } finally {
      await printer?.close().catch(() => undefined);
    }
    this.deps.onChanged(job.paymentId);
    return done;
  }

  /**
   * An email receipt: the gateway mails it when the payment was created with this address and the
   * gateway does that (PlutoPay's receipt_email); otherwise the request is recorded for the shop.
   */
  email(paymentId: string, to: string): ReceiptRecord {
    const record = this.record(paymentId);
    const active = this.deps.capabilities();
    const byGateway =
      record.chargedBy === 'gateway' &&
      active?.name === record.gateway &&
      active.capabilities.receiptEmail &&
      record.receiptEmail?.toLowerCase() === to.toLowerCase();
    const row = this.journal.addReceipt({
      paymentId: record.id,
      channel: 'email',
      copies: 'customer',
      duplicate: false,
      destination: to,
      state: byGateway ? 'sent' : 'requested',
      error: null,
    });
    this.journal.recordEvent(
      record.id,
      'receipt_email',
      byGateway
        ? `${to}: sent by ${GATEWAY_LABELS[record.gateway]} with the payment`
        : `${to}: requested (send it from the receipt shown in Details)`,
    );
    this.deps.onChanged(record.id);
    return row;
  }

  /** A payment created with a receipt email: the request is on record from the start. */
  createdWithEmail(record: PaymentRecord): void {
    if (record.receiptEmail && !this.journal.receiptSummary(record.id).email)
      this.email(record.id, record.receiptEmail);
  }

  /** At start: a print job still pending was cut short by a stop; it needs a reprint. */
  recoverAtStart(): void {
    for (const job of this.journal.pendingReceipts()) {
      this.journal.updateReceipt(job.id, {
        state: 'failed',
        error: 'The app stopped before this receipt was printed (it may be incomplete).',
      });
    }
  }

  receipts(paymentId: string): ReceiptRecord[] {
    return this.journal.receiptsFor(this.record(paymentId).id);
  }
}

function sum(rows: readonly { amount: number }[]): number {
  return rows.reduce((total, row) => total + row.amount, 0);
}

/**
 * What the printer's status bits said is the whole reason: the driver's words for it would only
 * say it again (once "The receipt printer is out of paper: the printer is out of paper").
 */
const STATUS_ONLY: ReadonlySet<string> = new Set(['paper_out', 'cover_open', 'offline', 'printer_error']);

function printFailure(error: unknown): string {
  if (error instanceof PrinterError) {
    const what: Record<string, string> = {
      no_printer: 'The receipt printer does not answer (off, unplugged or not set up)',
      unplugged: 'The receipt printer was unplugged',
      paper_out: 'The receipt printer is out of paper',
      cover_open: "The receipt printer's cover is open",
      offline: 'The receipt printer is offline',
      printer_error: 'The receipt printer reports an error (cutter jam, overheating…)',
      timeout: 'The receipt printer did not take the receipt in time',
      write_error: 'Writing to the receipt printer failed',
      closed: 'The receipt printer was closed',
    };
    const headline = `${what[error.code] ?? 'The receipt printer failed'}${error.written ? ' (the receipt may be incomplete)' : ''}`;
    return STATUS_ONLY.has(error.code) ? headline : `${headline}: ${error.message}`;
  }
  if (error instanceof HostError) return error.message;
  return errorText(error);
}
