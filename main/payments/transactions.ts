/**
 * The Transactions screen's list: the gateway's payments, each with the order reference this till
 * gave it, and a search that also finds order references — which only the till knows (a gateway
 * searches its own fields, if it searches at all). A gateway that keeps no list of its own
 * (Plural) is listed from the journal: the payments this till made with it.
 */
import type {
  GatewayName,
  Mode,
  Page,
  ParsedCommandInput,
  TransactionPage,
  TransactionView,
} from '../../common/contract';
import { GATEWAY_NAMES } from '../../common/contract/views';
import type { GatewayState } from '../gateway/connectivity';
import { GatewayError, GatewayUnreachable, GatewayUnreadable } from '../gateway/errors';
import type { GatewayPayment, PaymentGateway } from '../gateway/port';
import type { JournaledMethod, Journal, PaymentRecord, TransactionAccount, TransactionQuery } from '../store/journal';
import { dayWindow } from '../reports/day';
import { notSentReason } from './recovery';
import { journaledTransactionView, journalOnlyTransactionView, toTransactionView } from './views';

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
  /** The account the gateway reads now (PaymentEngine.reading): the ids it lists are that account's. */
  reading: TransactionAccount;
  timeZone: string;
  /**
   * The gateway's connectivity state. A list the gateway is not asked for (Plural keeps none) is
   * still the till's own stand-in while the gateway is offline, and says so as a failed list does.
   */
  connectivity: () => GatewayState;
  /** Told when the gateway answered (null), refused (the till's keys, on 401/403), or could not be reached. */
  reached: (outcome: GatewayUnreachable | GatewayError | null) => void;
  /** The till's mode now: a search's matches with another gateway are counted in it only. */
  mode?: () => Mode;
  /**
   * Whether a payment of another gateway can be read, read only, with that gateway's own stored keys
   * (PaymentEngine.readableElsewhere): a search's match with it can then be opened.
   */
  readableElsewhere?: (record: PaymentRecord) => boolean;
}

/**
 * The Transactions list. When the gateway cannot be reached, or answers with a list the till cannot
 * read, the till's own payments with it are listed from the journal instead, marked offline (or
 * unreadable, with what was wrong): the cashier can still open one and refund it
 * (the refund is queued), as Capture works offline (found by a tester: F5 only said it could not
 * load, so no refund could be started while the gateway was down).
 */
export async function listTransactions(input: ListInput, deps: ListDeps): Promise<TransactionPage> {
  const page = await listActive(input, deps);
  const elsewhere = matchesElsewhere(input, deps);
  return elsewhere.length > 0 ? { ...page, elsewhere } : page;
}

/**
 * A search's matches among the till's payments with the gateways it used before a switch, in this
 * mode: the list above is the active gateway's only, and said "No transactions match" for the
 * morning's sale taken with PayPlug (found in a defect hunt). Counted, not listed; those the till can
 * read with that gateway's own stored keys are named (the newest few), for their details, read only:
 * they are refunded only once switched back to their gateway.
 */
function matchesElsewhere(input: ListInput, deps: ListDeps): NonNullable<TransactionPage['elsewhere']> {
  if (!input.search || input.source === 'terminal' || !deps.mode) return [];
  const range = shopDays(input, deps.timeZone);
  const mode = deps.mode();
  return GATEWAY_NAMES.filter((name) => name !== deps.gateway.name)
    .map((gateway) => {
      const query = journalQuery({ ...input, page: 1, size: ELSEWHERE_COUNTED }, range, gateway);
      const rows = pageJournal(deps.journal, query).rows.filter((r) => r.mode === mode);
      const readable = rows
        .filter((r) => deps.readableElsewhere?.(r) === true)
        .slice(0, ELSEWHERE_NAMED)
        .map((r) => ({ paymentId: r.id, orderReference: r.orderReference }));
      return { gateway, count: rows.length, readable };
    })
    .filter((match) => match.count > 0);
}

