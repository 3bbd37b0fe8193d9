/**
 * The customer-facing display: what the second screen shows about the payment the cashier is
 * taking now — the amount, the tip presets while the customer chooses, then "present your card"
 * or the QR code of the payment link, then approved or declined. Derived from the journal, so a
 * restart shows the same screen (a payment still waiting for its tip asks again). The view holds
 * nothing the customer may not see: no order references, no ids but the payment's own (which the
 * tip choice names, so a stale screen cannot tip another payment), no card numbers.
 */
import type { CustomerDisplayView } from '../../common/contract';
import { declineInfo, isDeclineCode } from '../../common/decline-codes';
import { MAX_AMOUNT_MINOR } from '../../common/money';
import { tipOptions } from '../../common/tips';
import { CONCERT_MAX_AMOUNT } from '../../drivers/protocols/concert/codec';
import type { Settings } from '../config/settings';
import { GATEWAY_PROFILES } from '../gateway/registry';
import { chargedByShopBankTerminal } from '../payments/standalone';
import { installmentPart, type Journal, type PaymentRecord } from '../store/journal';

/** The journal setting naming the payment on the customer display. */
const CURRENT = 'customerDisplay.paymentId';
/** The journal setting keeping when the current payment's result began to show. */
const RESULT = 'customerDisplay.result';

/** Screens that end a payment: shown for a while from when they began, then the idle screen. */
const RESULT_PHASES: ReadonlySet<CustomerDisplayView['phase']> = new Set(['approved', 'declined', 'canceled']);
/** Screens of a payment the customer is in the middle of: another payment does not take them away. */
const BUSY_PHASES: ReadonlySet<CustomerDisplayView['phase']> = new Set([
  'tip',
  'wait',
  'present_card',
  'processing',
  'qr',
]);

interface ShownResult {
  paymentId: string;
  phase: CustomerDisplayView['phase'];
  at: string;
}

export interface DisplayDeps {
  journal: Journal;
  settings: () => Settings;
  accountName: () => string | null;
  onChange: (view: CustomerDisplayView) => void;
}

export class CustomerDisplay {
  private version = 0;
  /** The screen last sent to the display, and its JSON (to send only changes). */
  private shown: Omit<CustomerDisplayView, 'version'> | null = null;
  private shownKey: string | null = null;
  /** The journal's setting, read once: this class is its only writer (every payment change asks). */
  private current: string | null | undefined = undefined;
  /** The result on screen and when it began, kept in the journal (read once, like `current`). */
  private result: ShownResult | null | undefined = undefined;
  /** A pushed payment waiting for the customer's current payment to end (see offer). */
  private offered: string | null = null;

  constructor(private readonly deps: DisplayDeps) {}

  /** The cashier started a payment: it is the one the customer sees from now on. */
  show(paymentId: string): void {
    const { journal } = this.deps;
    // Which payment the screen shows is progress, not money: it needs no fsync of its own.
    if (this.currentId() !== paymentId) {
      journal.progress(() => journal.setSetting(CURRENT, paymentId));
      this.current = paymentId;
    }
    this.refresh();
  }

  /**
   * A payment the till did not send to its reader (the merchant's own server pushed it there): shown
   * like the cashier's own, unless the customer is in the middle of another payment on the display
   * (its tip, its card, its QR code). Then it shows once that one has its result, if it is still on
   * its reader then. Kept in memory only: a restart forgets a payment offered and not shown yet (the
   * display shows what it showed before the restart).
   */
  offer(paymentId: string): void {
    const current = this.currentId();
    if (current === paymentId) return this.refresh();
    if (current !== null && BUSY_PHASES.has(this.screen().phase)) {
      this.offered = paymentId;
      return;
    }
    this.offered = null;
    this.show(paymentId);
  }

  /**
   * The cashier took the payment off the customer's screen (a link nobody can withdraw, which the
   * customer left unpaid): the welcome shows until the next payment. Only while it is that payment,
   * so a stale cashier screen never takes down the next customer's. Its QR stayed up before, with
   * its amount, for the next customer to see and scan (found in a defect hunt with Plural).
   */
  takeDown(paymentId: string): void {
    if (this.currentId() !== paymentId) return;
    const { journal } = this.deps;
    journal.progress(() => journal.setSetting(CURRENT, null));
    this.current = null;
    this.refresh();
  }

