/**
 * X and Z reports for the receipt printer, with the receipts' layout (PrintLines): plain text at
 * 32/42/48 columns, ESC/POS bytes, or an HTML page for the print dialog.
 */
import { formatLocalDateTime } from '../../common/timezone';
import type { EscPosOptions } from '../receipts/escpos';
import { escposLines } from '../receipts/escpos';
import { htmlDocument } from '../receipts/html';
import type { MoneyText, PrintLine, ReceiptWidth } from '../receipts/layout';
import { layout, toPlainText } from '../receipts/layout';
import { TEST_MODE_MARK, TEST_MODE_SHOP_BANK_MARK } from '../receipts/types';
import { shownCardBrands, shownGroups } from './report';
import type {
  DayReport,
  GroupTotals,
  ReportCorrection,
  ReportPlanNotRead,
  ReportReconciliation,
  ReportTotals,
  SplitSettlementTotals,
  ZReport,
} from './types';

export interface ReportPrintOptions {
  /** Printed under the title. */
  readonly shopName?: string;
  readonly locale?: string;
  /**
   * The report counts money a real terminal on the shop's own bank moved (a payment it charged, or
   * a refund it credited): that terminal charges whatever the till's mode, so a test report must not
   * say that no money moved (it carries TEST_MODE_SHOP_BANK_MARK, as those payments' receipts do).
   */
  readonly shopBankTerminal?: boolean;
  /**
   * A Z's reconciliation kept with it, printed after its attention items: each gateway compared
   * (or why not) and each difference; null prints NOT RECONCILED. Absent: nothing is printed.
   */
  readonly reconciliation?: ReportReconciliation | null;
}

/**
 * Printed under the totals: Captured and Refunded count what moved in the period, earlier days'
 * sales included (a refund of yesterday's sale is today's), and Approved is tips included. Tips are
 * the tips captured and kept (TipsRule 'kept'); a Z closed before says its own rule.
 */
export const TOTALS_FOOTNOTE =
  "* Captured, Refunded and Tips include money moved in this period on earlier days' sales; Approved includes the tips asked, Tips only those captured and not refunded.";
const TOTALS_FOOTNOTE_BEFORE =
  "* Captured and Refunded include money moved in this period on earlier days' sales; Approved includes Tips.";

function isZ(report: DayReport): report is ZReport {
  return report.kind === 'Z';
}

function local(iso: string, timeZone: string): string {
  return formatLocalDateTime(Date.parse(iso), timeZone);
}

function totalsLines(t: ReportTotals, full: boolean): PrintLine[] {
  const money = (minor: number, negative = false): MoneyText => ({ minor, currency: t.currency, negative });
  const lines: PrintLine[] = [{ kind: 'pair', label: `Approved (${t.approvedCount})`, value: money(t.approvedAmount) }];
  if (full) {
    lines.push(
      { kind: 'pair', label: 'Declined', value: String(t.declinedCount) },
      { kind: 'pair', label: 'Canceled', value: String(t.canceledCount) },
    );
    if (t.openCount > 0) lines.push({ kind: 'pair', label: 'Not finished', value: String(t.openCount) });
  }
  lines.push({ kind: 'pair', label: 'Captured', value: money(t.captured) });
  if (full || t.pendingCapture > 0)
    lines.push({ kind: 'pair', label: 'Pending capture', value: money(t.pendingCapture) });
  lines.push(
    { kind: 'pair', label: 'Refunded', value: money(t.refunded, t.refunded > 0) },
    { kind: 'pair', label: 'Tips', value: money(t.tips) },
    { kind: 'pair', label: 'NET', value: money(t.net), style: full ? 'total' : 'bold' },
  );
  return lines;
}

/** Printed under the split settlement: what its figures say, which the labels alone do not. */
export const SPLIT_FOOTNOTE =
  'Shares as at the end of the period. Released: settled to the merchant. Returned: cancelled, or the rest of a ' +
  'partial release, given back to the customer.';