/** How many matches with another gateway are counted at most (the screen says "100 or more"). */
const ELSEWHERE_COUNTED = 100;
/** How many of those the screen offers to open, newest first. */
const ELSEWHERE_NAMED = 5;

async function listActive(input: ListInput, deps: ListDeps): Promise<TransactionPage> {
  const range = shopDays(input, deps.timeZone);
  // Found by a tester: PlutoPay refused the "Link" method filter, which is not one of its methods.
  const linksFromTill = input.paymentMethodType === 'link' && !deps.gateway.capabilities.filtersLinks;
  // Terminals on the shop's own bank need no gateway: their list is never offline.
  if (input.source === 'terminal') return { ...listJournaled(input, range, deps), offline: false };
  if (!deps.gateway.capabilities.listsPayments || linksFromTill)
    return { ...listJournaled(input, range, deps), offline: deps.connectivity() === 'offline' };
  try {
    const page = await listFromGateway(input, range, deps);
    deps.reached(null);
    return { ...page, offline: false };
  } catch (error) {
    if (error instanceof GatewayError) deps.reached(error);
    if (!(error instanceof GatewayUnreachable)) throw error;
    deps.reached(error);
    // Answered, but not readably: the gateway is there (said offline, the screen told the cashier
    // it was not answering while the banner said it was online); the till's own payments stand in.
    if (error instanceof GatewayUnreadable)
      return { ...listJournaled(input, range, deps), offline: false, unreadable: error.message };
    return { ...listJournaled(input, range, deps), offline: true };
  }
}

async function listFromGateway(
  input: ListInput,
  range: CreatedRange,
  deps: { gateway: PaymentGateway; journal: Journal; reading: TransactionAccount },
): Promise<Page<TransactionView>> {
  const { gateway, journal, reading } = deps;
  const page = await gateway.list({
    // A gateway that cannot search is asked for the plain list; the till's own matches follow.
    ...(input.search && gateway.capabilities.transactionSearch ? { search: input.search } : {}),
    ...gatewayListQuery(input, range),
  });
  let rows: GatewayPayment[] = page.data.filter((p) => inRange(p.createdAt, range));
  let total = page.meta.total;
  let lastPage = page.meta.lastPage;
  let more = page.meta.more === true;
  if (input.search) {
    const onPage = new Set(rows.map((p) => p.id));
    if (!gateway.capabilities.transactionSearch) {
      // Nothing the gateway returned was searched: only the till's matches answer a search.
      rows = [];
      total = 0;
      lastPage = 1;
      more = false;
      onPage.clear();
    }
    // The till's own matches (order reference, payment id) the gateway's search cannot see, paged
    // as the list is: a day's order references ("pos-20261130") can fill several pages. Only those of
    // the account read now: another account's are not read with its key (a 404 failed the list, or
    // another payment of the same id stood in for the till's). The payments that ended before the
    // gateway had them are the till's alone: shown from the journal.
    const query = journalQuery(
      input,
      range,
      gateway.name,
      { tillIdsOnly: gateway.capabilities.transactionSearch },
      'include',
    );
    const local = pageJournal(journal, query && { ...query, account: reading });
    const mine = local.rows.filter((p) => p.transactionId !== null && !onPage.has(p.transactionId));
    const fetched = await Promise.all(mine.map((p) => gateway.retrieve(p.transactionId!)));
    const extra = fetched.filter((p) => matchesFilters(p, input, range));
    const unsent = local.rows.filter((p) => p.transactionId === null).map((p) => unsentView(p, journal));
    total += local.total - (local.rows.length - extra.length - unsent.length);
    lastPage = Math.max(lastPage, Math.ceil(local.total / input.size));
    more ||= local.more;
    rows = [...extra, ...rows];
    return {
      data: [
        ...unsent,
        ...rows.map((p) =>
          toTransactionView(p, orderReferenceOf(p, journal, reading), installmentOf(p, journal, reading)),
        ),
      ],
      meta: { currentPage: input.page, lastPage, perPage: page.meta.perPage, total, ...(more ? { more: true } : {}) },
    };
  }
  // The payments that ended before the gateway had them (canceled, not made, refused, not sent) are
  // not in its list: each is placed on the page where the list's order puts it, so the day's story is complete.
  const views = rows.map((p) =>
    toTransactionView(p, orderReferenceOf(p, journal, reading), installmentOf(p, journal, reading)),
  );
  const unsent = await unsentOnPage(input, range, page, deps);
  return {
    data: unsent.onPage.length ? mergeInOrder(views, unsent.onPage, input) : views,
    meta: {
      currentPage: page.meta.currentPage,
      lastPage: unsent.all > 0 ? Math.max(lastPage, 1) : lastPage,
      perPage: page.meta.perPage,
      total: total + unsent.all,
      ...(more ? { more: true as const } : {}),
    },
  };
}