  /** Something changed (a payment, the settings): tell the display when its screen changes. */
  refresh(paymentId?: string): void {
    if (paymentId && paymentId === this.offered && !this.stillOffered()) this.offered = null;
    if (paymentId && paymentId !== this.currentId()) return;
    const next = this.compute();
    // The customer's payment is over: a pushed payment still waiting for its card comes next.
    if (this.offered && !BUSY_PHASES.has(next.phase)) {
      const offered = this.offered;
      this.offered = null;
      if (this.stillOffered(offered)) return this.show(offered);
    }
    const key = JSON.stringify(next);
    if (key === this.shownKey) return;
    this.shown = next;
    this.shownKey = key;
    this.keepResult(next);
    this.version++;
    this.deps.onChange({ version: this.version, ...next });
  }

  /** Whether the offered payment is still on its reader, waiting for the customer. */
  private stillOffered(id = this.offered): boolean {
    return !!id && this.deps.journal.getPayment(id)?.status === 'in_progress';
  }

  currentId(): string | null {
    if (this.current === undefined) this.current = this.deps.journal.getSetting<string>(CURRENT) ?? null;
    return this.current;
  }

  view(): CustomerDisplayView {
    return { version: this.version, ...this.compute() };
  }

  private shownResult(): ShownResult | null {
    if (this.result === undefined) this.result = this.deps.journal.getSetting<ShownResult>(RESULT) ?? null;
    return this.result;
  }

  /**
   * Keeps when a result began to show, so that after a restart a later capture or refund (which
   * changes the payment) does not show "Approved" to the customer again as if it were new. Once
   * per payment: it is progress, not money, and needs no fsync of its own.
   */
  private keepResult(screen: Omit<CustomerDisplayView, 'version'>): void {
    if (!screen.paymentId || !screen.at || !RESULT_PHASES.has(screen.phase)) return;
    const kept = this.shownResult();
    if (kept && kept.paymentId === screen.paymentId && kept.phase === screen.phase && kept.at === screen.at) return;
    const result: ShownResult = { paymentId: screen.paymentId, phase: screen.phase, at: screen.at };
    const { journal } = this.deps;
    journal.progress(() => journal.setSetting(RESULT, result));
    this.result = result;
  }

  /**
   * The screen for the current payment. `at` is when that screen began: a change to the payment
   * that leaves the customer's screen as it is (the reader moving on within "present your card",
   * a refund long after "Approved") keeps it, so the display neither flickers nor shows an old
   * result again.
   */
  private compute(): Omit<CustomerDisplayView, 'version'> {
    const next = this.screen();
    const shown = this.shown;
    if (shown && shown.paymentId === next.paymentId) {
      if (shown.phase === next.phase) return { ...next, at: shown.at };
      // Another screen of this payment came first (another card tried after a decline): a new result.
      return next;
    }
    // After a restart nothing was shown yet: a result keeps the start the journal kept for it.
    const kept = RESULT_PHASES.has(next.phase) ? this.shownResult() : null;
    return kept && kept.paymentId === next.paymentId && kept.phase === next.phase ? { ...next, at: kept.at } : next;
  }

  private screen(): Omit<CustomerDisplayView, 'version'> {
    const settings = this.deps.settings();
    const shop = settings.shopName || this.deps.accountName();
    const testMode = settings.mode === 'test';
    const id = this.currentId();
    const record = id ? this.deps.journal.getPayment(id) : undefined;
    const idle: Omit<CustomerDisplayView, 'version'> = {
      shop,
      testMode,
      shopBankTerminal: false,
      phase: 'idle',
      paymentId: null,
      currency: null,
      amount: null,
      preTipAmount: null,
      tip: null,
      tipOptions: [],
      payUrl: null,
      installment: null,
      message: null,
      at: null,
    };
    if (!record) return idle;
    return {
      ...idle,
      shopBankTerminal: chargedByShopBankTerminal(record, this.deps.journal),
      installment: installmentOf(record, this.deps.journal),
      ...phaseOf(record, settings),
    };
  }
}