/** Split settlement: per currency the split payments, then each merchant's shares (docs/reports.md). */
function splitLines(settlement: readonly SplitSettlementTotals[]): PrintLine[] {
  if (settlement.length === 0) return [];
  const lines: PrintLine[] = [{ kind: 'rule' }, { kind: 'center', text: 'SPLIT SETTLEMENT', bold: true }];
  for (const t of settlement) {
    const money = (minor: number): MoneyText => ({ minor, currency: t.currency });
    lines.push({ kind: 'blank' }, { kind: 'pair', label: `Split payments (${t.payments})`, value: money(t.amount) });
    for (const m of t.merchants) {
      lines.push(
        { kind: 'blank' },
        { kind: 'text', text: `${m.merchantId} · ${m.shares} share${m.shares === 1 ? '' : 's'}` },
        { kind: 'pair', label: 'Share', value: money(m.amount), style: 'bold' },
        { kind: 'pair', label: 'Held', value: money(m.held) },
        { kind: 'pair', label: 'Released', value: money(m.released) },
        { kind: 'pair', label: 'Returned', value: money(m.returned) },
      );
    }
  }
  lines.push({ kind: 'blank' }, { kind: 'text', text: SPLIT_FOOTNOTE });
  return lines;
}

/** Printed under the corrections to earlier days: what they are, and where their money is. */
export const CORRECTIONS_FOOTNOTE =
  'Payments of closed days whose outcome was learned after their Z, which is never changed: + found charged, ' +
  "\u2212 found never made. Not in this period's Approved; any money they moved is in its Captured and Refunded.";

/** Corrections to earlier days (docs/reports.md#corrections-to-earlier-days): each payment, then per currency. */
function correctionLines(corrections: readonly ReportCorrection[], timeZone: string): PrintLine[] {
  if (corrections.length === 0) return [];
  const lines: PrintLine[] = [
    { kind: 'rule' },
    { kind: 'center', text: `CORRECTIONS TO EARLIER DAYS (${corrections.length})`, bold: true },
  ];
  const money = (minor: number, currency: string): MoneyText => ({
    minor: Math.abs(minor),
    currency,
    negative: minor < 0,
  });
  for (const c of corrections) {
    lines.push(
      { kind: 'blank' },
      { kind: 'pair', label: c.orderReference, value: money(c.amount, c.currency) },
      {
        kind: 'text',
        text: `${c.date} (Z ${c.zNumber}) · ${local(c.createdAt, timeZone)} · ${c.was} -> ${c.now} · ${c.amount > 0 ? 'found charged' : 'found never made'}`,
      },
    );
  }
  const sums = new Map<string, number>();
  for (const c of corrections) sums.set(c.currency, (sums.get(c.currency) ?? 0) + c.amount);
  lines.push({ kind: 'blank' });
  for (const [currency, sum] of [...sums].sort(([a], [b]) => (a < b ? -1 : 1)))
    lines.push({ kind: 'pair', label: `Corrections ${currency}`, value: money(sum, currency), style: 'bold' });
  lines.push({ kind: 'blank' }, { kind: 'text', text: CORRECTIONS_FOOTNOTE });
  return lines;
}

/** Printed under the plans not read: what their figures may miss, and where it will count. */
export const PLANS_NOT_READ_FOOTNOTE =
  "A part one of these installment plans' gateway charged in this period and not read yet is not in these " +
  'figures: it counts in the open day once the till reads the plan.';

/** The running installment plans not read before the report (a Z: before it closed the day). */
function plansNotReadLines(plans: readonly ReportPlanNotRead[], z: boolean): PrintLine[] {
  if (plans.length === 0) return [];
  const lines: PrintLine[] = [
    { kind: 'rule' },
    { kind: 'center', text: `NOT READ ${z ? 'BEFORE CLOSING' : 'YET'} (${plans.length})`, bold: true },
    { kind: 'text', text: 'Running installment plans the till could not read:' },
  ];
  for (const plan of plans)
    lines.push(
      { kind: 'blank' },
      { kind: 'pair', label: plan.orderReference, value: plan.gateway },
      { kind: 'text', text: plan.reason },
    );
  lines.push({ kind: 'blank' }, { kind: 'text', text: PLANS_NOT_READ_FOOTNOTE });
  return lines;
}

