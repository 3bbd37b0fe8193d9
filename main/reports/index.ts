/** End of day: day windows, X/Z reports, reconciliation, CSV export, printing. */
export { dayWindow, dayWindowAt, inWindow, windowBetween } from './day';
export {
  APPROVED_STATUSES,
  IN_FLIGHT_STATUSES,
  INSTALLMENT,
  NO_KEY,
  OPEN_STATUSES,
  PAY_BY_LINK,
  NO_CARD_BRAND,
  SAVED_CARD,
  canonicalJson,
  installmentLabel,
  capturesOf,
  keptTip,
  closeDay,
  refundsOf,
  shownCardBrands,
  shownGroups,
  splitSettlement,
  totalsByCurrency,
  verifyZReport,
  xReport,
} from './report';
export type { CloseDayInput, CloseDayRefusal, CloseDayResult, DayReportInput } from './report';
export { reconcile } from './reconcile';
export type {
  Difference,
  DifferenceCause,
  GatewayRow,
  JournalRow,
  ReconcileInput,
  ReconcileResult,
  ReconciledTotals,
  TerminalTotals,
} from './reconcile';
export { CSV_COLUMNS, csvField, csvRows, csvText, decimalAmount, paymentsCsv } from './csv';
export { reportEscPos, reportHtml, reportLines, reportText } from './print';
export type { ReportPrintOptions } from './print';
export type {
  AttentionItem,
  AttentionOverride,
  DayReport,
  DayWindow,
  GroupTotals,
  ReportCapture,
  ReportCorrection,
  ReportEntry,
  ReportPayment,
  ReportPlanNotRead,
  ReportReconciliation,
  ReportRefund,
  ReportSplitShare,
  ReportTotals,
  SplitMerchantTotals,
  SplitSettlementTotals,
  TipsRule,
  ZReport,
} from './types';
