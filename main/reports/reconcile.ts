/**
 * Three-way reconciliation of a day: the till's journal, the gateway's transaction list and,
 * when the terminal printed them, its batch totals. Rows are paired by the gateway's transaction
 * id, else by order reference; every row left over and every pair that disagrees is a
 * difference with its cause.
 */
import type { PaymentStatus } from '../../common/contract';
import { isKnownCurrency } from '../../common/currencies';
import { formatAmount } from '../../common/money';
import { APPROVED_STATUSES } from './report';

/** An amount as the cashier reads it ("$12.50"); a currency the app does not know keeps its minor units. */
function amountIn(minor: number, currency: string): string {
  return isKnownCurrency(currency) ? formatAmount(minor, currency) : `${minor} ${currency.toUpperCase()}`;
}

export interface JournalRow {
  readonly id: string;
  /** The gateway's transaction id as the journal recorded it; null when the gateway never confirmed one. */
  readonly gatewayId: string | null;
  readonly orderReference: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: PaymentStatus;
  /** What was captured of it (a partial capture takes less than the amount). */
  readonly captured?: number;
  readonly refunded?: number;
  /** For comparing with a terminal's totals of one reader. */
  readonly readerLabel?: string | null;
}

export interface GatewayRow {
  readonly id: string;
  /** The merchant's order reference as the gateway holds it (metadata), when it does. */
  readonly orderReference: string | null;
  readonly amount: number;
  readonly currency: string;
  /** A transaction status: pending, requires_capture, succeeded, failed, canceled, refunded, partially_refunded. */
  readonly status: string;
  /** What the gateway captured of it, when it says. */
  readonly captured?: number;
  readonly refunded?: number;
}

/** What a terminal's end-of-day ticket says it approved, per currency (and reader, when known). */
export interface TerminalTotals {
  readonly currency: string;
  readonly count: number;
  readonly amount: number;
  /** Compare with this reader's journal rows only; absent: all rows given (the host gives its terminals' only). */
  readonly readerLabel?: string | null;
}

export type DifferenceCause =
  /** The gateway has a transaction the journal does not know. */
  | 'gateway_only'
  /** The journal has a payment the gateway does not list. */
  | 'journal_only'
  /** Paired rows disagree on amount, currency, captured or refunded amount. */
  | 'amounts_differ'
  /** Paired rows disagree on status. */
  | 'status_differs'
  /** The terminal's totals differ from the journal's approved payments. */
  | 'terminal_differs';

export interface Difference {
  readonly cause: DifferenceCause;
  readonly currency: string;
  readonly journalId: string | null;
  readonly gatewayId: string | null;
  readonly orderReference: string | null;
  /** One line for people: what differs, with both values. */
  readonly message: string;
}

export interface ReconciledTotals {
  readonly currency: string;
  /** Approved rows (succeeded, requires_capture, refunded, partially_refunded): count and amount. */
  readonly journal: { readonly count: number; readonly amount: number };
  readonly gateway: { readonly count: number; readonly amount: number };
  /** The terminal totals given for this currency (summed over readers), or null. */
  readonly terminal: { readonly count: number; readonly amount: number } | null;
  /**
   * What the journal says of the same terminals (each total's rows: its reader's, or all rows
   * given), summed as `terminal` is: the figure it was compared with. Null with `terminal`.
   */
  readonly terminalJournal: { readonly count: number; readonly amount: number } | null;
}

export interface ReconcileInput {
  readonly journal: readonly JournalRow[];
  readonly gateway: readonly GatewayRow[];
  readonly terminal?: readonly TerminalTotals[];
  /**
   * False when `gateway` is not the gateway's whole list for the period (it was not read to its
   * end): a journal row with no gateway row may be in the part not read, so it is counted as
   * unchecked, never called `journal_only`, and the result is not ok. Default true.
   */
  readonly gatewayComplete?: boolean;
}

export interface ReconcileResult {
  /** True when nothing differs. */
  readonly ok: boolean;
  readonly matchedByGatewayId: number;
  readonly matchedByOrderReference: number;
  readonly differences: readonly Difference[];
  readonly totals: readonly ReconciledTotals[];
  /**
   * Journal rows the gateway's list, read only in part (`gatewayComplete: false`), did not pair:
   * not compared, so neither a match nor a difference. 0 when the list was whole.
   */
  readonly uncheckedJournal: number;
}