function groupLines(title: string, groups: readonly GroupTotals[], label: (key: string) => string): PrintLine[] {
  if (groups.length === 0) return [];
  const lines: PrintLine[] = [{ kind: 'rule' }, { kind: 'center', text: title, bold: true }];
  for (const group of groups) {
    lines.push({ kind: 'blank' }, { kind: 'text', text: `${label(group.key)} · ${group.currency}` });
    lines.push(...totalsLines(group, false));
  }
  return lines;
}

/** What an X or Z report says, as printable lines. */
export function reportLines(report: DayReport, options: ReportPrintOptions = {}): PrintLine[] {
  const tz = report.window.timeZone;
  const lines: PrintLine[] = [];
  const mark = options.shopBankTerminal ? TEST_MODE_SHOP_BANK_MARK : TEST_MODE_MARK;
  if (report.testMode) lines.push({ kind: 'banner', text: mark }, { kind: 'blank' });
  lines.push({
    kind: 'title',
    text: isZ(report) ? `Z REPORT No. ${String(report.number).padStart(4, '0')}` : 'X REPORT',
  });
  if (!isZ(report)) lines.push({ kind: 'center', text: 'Interim: the day is not closed' });
  if (options.shopName) lines.push({ kind: 'center', text: options.shopName });
  lines.push(
    { kind: 'rule' },
    { kind: 'pair', label: 'Day', value: report.window.date },
    { kind: 'pair', label: 'Time zone', value: tz },
    { kind: 'pair', label: 'From', value: local(report.window.start, tz) },
    { kind: 'pair', label: 'To', value: local(report.window.end, tz) },
  );
  // 23 or 25 on a DST change; a business day that began after the previous Z or was closed
  // before midnight shows its own length, to two decimals.
  if (report.window.hours !== 24)
    lines.push({ kind: 'pair', label: 'Day length', value: `${Math.round(report.window.hours * 100) / 100} h` });
  if (isZ(report)) {
    lines.push(
      { kind: 'pair', label: 'Closed', value: local(report.closedAt, tz) },
      { kind: 'pair', label: 'Closed by', value: report.closedBy },
    );
  } else {
    lines.push({ kind: 'pair', label: 'Printed', value: local(report.generatedAt, tz) });
  }
  lines.push({ kind: 'pair', label: 'Payments', value: String(report.paymentCount) }, { kind: 'rule', char: '=' });

  if (report.totals.length === 0) lines.push({ kind: 'center', text: 'No payments' });
  for (const [i, totals] of report.totals.entries()) {
    if (i > 0) lines.push({ kind: 'blank' });
    lines.push({ kind: 'center', text: `TOTALS ${totals.currency}`, bold: true }, ...totalsLines(totals, true));
  }
  // What the figures include, which the labels alone do not say (docs/reports.md, definitions).
  if (report.totals.length > 0)
    lines.push({ kind: 'blank' }, { kind: 'text', text: report.tipsKept ? TOTALS_FOOTNOTE : TOTALS_FOOTNOTE_BEFORE });
  // Right under the totals they correct; absent from a period without any (and an older report).
  lines.push(...correctionLines(report.corrections ?? [], tz));
  // What the figures may miss: absent when every running plan was read (and from an older report).
  lines.push(...plansNotReadLines(report.plansNotRead ?? [], isZ(report)));
  // Old Zs, closed before it was kept, have none: printed without it.
  lines.push(...groupLines('BY WHO MOVED THE MONEY', report.byMover ?? [], (key) => key));
  lines.push(...groupLines('BY READER', shownGroups(report.byReader), (key) => key));
  lines.push(...groupLines('BY CARD BRAND', shownCardBrands(report.byCardBrand), (key) => key));
  // A day without split payments, and a Z closed before it was kept, have none: printed without it.
  lines.push(...splitLines(report.splitSettlement ?? []));

  lines.push({ kind: 'rule' });
  if (report.attention.length === 0) {
    lines.push({ kind: 'center', text: 'No payment needs attention' });
  } else {
    lines.push({ kind: 'center', text: `NEEDS ATTENTION (${report.attention.length})`, bold: true });
    for (const item of report.attention) {
      lines.push(
        { kind: 'blank' },
        { kind: 'pair', label: item.orderReference, value: { minor: item.amount, currency: item.currency } },
        { kind: 'text', text: `${local(item.createdAt, tz)}${item.inWindow ? '' : ' (earlier day)'} · ${item.status}` },
      );
      if (item.reason) lines.push({ kind: 'text', text: item.reason });
    }
  }
  if (isZ(report) && options.reconciliation !== undefined) lines.push(...reconciliationLines(options.reconciliation));
  if (isZ(report)) {
    lines.push({ kind: 'rule' });
    if (report.override) {
      lines.push(
        { kind: 'center', text: 'CLOSED WITH AN OVERRIDE', bold: true },
        { kind: 'pair', label: 'Override by', value: report.override.by },
        { kind: 'text', text: `Reason: ${report.override.reason}` },
        { kind: 'rule' },
      );
    }
    lines.push(...digestLines('Digest', report.digest));
    if (report.previousDigest) lines.push(...digestLines('Follows', report.previousDigest));
  }
  if (report.testMode) lines.push({ kind: 'blank' }, { kind: 'banner', text: mark });
  return lines;
}

