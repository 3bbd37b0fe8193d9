/**
 * The day's payments as CSV (RFC 4180): a header, one row per payment in the window (oldest
 * first), one row per capture and per refund made in the window of a payment from an earlier
 * period, then one totals row per currency and one per who moved the money (each gateway, the
 * shop's bank terminals) and currency (then split, correction, plan_not_read and reconciliation rows). A payment's row shows what was captured and refunded of
 * it within the period, so the rows' captured, refunded and net columns add up to the totals. CRLF line ends (the last line too); a field with a
 * comma, a double quote, CR or LF is quoted, quotes doubled. Amounts are plain decimals in major
 * units with the currency's decimals ("12.50", JPY "1250", KWD "1.250"): machine-readable, not
 * localised. Text fields that a spreadsheet would run as a formula (starting with = + - @, tab
 * or CR) get a leading apostrophe, so an order reference like "=HYPERLINK(…)" stays text.
 */
import { currencyExponent } from '../../common/money';
import { formatLocalDateTime } from '../../common/timezone';
import {
  capturesAfterPeriod,
  entriesOfPeriod,
  entryTips,
  groupTotals,
  paymentsOfPeriod,
  pendingAtEnd,
  sumsByPayment,
  totalsByCurrency,
} from './report';
import type {
  DayWindow,
  ReportCapture,
  ReportCorrection,
  ReportPayment,
  ReportPlanNotRead,
  ReportReconciliation,
  ReportRefund,
  ReportTotals,
  SplitSettlementTotals,
  TipsRule,
} from './types';

export const CSV_COLUMNS = [
  'row_type',
  'local_time',
  'payment_id',
  'order_reference',
  'status',
  'currency',
  'amount',
  'tip',
  'captured',
  'pending_capture',
  'refunded',
  'net',
  'card_brand',
  'reader',
  'gateway',
  'gateway_id',
  'attention',
] as const;