const APPROVED = APPROVED_STATUSES as ReadonlySet<string>;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const differences: Difference[] = [];
  const gatewayById = new Map<string, GatewayRow>();
  for (const row of input.gateway) gatewayById.set(row.id, row);
  const pairedGateway = new Set<string>();
  const pairs: Array<[JournalRow, GatewayRow]> = [];
  const unpaired: JournalRow[] = [];
  let byId = 0;
  let byReference = 0;
  let unchecked = 0;
  const complete = input.gatewayComplete !== false;

  for (const row of input.journal) {
    const match = row.gatewayId ? gatewayById.get(row.gatewayId) : undefined;
    if (match && !pairedGateway.has(match.id)) {
      pairedGateway.add(match.id);
      pairs.push([row, match]);
      byId++;
    } else {
      unpaired.push(row);
    }
  }

  // Order references next: a retried order has several attempts, so prefer the gateway row with
  // the same currency and amount, then the first left.
  for (const row of unpaired) {
    const candidates = input.gateway.filter(
      (g) =>
        !pairedGateway.has(g.id) &&
        g.orderReference !== null &&
        g.orderReference === row.orderReference &&
        // A journal row that names another gateway id is not this one's.
        (row.gatewayId === null || !gatewayById.has(row.gatewayId)),
    );
    const match =
      candidates.find((g) => g.currency.toUpperCase() === row.currency.toUpperCase() && g.amount === row.amount) ??
      candidates[0];
    if (match) {
      pairedGateway.add(match.id);
      pairs.push([row, match]);
      byReference++;
    } else if (!complete) {
      // The gateway may list it in the part not read: not a difference, and not a match either.
      unchecked++;
    } else {
      differences.push({
        cause: 'journal_only',
        currency: row.currency.toUpperCase(),
        journalId: row.id,
        gatewayId: row.gatewayId,
        orderReference: row.orderReference,
        message: `payment ${row.id} (${row.status}, ${amountIn(row.amount, row.currency)}) is not in the gateway's list`,
      });
    }
  }

  for (const [journal, gateway] of pairs) {
    const ids = { journalId: journal.id, gatewayId: gateway.id, orderReference: journal.orderReference };
    const jc = journal.currency.toUpperCase();
    const gc = gateway.currency.toUpperCase();
    if (jc !== gc || journal.amount !== gateway.amount) {
      differences.push({
        cause: 'amounts_differ',
        currency: jc,
        ...ids,
        message: `amount: journal ${amountIn(journal.amount, jc)}, gateway ${amountIn(gateway.amount, gc)}`,
      });
    } else {
      // What was captured and what was refunded, each when both sides give it: a part captured at
      // the gateway the till never heard of leaves the day's Captured short.
      for (const field of ['captured', 'refunded'] as const) {
        const ours = journal[field];
        const theirs = gateway[field];
        if (ours === undefined || theirs === undefined || ours === theirs) continue;
        differences.push({
          cause: 'amounts_differ',
          currency: jc,
          ...ids,
          message: `${field}: journal ${amountIn(ours, jc)}, gateway ${amountIn(theirs, gc)}`,
        });
      }
    }
    if (journal.status !== gateway.status) {
      differences.push({
        cause: 'status_differs',
        currency: jc,
        ...ids,
        message: `status: journal ${journal.status}, gateway ${gateway.status}`,
      });
    }
  }

  for (const row of input.gateway) {
    if (pairedGateway.has(row.id)) continue;
    differences.push({
      cause: 'gateway_only',
      currency: row.currency.toUpperCase(),
      journalId: null,
      gatewayId: row.id,
      orderReference: row.orderReference,
      message: `gateway transaction ${row.id} (${row.status}, ${amountIn(row.amount, row.currency)}) is not in the journal`,
    });
  }

  // Totals per currency, and the terminal's word on them.
  const currencies = new Set<string>();
  for (const row of [...input.journal, ...input.gateway, ...(input.terminal ?? [])]) {
    currencies.add(row.currency.toUpperCase());
  }
  const approved = (rows: ReadonlyArray<{ status: string; amount: number; currency: string }>, currency: string) => {
    let count = 0;
    let amount = 0;
    for (const row of rows) {
      if (row.currency.toUpperCase() !== currency || !APPROVED.has(row.status)) continue;
      count++;
      amount += row.amount;
    }
    return { count, amount };
  };
  const totals: ReconciledTotals[] = [];
  for (const currency of [...currencies].sort(compare)) {
    const terminalRows = (input.terminal ?? []).filter((t) => t.currency.toUpperCase() === currency);
    let terminal: { count: number; amount: number } | null = null;
    let terminalJournal: { count: number; amount: number } | null = null;
    for (const t of terminalRows) {
      terminal ??= { count: 0, amount: 0 };
      terminal.count += t.count;
      terminal.amount += t.amount;
      const scope = t.readerLabel ? input.journal.filter((row) => row.readerLabel === t.readerLabel) : input.journal;
      const expected = approved(scope, currency);
      terminalJournal ??= { count: 0, amount: 0 };
      terminalJournal.count += expected.count;
      terminalJournal.amount += expected.amount;
      if (expected.count !== t.count || expected.amount !== t.amount) {
        differences.push({
          cause: 'terminal_differs',
          currency,
          journalId: null,
          gatewayId: null,
          orderReference: null,
          message:
            `${t.readerLabel ? `terminal ${t.readerLabel}` : 'all terminals'}: ${t.count} approved for ${amountIn(t.amount, currency)}, ` +
            `journal ${expected.count} for ${amountIn(expected.amount, currency)}`,
        });
      }
    }
    totals.push({
      currency,
      journal: approved(input.journal, currency),
      gateway: approved(input.gateway, currency),
      terminal,
      terminalJournal,
    });
  }

  return {
    ok: differences.length === 0 && complete,
    matchedByGatewayId: byId,
    matchedByOrderReference: byReference,
    differences,
    totals,
    uncheckedJournal: unchecked,
  };
}