/**
 * A digest under its label, in groups of 8 characters: wrapped between groups, never inside one,
 * and nothing cut (a 64-character digest ran to the edge and was cut mid-string at 32 and 42
 * columns). Read out or compared with the screen a group at a time.
 */
function digestLines(label: string, digest: string): PrintLine[] {
  return [
    { kind: 'text', text: label },
    { kind: 'text', text: digest.match(/.{1,8}/g)?.join(' ') ?? '' },
  ];
}

function reconciliationLines(reconciliation: ReportReconciliation | null): PrintLine[] {
  const lines: PrintLine[] = [{ kind: 'rule' }];
  if (!reconciliation) {
    lines.push(
      { kind: 'center', text: 'NOT RECONCILED', bold: true },
      {
        kind: 'text',
        text: 'Not every gateway of the day could be compared yet: Reconcile now on the Reports screen.',
      },
    );
    return lines;
  }
  lines.push({ kind: 'center', text: 'RECONCILIATION', bold: true });
  for (const g of reconciliation.gateways) {
    const verdict = !g.compared
      ? 'not compared'
      : g.differences === 0
        ? `agreed (${g.matched})`
        : `${g.differences} difference${g.differences === 1 ? '' : 's'}`;
    lines.push({ kind: 'pair', label: g.label ?? 'Gateway', value: verdict });
    if (g.note) lines.push({ kind: 'text', text: g.note });
  }
  for (const d of reconciliation.differences) {
    lines.push({
      kind: 'text',
      text: `${d.gateway ? `${d.gateway} · ` : ''}${d.orderReference ? `${d.orderReference}: ` : ''}${d.message}`,
    });
  }
  return lines;
}

export function reportText(report: DayReport, width: ReceiptWidth, options: ReportPrintOptions = {}): string {
  return toPlainText(layout(reportLines(report, options), width, options.locale ? { locale: options.locale } : {}));
}

export function reportEscPos(report: DayReport, options: ReportPrintOptions & EscPosOptions = {}): Uint8Array {
  return escposLines(reportLines(report, options), options);
}

export function reportHtml(report: DayReport, options: ReportPrintOptions = {}): string {
  const title = isZ(report) ? `Z report ${report.number} — ${report.window.date}` : `X report — ${report.window.date}`;
  return htmlDocument(
    `${report.testMode ? 'TEST MODE – ' : ''}${title}`,
    reportLines(report, options),
    report.testMode,
    options.locale,
  );
}