type Sortable = Pick<TransactionView, 'createdAt' | 'amount' | 'status'>;

/** Negative when `a` comes before `b` in the list's order, as the gateway sorts it. */
function inListOrder(a: Sortable, b: Sortable, input: ListInput): number {
  const key = (row: Sortable) =>
    input.sortField === 'amount' ? row.amount : input.sortField === 'status' ? row.status : Date.parse(row.createdAt);
  const [x, y] = [key(a), key(b)];
  const ascending = x < y ? -1 : x > y ? 1 : 0;
  return input.sortOrder === 'asc' ? ascending : -ascending;
}

function mergeInOrder(rows: TransactionView[], unsent: TransactionView[], input: ListInput): TransactionView[] {
  const merged = [...rows];
  for (const row of unsent) {
    const at = merged.findIndex((other) => inListOrder(row, other, input) < 0);
    merged.splice(at === -1 ? merged.length : at, 0, row);
  }
  return merged;
}

/**
 * The payments that ended before the gateway had them that fall on this page of the gateway's list
 * (`all`: how many match the filters, on any page). Page p holds those after the last row of page
 * p - 1 and up to its own last row (the first page from the start, the last page to the end), so
 * each falls on exactly one page, however many there are: the journal is asked for those bounds.
 * Page p - 1 is read only when one may fall before this page.
 */
async function unsentOnPage(
  input: ListInput,
  range: CreatedRange,
  page: Page<GatewayPayment>,
  deps: { gateway: PaymentGateway; journal: Journal; reading: TransactionAccount },
): Promise<{ onPage: TransactionView[]; all: number }> {
  // Those of the account read now, as the gateway's list is.
  const query = (sortBounds?: TransactionQuery['sortBounds']) => {
    const base = journalQuery({ ...input, page: 1, size: UNSENT_AT_MOST }, range, deps.gateway.name, {}, 'only');
    const mine = base && { ...base, account: deps.reading };
    return mine && sortBounds ? { ...mine, sortBounds } : mine;
  };
  const all = pageJournal(deps.journal, query()).total;
  if (all === 0) return { onPage: [], all: 0 };
  const last = page.data.at(-1);
  const lastPageOfList = page.meta.more !== true && page.meta.currentPage >= page.meta.lastPage;
  // An empty page past the end holds none; an empty first page holds them all.
  if (!last && input.page > 1) return { onPage: [], all };
  const upTo = last && !lastPageOfList ? sortKey(last, input) : undefined;
  let rows = pageJournal(deps.journal, query({ upTo })).rows;
  if (input.page > 1 && rows.length > 0) {
    const before = await deps.gateway.list({ ...gatewayListQuery(input, range), page: input.page - 1 });
    const previous = before.data.at(-1);
    if (previous) rows = pageJournal(deps.journal, query({ upTo, after: sortKey(previous, input) })).rows;
  }
  return { onPage: rows.map((record) => unsentView(record, deps.journal)), all };
}

