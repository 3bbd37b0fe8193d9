/**
 * The Transactions screen's list: the gateway's payments, each with the order reference this till
 * gave it, and a search that also finds order references — which only the till knows (a gateway
 * searches its own fields, if it searches at all).
 */
import type { Page, ParsedCommandInput, TransactionView } from '../../common/contract';
import type { GatewayPayment, PaymentGateway } from '../gateway/port';
import type { Journal } from '../store/journal';
import { toTransactionView } from './views';

type ListInput = ParsedCommandInput<'transactions.list'>;

export async function listTransactions(
  input: ListInput,
  deps: { gateway: PaymentGateway; journal: Journal },
): Promise<Page<TransactionView>> {
  const { gateway, journal } = deps;
  const page = await gateway.list({
    // A gateway that cannot search is asked for the plain list; the till's own matches follow.
    ...(input.search && gateway.capabilities.transactionSearch ? { search: input.search } : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(input.paymentMethodType ? { methodType: input.paymentMethodType } : {}),
    ...(input.dateFrom ? { dateFrom: input.dateFrom } : {}),
    ...(input.dateTo ? { dateTo: input.dateTo } : {}),
    sortField: input.sortField,
    sortOrder: input.sortOrder,
    page: input.page,
    size: input.size,
  });
  let rows: GatewayPayment[] = page.data;
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
        .filter((p) => p.transactionId !== null && p.gateway === gateway.name && !onPage.has(p.transactionId));
      const fetched = await Promise.all(local.map((p) => gateway.retrieve(p.transactionId!)));
      const extra = fetched.filter((p) => matchesFilters(p, input));
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
    },
  };
}

/** The order reference this till gave a payment, or the one the merchant's server tagged it with. */
export function orderReferenceOf(payment: GatewayPayment, journal: Journal): string | null {
  const local = journal.findByTransactionId(payment.id);
  if (local && !local.orderReference.startsWith('ext-')) return local.orderReference;
  return payment.orderReference;
}

function matchesFilters(payment: GatewayPayment, input: ListInput): boolean {
  if (input.status && payment.status !== input.status) return false;
  if (input.paymentMethodType && payment.methodType !== input.paymentMethodType) return false;
  const day = payment.createdAt.slice(0, 10);
  if (input.dateFrom && day < input.dateFrom) return false;
  if (input.dateTo && day > input.dateTo) return false;
  return true;
}
