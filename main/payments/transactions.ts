/**
 * The Transactions screen's list: the gateway's payments, each with the order reference this till
 * gave it, and a search that also finds order references — which only the till knows (a gateway
 * searches its own fields, if it searches at all). A gateway that keeps no list of its own
 * (Plural) is listed from the journal: the payments this till made with it.
 */
import type { Page, ParsedCommandInput, TransactionPage, TransactionView } from '../../common/contract';
import { GatewayUnreachable } from '../gateway/errors';
import type { GatewayPayment, PaymentGateway } from '../gateway/port';
import type { Journal, PaymentChannel } from '../store/journal';
import { dayWindow } from '../reports/day';
import { journaledTransactionView, toTransactionView } from './views';

type ListInput = ParsedCommandInput<'transactions.list'>;

/** The From/To dates of the filter as the shop's days: ISO instants, start inclusive, end exclusive. */
interface CreatedRange {
  from?: string;
  before?: string;
}

function shopDays(input: ListInput, timeZone: string): CreatedRange {
  return {
    ...(input.dateFrom ? { from: dayWindow(input.dateFrom, timeZone).start } : {}),
    ...(input.dateTo ? { before: dayWindow(input.dateTo, timeZone).end } : {}),
  };
}

function inRange(createdAt: string, range: CreatedRange): boolean {
  const at = Date.parse(createdAt);
  if (range.from && at < Date.parse(range.from)) return false;
  if (range.before && at >= Date.parse(range.before)) return false;
  return true;
}

export interface ListDeps {
  gateway: PaymentGateway;
  journal: Journal;
  timeZone: string;
  /** Told when the gateway answered, or could not be reached (connectivity). */
  reached: (error: GatewayUnreachable | null) => void;
}

/**
 * The Transactions list. When the gateway cannot be reached, the till's own payments with it are
 * listed from the journal instead, marked offline: the cashier can still open one and refund it
 * (the refund is queued), as Capture works offline (found by a tester: F5 only said it could not
 * load, so no refund could be started while the gateway was down).
 */
export async function listTransactions(input: ListInput, deps: ListDeps): Promise<TransactionPage> {
  const range = shopDays(input, deps.timeZone);
  // Found by a tester: PlutoPay refused the "Link" method filter, which is not one of its methods.
  const linksFromTill = input.paymentMethodType === 'link' && !deps.gateway.capabilities.filtersLinks;
  if (input.source === 'terminal' || !deps.gateway.capabilities.listsPayments || linksFromTill)
    return { ...listJournaled(input, range, deps), offline: false };
  try {
    const page = await listFromGateway(input, range, deps);
    deps.reached(null);
    return { ...page, offline: false };
  } catch (error) {
    if (!(error instanceof GatewayUnreachable)) throw error;
    deps.reached(error);
    return { ...listJournaled(input, range, deps), offline: true };
  }
}