/** A gateway row's value of the list's sort field, as the journal keeps it (created_at: an ISO instant). */
function sortKey(row: Sortable, input: ListInput): string | number {
  if (input.sortField === 'amount') return row.amount;
  if (input.sortField === 'status') return row.status;
  return new Date(Date.parse(row.createdAt)).toISOString();
}

/** At most this many payments that ended unsent are placed on one page of a gateway's list (a day has a few). */
const UNSENT_AT_MOST = 500;

function gatewayListQuery(input: ListInput, range: CreatedRange): Parameters<PaymentGateway['list']>[0] {
  return {
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
  };
}

/**
 * The journal's query for the list's filters; null when no journaled payment can match. A
 * journaled payment shows as paid on a reader ('terminal'), on a link page ('link'), or, a plan's
 * later part, on the card the gateway kept ('card'), and a method filter matches what it shows;
 * other method filters match none of them.
 */
function journalQuery(
  input: ListInput,
  range: CreatedRange,
  gateway: GatewayName | null,
  search: { tillIdsOnly?: boolean } = {},
  unsent?: TransactionQuery['unsent'],
): TransactionQuery | null {
  const method = input.paymentMethodType ? JOURNALED_METHOD_OF[input.paymentMethodType] : undefined;
  if (method === null) return null;
  return {
    gateway,
    chargedBy: gateway === null ? 'terminal' : 'gateway',
    ...(input.search ? { search: { prefix: input.search, ...search } } : {}),
    ...(unsent ? { unsent } : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(method ? { method } : {}),
    ...(range.from ? { createdFrom: range.from } : {}),
    ...(range.before ? { createdBefore: range.before } : {}),
    sortField: input.sortField,
    sortOrder: input.sortOrder,
    page: input.page,
    size: input.size,
  };
}

function pageJournal(
  journal: Journal,
  query: TransactionQuery | null,
): { rows: PaymentRecord[]; total: number; more: boolean } {
  return query ? journal.pageTransactions(query) : { rows: [], total: 0, more: false };
}

/** The method filters a journaled row can match: the methods journaledTransactionView shows. */
const JOURNALED_METHOD_OF: Record<NonNullable<ListInput['paymentMethodType']>, JournaledMethod | null> = {
  terminal: 'terminal',
  link: 'link',
  card: 'card',
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
  const { rows, total, more } = pageJournal(
    journal,
    journalQuery(input, range, terminal ? null : gateway.name, {}, 'include'),
  );
  return {
    data: rows
      .map((record) =>
        record.transactionId === null
          ? unsentView(record, journal)
          : journaledTransactionView(record, journal.installmentPartOf(record)),
      )
      .filter((view): view is TransactionView => view !== null),
    meta: {
      currentPage: input.page,
      lastPage: Math.max(1, Math.ceil(total / input.size)),
      perPage: input.size,
      total,
      ...(more ? { more: true as const } : {}),
    },
  };
}

/**
 * A payment that ended with no transaction at the gateway (the journal's UNSENT), as its row: the
 * till's own id, and why (notSentReason).
 */
export function unsentView(record: PaymentRecord, journal: Journal): TransactionView {
  const create = journal.getOperationByKey(record.idempotencyKey);
  return journalOnlyTransactionView(record, notSentReason(record, create) ?? 'not_sent');
}

/**
 * The order reference this till gave a payment, or the one the merchant's server tagged it with.
 * `on`: the account the payment was read from (another account's payment of that id is not it).
 */
export function orderReferenceOf(payment: GatewayPayment, journal: Journal, on: TransactionAccount): string | null {
  const local = journal.findByTransactionId(payment.id, on);
  if (local && !local.orderReference.startsWith('ext-')) return local.orderReference;
  return payment.orderReference;
}

/** Which part of one of the till's installment plans a gateway's payment is, or null. */
export function installmentOf(
  payment: GatewayPayment,
  journal: Journal,
  on: TransactionAccount,
): { part: number; of: number } | null {
  if (!payment.installmentPlanId) return null;
  const local = journal.findByTransactionId(payment.id, on);
  return local ? journal.installmentPartOf(local) : null;
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