/** The part of its plan a payment is, and the plan's whole amount; null for a payment in one go. */
function installmentOf(record: PaymentRecord, journal: Journal): CustomerDisplayView['installment'] {
  const plan = record.installmentPlanId ? journal.getPlan(record.installmentPlanId) : undefined;
  const place = plan ? installmentPart(plan, [record.id, record.transactionId]) : null;
  return plan && place ? { ...place, planAmount: plan.amount } : null;
}

function phaseOf(record: PaymentRecord, settings: Settings): Partial<CustomerDisplayView> {
  const base = {
    paymentId: record.id,
    currency: record.currency,
    amount: record.amount,
    preTipAmount: record.preTipAmount,
    tip: record.tipState === 'chosen' && record.tipAmount > 0 ? record.tipAmount : null,
    at: record.updatedAt,
  };
  if (record.tipState === 'awaiting' && record.status === 'creating' && record.preTipAmount !== null) {
    return {
      ...base,
      phase: 'tip',
      amount: record.preTipAmount,
      tipOptions: safeOptions(record.preTipAmount, record.currency, settings.tipPresets).filter(
        (option) => option.total <= largestTotal(record),
      ),
    };
  }
  switch (record.status) {
    case 'creating':
    case 'unknown':
      return { ...base, phase: 'wait', message: 'One moment, please.' };
    case 'pending':
      if (record.channel === 'link' && record.payUrl) return { ...base, phase: 'qr', payUrl: record.payUrl };
      if (record.declineCode)
        return {
          ...base,
          phase: 'declined',
          message: notCompleted(record.declineCode)
            ? 'The payment was not completed. No money was taken.'
            : 'The card was not accepted. Please try another card.',
        };
      return { ...base, phase: 'wait', message: 'One moment, please.' };
    case 'in_progress':
      return record.readerStage === 'processing'
        ? { ...base, phase: 'processing', message: 'Processing… please do not remove the card.' }
        : { ...base, phase: 'present_card', message: 'Present your card on the reader.' };
    case 'succeeded':
    case 'requires_capture':
    case 'refunded':
    case 'partially_refunded':
      return { ...base, phase: 'approved', message: 'Approved. Thank you!' };
    case 'failed':
      return { ...base, phase: 'declined', message: failedMessage(record.declineCode) };
    case 'canceled':
      return { ...base, phase: 'canceled', message: 'The payment was canceled.' };
  }
}

/**
 * A payment that failed, in the customer's words: a link that expired unpaid or a reader that gave
 * up refused no card, so the customer is not told it was "not accepted".
 */
function failedMessage(code: string | null): string {
  if (code === 'link_expired') return 'The payment link has expired. No money was taken.';
  if (notCompleted(code)) return 'The payment was not completed. No money was taken.';
  return 'The payment was not accepted.';
}

/** The reader or the page gave up with no card refused (a timeout, a reader unplugged before it took the request). */
function notCompleted(code: string | null): boolean {
  return !!code && isDeclineCode(code) && declineInfo(code).kind === 'not_completed';
}

/**
 * The largest total the payment can be charged, tip included: what its gateway takes (Plural ₹10
 * lakh, PayPlug €20,000), or a terminal on the shop's bank its eight digits. A preset above it is not
 * offered: choosing it could only be refused (found offering 15 % on a ₹9,50,000 Plural payment).
 */
function largestTotal(record: PaymentRecord): number {
  const max = record.chargedBy === 'terminal' ? CONCERT_MAX_AMOUNT : GATEWAY_PROFILES[record.gateway].limits.amount.max;
  return Math.min(max, MAX_AMOUNT_MINOR);
}

/** The presets that can be offered, each on its own: one that cannot be computed hides only itself. */
function safeOptions(base: number, currency: string, presets: readonly number[]): CustomerDisplayView['tipOptions'] {
  return presets.flatMap((percent) => {
    try {
      return tipOptions(base, currency, [percent]);
    } catch {
      return [];
    }
  });
}
