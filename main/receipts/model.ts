/**
 * ReceiptInput → ReceiptModel: decides what a receipt says and in which order. The renderers
 * (text.ts, html.ts, escpos.ts) only decide how it looks.
 */
import { isKnownCurrency } from '../../common/currencies';
import { checkTimeZone, formatLocalDateTime, formatOffset, offsetMs, wallTime } from '../../common/timezone';
import type { MoneyText, PrintLine } from './layout';
import type { EntryMode, ReceiptInput, ReceiptModel, ReceiptStatus } from './types';
import { ReceiptInputError, TEST_MODE_MARK, TEST_MODE_SHOP_BANK_MARK } from './types';

const ENTRY_MODES: Record<EntryMode, string> = {
  contactless: 'Contactless',
  chip: 'Chip & PIN',
  swipe: 'Swiped',
  manual: 'Keyed in',
  unknown: 'Unknown',
};

const BRANDS: Record<string, string> = {
  visa: 'VISA',
  mastercard: 'Mastercard',
  amex: 'American Express',
  american_express: 'American Express',
  cb: 'CB',
  cartes_bancaires: 'CB',
  maestro: 'Maestro',
  discover: 'Discover',
  jcb: 'JCB',
  diners: 'Diners Club',
  unionpay: 'UnionPay',
};

