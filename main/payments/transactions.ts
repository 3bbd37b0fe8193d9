/**
 * The Transactions screen's list: the gateway's transactions, each with the order reference this
 * till gave it, and a search that also finds order references — which only the till knows (the
 * gateway searches its own reference, description and receipt email).
 */
import type { Page, ParsedCommandInput, TransactionView } from '../../common/contract';
import type { PlutoPayClient } from '../gateway/plutopay';
import type { Transaction } from '../gateway/schemas';
import type { Journal } from '../store/journal';
import { toTransactionView } from './views';

type ListInput = ParsedCommandInput<'transactions.list'>;

export async function listTransactions(
  input: ListInput,
  deps: { gateway: PlutoPayClient; journal: Journal },
): Promise<Page<TransactionView>> {
  const { gateway, journal } = deps;
  const page = await gateway.listTransactions({
    ...(input.search ? { search: input.search } : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(input.paymentMethodType ? { payment_method_type: input.paymentMethodType } : {}),
    ...(input.dateFrom ? { date_from: input.dateFrom } : {}),
    ...(input.dateTo ? { date_to: input.dateTo } : {}),
    sortField: input.sortField,
    sortOrder: input.sortOrder,
    page: input.page,
    size: input.size,
  });
  let rows: Transaction[] = page.data;
  let added = 0;
  if (input.search && input.page === 1) {
    // The till's own matches (order reference, payment id) the gateway's search cannot see.
    const onPage = new Set(rows.map((tx) => tx.id));
    const local = journal
      .searchPayments(input.search, input.size)
      .filter((p) => p.transactionId !== null && !onPage.has(p.transactionId));
    const fetched = await Promise.all(local.map((p) => gateway.getTransaction(p.transactionId!)));
    const extra = fetched.filter((tx) => matchesFilters(tx, input));
    added = extra.length;
    rows = [...extra, ...rows];
  }
  return {
    data: rows.map((tx) => toTransactionView(tx, orderReferenceOf(tx, journal))),
    meta: {
      currentPage: page.meta.current_page,
      lastPage: page.meta.last_page,
      perPage: page.meta.per_page,
      total: page.meta.total + added,
    },
  };
}

/** The order reference this till gave a transaction, or the one the merchant's server tagged it with. */
export function orderReferenceOf(tx: Transaction, journal: Journal): string | null {
  const local = journal.findByTransactionId(tx.id);
  if (local && !local.orderReference.startsWith('ext-')) return local.orderReference;
  const tagged = tx.metadata?.order_reference;
  return typeof tagged === 'string' ? tagged : null;
}

function matchesFilters(tx: Transaction, input: ListInput): boolean {
  if (input.status && tx.status !== input.status) return false;
  if (input.paymentMethodType && tx.payment_method_type !== input.paymentMethodType) return false;
  const day = tx.created_at.slice(0, 10);
  if (input.dateFrom && day < input.dateFrom) return false;
  if (input.dateTo && day > input.dateTo) return false;
  return true;
}