async function listFromGateway(
  input: ListInput,
  range: CreatedRange,
  deps: { gateway: PaymentGateway; journal: Journal },
): Promise<Page<TransactionView>> {
  const { gateway, journal } = deps;
  const page = await gateway.list({
    // A gateway that cannot search is asked for the plain list; the till's own matches follow.
    ...(input.search && gateway.capabilities.transactionSearch ? { search: input.search } : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(input.paymentMethodType ? { methodType: input.paymentMethodType } : {}),
    // Gateways filter by UTC day: ask for the UTC days the shop's days overlap, then keep the
    // shop's days exactly.
    ...(range.from ? { dateFrom: range.from.slice(0, 10) } : {}),
    ...(range.before ? { dateTo: new Date(Date.parse(range.before) - 1).toISOString().slice(0, 10) } : {}),
    sortField: input.sortField,
    sortOrder: input.sortOrder,
    page: input.page,
    size: input.size,
  });
  let rows: GatewayPayment[] = page.data.filter((p) => inRange(p.createdAt, range));
  let total = page.meta.total;
  if (input.search) {
    const onPage = new Set(rows.map((p) => p.id));
    if (!gateway.capabilities.transactionSearch) {
      // Nothing the gateway returned was searched: only the till's matches answer a search.
      rows = [];
      total = 0;
      onPage.clear();
    }
    if (input.page === 1) {
      // The till's own matches (order reference, payment id) the gateway's search cannot see.
      const local = journal
        .searchPayments(input.search, input.size)
        .filter(
          (p) =>
            p.transactionId !== null &&
            p.chargedBy === 'gateway' &&
            p.gateway === gateway.name &&
            !onPage.has(p.transactionId),
        );
      const fetched = await Promise.all(local.map((p) => gateway.retrieve(p.transactionId!)));
      const extra = fetched.filter((p) => matchesFilters(p, input, range));
      total += extra.length;
      rows = [...extra, ...rows];
    }
  }
  return {
    data: rows.map((p) => toTransactionView(p, orderReferenceOf(p, journal))),
    meta: {
      currentPage: page.meta.currentPage,
      lastPage: input.search && !gateway.capabilities.transactionSearch ? 1 : page.meta.lastPage,
      perPage: page.meta.perPage,
      total,
      ...(page.meta.more && !(input.search && !gateway.capabilities.transactionSearch) ? { more: true as const } : {}),
    },
  };
}

const CHANNEL_OF_METHOD: Record<NonNullable<ListInput['paymentMethodType']>, PaymentChannel | null> = {
  terminal: 'card_present',
  link: 'link',
  card: null,
  wallet: null,
  bank_transfer: null,
};

/**
 * The list for a gateway without one (or not answering), and of the payments terminals charged
 * through the shop's own bank: this till's journal, searched there too.
 */
function listJournaled(
  input: ListInput,
  range: CreatedRange,
  deps: { gateway: PaymentGateway; journal: Journal },
): Page<TransactionView> {
  const { gateway, journal } = deps;
  const terminal = input.source === 'terminal';
  const ours = (record: { gateway: string; chargedBy: string }) =>
    terminal ? record.chargedBy === 'terminal' : record.chargedBy === 'gateway' && record.gateway === gateway.name;
  if (input.search) {
    const rows = journal
      .searchPayments(input.search, input.size)
      .map((record) => ({ record, view: journaledTransactionView(record) }))
      .filter(
        (row): row is { record: typeof row.record; view: TransactionView } =>
          ours(row.record) && row.view !== null && matchesFilters(row.view, input, range),
      )
      .map((row) => row.view);
    return { data: rows, meta: { currentPage: 1, lastPage: 1, perPage: input.size, total: rows.length } };
  }
  // A journaled payment was paid on a reader ('terminal') or on a link page ('link'); other
  // method filters match none of them.
  const channel = input.paymentMethodType ? CHANNEL_OF_METHOD[input.paymentMethodType] : undefined;
  const { rows, total } =
    channel === null
      ? { rows: [], total: 0 }
      : journal.pageTransactions({
          gateway: terminal ? null : gateway.name,
          chargedBy: terminal ? 'terminal' : 'gateway',
          ...(input.status ? { status: input.status } : {}),
          ...(channel ? { channel } : {}),
          ...(range.from ? { createdFrom: range.from } : {}),
          ...(range.before ? { createdBefore: range.before } : {}),
          sortField: input.sortField,
          sortOrder: input.sortOrder,
          page: input.page,
          size: input.size,
        });
  return {
    data: rows.map(journaledTransactionView).filter((view): view is TransactionView => view !== null),
    meta: {
      currentPage: input.page,
      lastPage: Math.max(1, Math.ceil(total / input.size)),
      perPage: input.size,
      total,
    },
  };
}

/** The order reference this till gave a payment, or the one the merchant's server tagged it with. */
export function orderReferenceOf(payment: GatewayPayment, journal: Journal): string | null {
  const local = journal.findByTransactionId(payment.id);
  if (local && !local.orderReference.startsWith('ext-')) return local.orderReference;
  return payment.orderReference;
}

function matchesFilters(
  payment: Pick<GatewayPayment, 'status' | 'methodType' | 'createdAt'> | TransactionView,
  input: ListInput,
  range: CreatedRange,
): boolean {
  const methodType = 'methodType' in payment ? payment.methodType : payment.paymentMethodType;
  if (input.status && payment.status !== input.status) return false;
  if (input.paymentMethodType && methodType !== input.paymentMethodType) return false;
  return inRange(payment.createdAt, range);
}