/** "visa" → "VISA", "cartes_bancaires" → "CB", anything else capitalised. */
export function brandLabel(brand: string): string {
  const key = brand.trim().toLowerCase();
  const known = BRANDS[key];
  if (known) return known;
  return key.replace(/[_-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}

function isMinor(value: number, allowZero: boolean): boolean {
  return Number.isSafeInteger(value) && (allowZero ? value >= 0 : value > 0);
}

/** Every inconsistency in the input, empty when it can be printed. */
export function validateReceiptInput(input: ReceiptInput): string[] {
  const problems: string[] = [];
  if (!isKnownCurrency(input.currency)) problems.push(`unknown currency "${input.currency}"`);
  try {
    checkTimeZone(input.timeZone);
  } catch {
    problems.push(`unknown time zone "${input.timeZone}"`);
  }
  if (Number.isNaN(Date.parse(input.createdAt))) problems.push(`createdAt "${input.createdAt}" is not a date`);
  if (!isMinor(input.amount, false)) problems.push('amount must be a positive whole number of minor units');
  if (!isMinor(input.tip, true)) problems.push('tip must be a whole number of minor units, zero or more');
  if (!isMinor(input.total, false)) problems.push('total must be a positive whole number of minor units');
  else if (input.total !== input.amount + input.tip) {
    problems.push(`total ${input.total} is not amount ${input.amount} + tip ${input.tip}`);
  }
  if (!input.shop.name.trim()) problems.push('the shop has no name');
  const refunds = input.refunds ?? [];
  let refunded = 0;
  for (const refund of refunds) {
    if (!isMinor(refund.amount, false)) problems.push('a refund amount must be a positive whole number of minor units');
    if (Number.isNaN(Date.parse(refund.at))) problems.push(`refund date "${refund.at}" is not a date`);
    refunded += refund.amount;
  }
  if (refunded > input.total) problems.push(`refunds (${refunded}) exceed the total (${input.total})`);
  const kind = input.status.kind;
  if (kind === 'refunded' && refunded !== input.total)
    problems.push('a refunded payment needs refunds equal to the total');
  if (kind === 'partially_refunded' && !(refunded > 0 && refunded < input.total)) {
    problems.push('a partially refunded payment needs refunds above zero and below the total');
  }
  if (
    (kind === 'declined' || kind === 'not_completed' || kind === 'canceled' || kind === 'authorised') &&
    refunded > 0
  ) {
    problems.push(`a ${kind} payment cannot have refunds`);
  }
  if (input.card && !/^\d{4}$/.test(input.card.last4)) problems.push('card last4 must be four digits');
  const plan = input.installment;
  if (
    plan &&
    !(Number.isSafeInteger(plan.of) && plan.part >= 1 && plan.part <= plan.of && isMinor(plan.planTotal, false))
  )
    problems.push('an installment needs its part (1 to the count) and the plan total');
  for (const share of input.shares ?? []) {
    if (!isMinor(share.amount, false) || !isMinor(share.released, true) || !isMinor(share.refunded, true))
      problems.push(`share ${share.merchant}: amounts must be whole numbers of minor units`);
  }
  return problems;
}

function headline(status: ReceiptStatus): PrintLine[] {
  switch (status.kind) {
    case 'approved':
      return [{ kind: 'center', text: 'APPROVED', bold: true }];
    case 'authorised':
      return [
        { kind: 'center', text: 'AUTHORISED — NOT YET CHARGED', bold: true },
        { kind: 'text', text: 'The amount is held on the card and is charged when the sale is completed.' },
      ];
    case 'declined':
      return [
        { kind: 'center', text: 'DECLINED', bold: true },
        { kind: 'text', text: `Reason: ${status.reason}${status.code ? ` (${status.code})` : ''}` },
      ];
    case 'not_completed':
      return [
        { kind: 'center', text: 'NOT COMPLETED', bold: true },
        { kind: 'text', text: `Reason: ${status.reason}${status.code ? ` (${status.code})` : ''}` },
      ];
    case 'canceled':
      return [{ kind: 'center', text: 'CANCELED', bold: true }];
    case 'refunded':
      return [{ kind: 'center', text: 'REFUNDED', bold: true }];
    case 'partially_refunded':
      return [{ kind: 'center', text: 'PARTIALLY REFUNDED', bold: true }];
  }
}

/**
 * "2026-03-29 15:10" local, for refund rows: the header's Date carries the offset, so a refund's
 * own is added only when it differs ("2026-10-25 02:30 +01:00"). Without it a refund made in the
 * repeated hour of an autumn night, or after the clocks changed, read as if in the payment's offset.
 */
function shortLocal(iso: string, timeZone: string, headerOffset: number): string {
  const at = Date.parse(iso);
  const wall = wallTime(at, timeZone);
  const p = (n: number): string => String(n).padStart(2, '0');
  const offset = offsetMs(at, timeZone);
  return (
    `${wall.year}-${p(wall.month)}-${p(wall.day)} ${p(wall.hour)}:${p(wall.minute)}` +
    (offset === headerOffset ? '' : ` ${formatOffset(offset)}`)
  );
}

function percentLabel(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(2).replace(/0$/, '')}%`;
}

/** Builds the receipt. Throws ReceiptInputError listing every problem when the input is inconsistent. */
export function buildReceipt(input: ReceiptInput): ReceiptModel {
  const problems = validateReceiptInput(input);
  if (problems.length > 0) throw new ReceiptInputError(problems);
  const money = (minor: number, negative = false): MoneyText => ({ minor, currency: input.currency, negative });
  const lines: PrintLine[] = [];
  const add = (...more: PrintLine[]): void => {
    lines.push(...more);
  };
  const kind = input.status.kind;
  const notCharged = kind === 'declined' || kind === 'not_completed' || kind === 'canceled';
  // A terminal on the shop's own bank charges whatever the till's mode: its test receipt must not
  // say that no money moved.
  const mark = input.shopBankTerminal ? TEST_MODE_SHOP_BANK_MARK : TEST_MODE_MARK;

  if (input.testMode) add({ kind: 'banner', text: mark }, { kind: 'blank' });
  add({ kind: 'title', text: input.shop.name });
  for (const text of input.shop.addressLines) add({ kind: 'center', text });
  add({ kind: 'blank' }, { kind: 'center', text: input.copy === 'merchant' ? 'MERCHANT COPY' : 'CUSTOMER COPY' });
  if (input.duplicate) add({ kind: 'center', text: 'DUPLICATE', bold: true });
  add({ kind: 'rule' });

  add({ kind: 'pair', label: 'Date', value: formatLocalDateTime(Date.parse(input.createdAt), input.timeZone) });
  add({ kind: 'pair', label: 'Order', value: input.orderReference });
  add({ kind: 'pair', label: 'Payment', value: input.paymentId });
  if (input.readerLabel) add({ kind: 'pair', label: 'Reader', value: input.readerLabel });
  add({ kind: 'rule' });

  add(...headline(input.status));
  add({ kind: 'blank' });
  if (input.tip > 0) {
    add({ kind: 'pair', label: 'Amount', value: money(input.amount) });
    const tipLabel = input.tipPercent != null ? `Tip (${percentLabel(input.tipPercent)})` : 'Tip';
    add({ kind: 'pair', label: tipLabel, value: money(input.tip) });
  }
  add({
    kind: 'pair',
    label: kind === 'authorised' ? 'AUTHORISED' : 'TOTAL',
    value: money(input.total),
    style: notCharged ? 'bold' : 'total',
  });
  if (notCharged) add({ kind: 'center', text: 'NO MONEY WAS TAKEN', bold: true });
  if (input.installment) {
    add({ kind: 'pair', label: `Installment ${input.installment.part} of ${input.installment.of}`, value: '' });
    add({ kind: 'pair', label: 'Plan total', value: money(input.installment.planTotal) });
  }

  const refunds = input.refunds ?? [];
  if (refunds.length > 0) {
    add({ kind: 'rule' });
    let refunded = 0;
    for (const refund of refunds) {
      refunded += refund.amount;
      add({
        kind: 'pair',
        label: `Refund ${shortLocal(refund.at, input.timeZone, offsetMs(Date.parse(input.createdAt), input.timeZone))}`,
        value: money(refund.amount, true),
      });
      if (input.copy === 'merchant' && refund.reference) add({ kind: 'pair', label: '  ref', value: refund.reference });
    }
    add({ kind: 'pair', label: 'Refunded', value: money(refunded, true), style: 'bold' });
    add({ kind: 'pair', label: 'NET', value: money(input.total - refunded), style: 'total' });
  }

  const shares = input.copy === 'merchant' ? (input.shares ?? []) : [];
  if (shares.length > 0) {
    add({ kind: 'rule' }, { kind: 'center', text: 'SHARES' });
    for (const share of shares) {
      add({
        kind: 'pair',
        label: share.reference ? `${share.merchant} (${share.reference})` : share.merchant,
        value: money(share.amount),
      });
      const status = share.status.toUpperCase();
      if (status === 'HOLD') add({ kind: 'pair', label: '  Held', value: money(share.amount - share.refunded) });
      else if (status === 'RELEASED') add({ kind: 'pair', label: '  Released', value: money(share.released) });
      else if (status === 'CANCELLED') add({ kind: 'pair', label: '  Cancelled', value: '' });
      else add({ kind: 'pair', label: `  ${share.status.toLowerCase()}`, value: '' });
      if (share.refunded > 0) add({ kind: 'pair', label: '  Refunded', value: money(share.refunded, true) });
    }
  }

  add({ kind: 'rule' });
  if (input.card)
    add({ kind: 'pair', label: 'Card', value: `${brandLabel(input.card.brand)} **** ${input.card.last4}` });
  if (input.entryMode) add({ kind: 'pair', label: 'Entry', value: ENTRY_MODES[input.entryMode] });
  if (input.authCode) add({ kind: 'pair', label: 'Auth code', value: input.authCode });
  // A terminal on the shop's bank is no gateway, and its reference is the till's, not a gateway's.
  const byTerminal = input.gateway.terminal === true;
  add({ kind: 'pair', label: byTerminal ? 'Via' : 'Gateway', value: input.gateway.name });
  if (input.gateway.reference)
    add({ kind: 'pair', label: byTerminal ? 'Terminal ref' : 'Gateway ref', value: input.gateway.reference });

  const terminal = input.terminalLines ?? [];
  if (terminal.length > 0) {
    add({ kind: 'rule' }, { kind: 'center', text: 'TERMINAL TICKET' }, { kind: 'blank' });
    for (const text of terminal) add({ kind: 'verbatim', text });
  }

  add({ kind: 'rule' });
  if (input.copy === 'customer') {
    add({ kind: 'center', text: 'Please keep this receipt' });
    for (const text of input.shop.footerLines ?? []) add({ kind: 'center', text });
  } else {
    add({ kind: 'center', text: "Keep with the day's records" });
  }
  if (input.testMode) add({ kind: 'blank' }, { kind: 'banner', text: mark });

  const copy = input.copy === 'merchant' ? 'merchant copy' : 'customer copy';
  return {
    title: `${input.testMode ? 'TEST MODE – ' : ''}Receipt ${input.orderReference} (${copy})`,
    copy: input.copy,
    testMode: input.testMode,
    ...(input.locale ? { locale: input.locale } : {}),
    lines,
  };
}