/** One field, quoted when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Rows to CSV text: fields joined with commas, every line ended with CRLF. */
export function csvRows(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/** Neutralises spreadsheet formulas in a text field. */
export function csvText(value: string | null | undefined): string {
  const text = value ?? '';
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Minor units as a plain decimal in major units: 1250 EUR → "12.50", -5 EUR → "-0.05". */
export function decimalAmount(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  if (exponent === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

export function paymentsCsv(
  payments: readonly ReportPayment[],
  refunds: readonly ReportRefund[],
  /**
   * Those made in the period, and those of its payments made after its end (pending capture at
   * the end, as in the report: DayReport.capturesAfter).
   */
  captures: readonly ReportCapture[],
  window: DayWindow,
  /**
   * A Z's reconciliation kept with it: one `reconciliation` row per gateway (its verdict in
   * `status`), then one `difference` row per difference (its cause in `status`). Absent: none.
   */
  reconciliation?: ReportReconciliation,
  /**
   * The report's split settlement: per currency one `split` row for the split payments, then one per
   * merchant (its id in `gateway`), the figures in `status`. Absent: none.
   */
  splitSettlement?: readonly SplitSettlementTotals[],
  /**
   * The report's corrections to earlier days: one `correction` row each, what it corrects in
   * `status` (the money columns stay blank: they add up to this period's totals). Absent: none.
   */
  corrections?: readonly ReportCorrection[],
  /**
   * The running installment plans not read before the report (a Z: before it closed the day): one
   * `plan_not_read` row each (its order reference, why in `status`, its gateway). Absent: none.
   */
  plansNotRead?: readonly ReportPlanNotRead[],
  /** How the report counts Tips: 'asked' for a Z closed before tips were counted as kept. */
  tips: TipsRule = 'kept',
): string {
  const day = paymentsOfPeriod(payments, window).sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const periodRefunds = entriesOfPeriod(refunds, window);
  const periodCaptures = entriesOfPeriod(captures, window);
  const refundedInPeriod = sumsByPayment(periodRefunds);
  const capturedInPeriod = sumsByPayment(periodCaptures);
  const laterCaptures = capturesAfterPeriod(captures, day, window);
  const capturedAfter = sumsByPayment(laterCaptures);
  // A payment's tip column is the tip it brought in within the period, as the totals count it.
  const tipsInPeriod = entryTips(periodCaptures, periodRefunds);
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const p of day) {
    const money = (minor: number): string => decimalAmount(minor, p.currency);
    const refunded = refundedInPeriod.get(p.id) ?? 0;
    const captured = capturedInPeriod.get(p.id) ?? 0;
    rows.push([
      'payment',
      formatLocalDateTime(Date.parse(p.createdAt), window.timeZone, true),
      csvText(p.id),
      csvText(p.orderReference),
      p.status,
      p.currency.toUpperCase(),
      money(p.amount),
      money(tips === 'kept' ? (tipsInPeriod.get(p.id) ?? 0) : p.tip),
      money(captured),
      money(pendingAtEnd(p, capturedAfter)),
      money(refunded),
      money(captured - refunded),
      csvText(p.cardBrand),
      csvText(p.readerLabel),
      csvText(p.gateway),
      csvText(p.gatewayId),
      p.attention ? 'yes' : 'no',
    ]);
  }
  const inDay = new Set(day.map((p) => p.id));
  // Money moved today on an earlier day's payment, oldest first: its own row.
  const earlier = [
    ...periodCaptures.map((entry) => ({ kind: 'capture' as const, entry })),
    ...periodRefunds.map((entry) => ({ kind: 'refund' as const, entry })),
  ]
    .filter(({ entry }) => !inDay.has(entry.paymentId))
    .sort((a, b) => Date.parse(a.entry.at) - Date.parse(b.entry.at));
  for (const { kind, entry: r } of earlier) {
    const money = (minor: number): string => decimalAmount(minor, r.currency);
    rows.push([
      kind,
      formatLocalDateTime(Date.parse(r.at), window.timeZone, true),
      csvText(r.paymentId),
      csvText(r.orderReference),
      '',
      r.currency.toUpperCase(),
      '',
      tips === 'kept' && r.tip ? money(kind === 'capture' ? r.tip : -r.tip) : '',
      kind === 'capture' ? money(r.amount) : '',
      '',
      kind === 'refund' ? money(r.amount) : '',
      money(kind === 'capture' ? r.amount : -r.amount),
      csvText(r.cardBrand),
      csvText(r.readerLabel),
      // Who moved the money (its payment's gateway, or the shop's bank terminals).
      csvText(r.movedBy),
      '',
      '',
    ]);
  }
  const totalsRow = (rowType: string, t: ReportTotals, movedBy = ''): string[] => {
    const money = (minor: number): string => decimalAmount(minor, t.currency);
    return [
      rowType,
      window.date,
      '',
      '',
      `${t.approvedCount} approved of ${t.payments}`,
      t.currency,
      money(t.approvedAmount),
      money(t.tips),
      money(t.captured),
      money(t.pendingCapture),
      money(t.refunded),
      money(t.net),
      '',
      '',
      csvText(movedBy),
      '',
      '',
    ];
  };
  for (const t of totalsByCurrency(day, periodRefunds, periodCaptures, laterCaptures, tips))
    rows.push(totalsRow('total', t));
  // The totals again, by who moved the money (each gateway, the shop's bank terminals): what to
  // check against each payout and the bank. Not for the rows of a Z closed before it was kept.
  const moved = [...day, ...periodRefunds, ...periodCaptures, ...laterCaptures];
  if (moved.every((item) => item.movedBy !== undefined)) {
    const groups = groupTotals(day, periodRefunds, periodCaptures, laterCaptures, (item) => item.movedBy, tips);
    for (const g of groups) rows.push(totalsRow('moved_by', g, g.key));
  }
  const blank = (n: number) => Array<string>(n).fill('');
  // Split settlement: what of the split payments is each merchant's, as at the period's end. The
  // figures are in `status`, so the money columns still add up to the totals.
  for (const t of splitSettlement ?? []) {
    const money = (minor: number): string => decimalAmount(minor, t.currency);
    const split = (status: string, merchant: string) =>
      rows.push(['split', window.date, '', '', csvText(status), t.currency, ...blank(8), csvText(merchant), '', '']);
    split(`${t.payments} split payment${t.payments === 1 ? '' : 's'}: ${money(t.amount)}`, '');
    for (const m of t.merchants) {
      split(
        `share ${money(m.amount)}; held ${money(m.held)}; released ${money(m.released)}; returned ${money(m.returned)}`,
        m.merchantId,
      );
    }
  }
  for (const c of corrections ?? []) {
    const figure = `${c.amount > 0 ? '+' : '-'}${decimalAmount(Math.abs(c.amount), c.currency)}`;
    rows.push([
      'correction',
      formatLocalDateTime(Date.parse(c.at), window.timeZone, true),
      csvText(c.paymentId),
      csvText(c.orderReference),
      csvText(
        `${c.amount > 0 ? 'found charged' : 'found never made'} ${figure}: Z ${c.zNumber} (${c.date}) counted it ${c.was}; now ${c.now}`,
      ),
      c.currency.toUpperCase(),
      ...blank(11),
    ]);
  }
  for (const plan of plansNotRead ?? []) {
    rows.push([
      'plan_not_read',
      window.date,
      '',
      csvText(plan.orderReference),
      csvText(`not read: ${plan.reason}`),
      '',
      ...blank(8),
      csvText(plan.gateway),
      '',
      '',
    ]);
  }
  for (const g of reconciliation?.gateways ?? []) {
    const verdict = !g.compared
      ? `not compared: ${g.note ?? ''}`
      : `${g.differences === 0 ? 'agreed' : `${g.differences} difference${g.differences === 1 ? '' : 's'}`}, ${g.matched} matched` +
        (g.otherAccounts ? `; ${g.otherAccounts} made on another account, not compared` : '');
    // row_type … status, then blanks up to `gateway`.
    rows.push(['reconciliation', window.date, '', '', csvText(verdict), '', ...blank(8), csvText(g.label), '', '']);
  }
  for (const d of reconciliation?.differences ?? []) {
    rows.push([
      'difference',
      window.date,
      csvText(d.journalId),
      csvText(d.orderReference),
      csvText(`${d.cause}: ${d.message}`),
      d.currency.toUpperCase(),
      ...blank(8),
      csvText(d.gateway),
      csvText(d.gatewayId),
      '',
    ]);
  }
  return csvRows(rows);
}
