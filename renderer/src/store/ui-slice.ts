import type { StateCreator } from 'zustand';
import { followRows, withoutIssues } from '../lib/errors';
import { newOrderReference } from '../lib/order-ref';
import { customerTyped, isInFlight, needsCustomer, shopTimeZone } from './selectors';
import type { Draft, LastCharge, PosState, TxQuery, UiSlice, UiState } from './types';

export interface Preferences {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem?(key: string): void;
}

/**
 * Where the host and validateDraft say something about each field of the draft: a field's issues
 * go when the cashier edits it (updateDraft).
 */
const DRAFT_ISSUE_PATHS: Partial<Record<keyof Draft, string[]>> = {
  amount: ['amount'],
  currency: ['currency'],
  description: ['description'],
  orderReference: ['orderReference'],
  captureMethod: ['captureMethod'],
  channel: ['channel'],
  customerId: ['customerId'],
  receiptEmail: ['receiptEmail'],
  customerEmail: ['customer.email'],
  customerFirstName: ['customer.firstName'],
  customerLastName: ['customer.lastName'],
  savedCardId: ['savedCardId'],
  installments: ['count'],
  tipMode: ['tip'],
  tipPercent: ['tip'],
  tipCustom: ['tip'],
};

/** A split row's fields, each with its own issues (`splits.N.field`). */
const SPLIT_FIELDS = ['merchantId', 'settlementReference', 'amount', 'onHold'] as const;

export const LAST_CURRENCY_KEY = 'pos.lastCurrency';
export const LAST_READER_KEY = 'pos.lastReader';
/** The cashier's last Charge (UiState.lastCharge), in the tab's session storage. */
export const LAST_CHARGE_KEY = 'pos.lastCharge';

/** What the cashier typed on Create payment (UiState.draft), in the tab's session storage. */
export const DRAFT_KEY = 'pos.draft';

/** A blank form; its order reference is stamped in the shop's time zone when it is known. */
export function emptyDraft(timeZone: string | null = null): Draft {
  return {
    amount: 0,
    currency: null,
    description: '',
    orderReference: '',
    captureMethod: 'automatic',
    channel: 'card_present',
    customerId: '',
    receiptEmail: '',
    autoReference: newOrderReference(new Date(), timeZone),
    autoReferenceZone: timeZone,
    autoReferenceSent: false,
    customerEmail: '',
    customerFirstName: '',
    customerLastName: '',
    saveCard: false,
    savedCardId: null,
    installments: 1,
    splits: [],
    tipMode: 'auto',
    tipPercent: 15,
    tipCustom: 0,
  };
}

/**
 * The form once the shop's time zone is known (the first snapshot, or Settings changing it): a
 * reference stamped before, or in another zone, is made again in the shop's — unless a charge was
 * sent with it. The cashier's own order reference is never touched. Same object when nothing changes.
 */
export function stampedInShopZone(ui: UiState, timeZone: string | null): UiState {
  const { draft } = ui;
  if (!timeZone || draft.autoReferenceZone === timeZone || draft.autoReferenceSent) return ui;
  return {
    ...ui,
    draft: { ...draft, autoReference: newOrderReference(new Date(), timeZone), autoReferenceZone: timeZone },
  };
}

/** The payment is the last Charge's (or none is chosen): choosing another leaves the last Charge. */
function ofLastCharge(state: PosState, paymentId: string | null): boolean {
  const { lastCharge } = state.ui;
  return !lastCharge || !paymentId || state.host.payments[paymentId]?.orderReference === lastCharge.orderReference;
}

/**
 * Process payment on the payment a link notice tells of (F2, as the notice says) — unless a card
 * payment is under way there, or a Charge is on its way, which stay in front (the notice then stays).
 */
function shownOnProcess(state: PosState): UiState {
  // Already there (looking at another payment): the focus goes to the top of the screen again.
  const focusSeq = state.ui.focusSeq + (state.ui.screen === 'process' ? 1 : 0);
  const ui = { ...state.ui, screen: 'process' as const, focusSeq };
  const notice = ui.linkNotice;
  const current = ui.selectedPaymentId ? state.host.payments[ui.selectedPaymentId] : undefined;
  if (!notice || ui.pendingCharge || isInFlight(current)) return ui;
  const lastCharge = ofLastCharge(state, notice.paymentId) ? ui.lastCharge : null;
  return { ...ui, selectedPaymentId: notice.paymentId, selectedPlan: null, notice: null, linkNotice: null, lastCharge };
}

export const initialTxQuery: TxQuery = {
  search: '',
  status: '',
  paymentMethodType: '',
  dateFrom: '',
  dateTo: '',
  sortField: 'created_at',
  sortOrder: 'desc',
  page: 1,
  size: 25,
  source: 'gateway',
};

function read(prefs: Preferences | null, key: string): string | null {
  try {
    return prefs?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function remember(prefs: Preferences | null, key: string, value: string): void {
  try {
    prefs?.setItem(key, value);
  } catch {
    // Preferences are a convenience; a blocked storage changes nothing else.
  }
}

/** The last Charge as the tab kept it across a reload (null when none, or unreadable). */
export function readLastCharge(session: Preferences | null): LastCharge | null {
  try {
    const kept = JSON.parse(read(session, LAST_CHARGE_KEY) ?? 'null') as Partial<LastCharge> | null;
    return typeof kept?.orderReference === 'string' && typeof kept.at === 'string'
      ? { orderReference: kept.orderReference, at: kept.at }
      : null;
  } catch {
    return null;
  }
}

/** Keeps the last Charge for a reload of this tab (or forgets it). */
export function keepLastCharge(session: Preferences | null, lastCharge: LastCharge | null): void {
  if (lastCharge) return remember(session, LAST_CHARGE_KEY, JSON.stringify(lastCharge));
  try {
    session?.removeItem?.(LAST_CHARGE_KEY);
  } catch {
    // As remember(): a blocked storage changes nothing else.
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isAmount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * The form as this tab kept it across a reload (null when none, or unreadable): every field checked,
 * else none at all. A saved card chosen is not brought back — it is found again, and seen, first.
 */
export function readDraft(session: Preferences | null): Draft | null {
  try {
    const kept = JSON.parse(read(session, DRAFT_KEY) ?? 'null') as Record<string, unknown> | null;
    if (kept === null || typeof kept !== 'object') return null;
    const blank = emptyDraft();
    const strings = [
      'description',
      'orderReference',
      'customerId',
      'receiptEmail',
      'autoReference',
      'customerEmail',
      'customerFirstName',
      'customerLastName',
    ] as const;
    if (!strings.every((key) => isString(kept[key]))) return null;
    if (!isAmount(kept.amount) || !isAmount(kept.tipCustom) || typeof kept.tipPercent !== 'number') return null;
    if (kept.currency !== null && !isString(kept.currency)) return null;
    if (kept.autoReferenceZone !== null && !isString(kept.autoReferenceZone)) return null;
    if (typeof kept.autoReferenceSent !== 'boolean' || typeof kept.saveCard !== 'boolean') return null;
    if (kept.captureMethod !== 'automatic' && kept.captureMethod !== 'manual') return null;
    if (kept.channel !== 'card_present' && kept.channel !== 'link') return null;
    if (!Number.isSafeInteger(kept.installments) || (kept.installments as number) < 1) return null;
    if (!['auto', 'ask', 'none', 'percent', 'custom'].includes(kept.tipMode as string)) return null;
    const splits = kept.splits;
    if (
      !Array.isArray(splits) ||
      !splits.every(
        (row: Record<string, unknown> | null) =>
          row !== null &&
          typeof row === 'object' &&
          Number.isSafeInteger(row.key) &&
          isString(row.merchantId) &&
          isString(row.settlementReference) &&
          isAmount(row.amount) &&
          typeof row.onHold === 'boolean',
      )
    )
      return null;
    return { ...blank, ...(kept as unknown as Draft), savedCardId: null };
  } catch {
    return null;
  }
}

/**
 * Keeps the form for a reload of this tab (found in Chromium: Ctrl+R mid-sale emptied it), with the
 * currency it is typed in, so the first snapshot does not take it for another currency.
 */
export function keepDraft(session: Preferences | null, draft: Draft, currency: string): void {
  remember(session, DRAFT_KEY, JSON.stringify({ ...draft, currency }));
}

export const createUiSlice =
  (prefs: Preferences | null, session: Preferences | null = null): StateCreator<PosState, [], [], UiSlice> =>
  (set) => ({
    ui: {
      screen: 'create',
      draft: readDraft(session) ?? emptyDraft(),
      createError: null,
      draftNotice: null,
      lastCurrency: read(prefs, LAST_CURRENCY_KEY),
      selectedPaymentId: null,
      pendingCharge: null,
      lastCharge: readLastCharge(session),
      pendingPlan: null,
      focusSeq: 0,
      readerId: read(prefs, LAST_READER_KEY),
      paymentError: null,
      notice: null,
      linkNotice: null,
      linksTold: [],
      txQuery: initialTxQuery,
      txQueryOf: {},
      txSelectedId: null,
      txReturnTo: null,
      selectedPlan: null,
      planFromTransactions: false,
      planReturnTo: null,
      txTab: 'list',
      printJob: null,
    },
    setScreen(screen) {
      // Another screen: the cashier has left their last Charge (a reload no longer brings it back).
      set((state) => ({ ui: { ...state.ui, screen, lastCharge: screen === 'process' ? state.ui.lastCharge : null } }));
    },
    updateDraft(patch) {
      set((state) => {
        // A field edited loses what was said about it (found by a UI hunt: an order reference
        // corrected kept its red mark while the amount field showed a refusal of its own, which
        // stops Charge from sending and so from clearing the error).
        const draft = { ...state.ui.draft, ...patch };
        const edited = (Object.keys(patch) as (keyof Draft)[])
          .filter((key) => patch[key] !== state.ui.draft[key])
          .flatMap((key) => DRAFT_ISSUE_PATHS[key] ?? []);
        // The Customer fields all cleared, for a payment that needs no customer: what was said of the
        // others ("… too, or clear the Customer fields") is done with (found in a cashier hunt).
        if (edited.some((path) => path.startsWith('customer.')) && !customerTyped(draft) && !needsCustomer(draft))
          edited.push('customer');
        return {
          ui: {
            ...state.ui,
            draft,
            createError: withoutIssues(state.ui.createError, edited),
            // Said until the cashier types the amount again (or picks a currency).
            draftNotice: 'amount' in patch || 'currency' in patch ? null : state.ui.draftNotice,
          },
        };
      });
    },
    setSplits(splits) {
      set((state) => {
        const before = state.ui.draft.splits;
        const draft = { ...state.ui.draft, splits };
        const error = state.ui.createError;
        const sameRows = before.length === splits.length && before.every((row, i) => row.key === splits[i]!.key);
        if (!error) return { ui: { ...state.ui, draft } };
        if (sameRows) {
          // A row's field edited loses what was said about it, as the form's own fields do.
          const edited = splits.flatMap((row, index) =>
            SPLIT_FIELDS.filter((field) => row[field] !== before[index]![field]).map(
              (field) => `splits.${index}.${field}`,
            ),
          );
          return { ui: { ...state.ui, draft, createError: withoutIssues(error, edited) } };
        }
        // A row added or removed: what was said about a row stays with that row, not its old index.
        const now = new Map(splits.map((row, index) => [row.key, index]));
        const moved = (index: number) => now.get(before[index]?.key ?? -1) ?? null;
        return { ui: { ...state.ui, draft, createError: followRows(error, 'splits', moved) } };
      });
    },
    resetDraft() {
      set((state) => ({
        ui: {
          ...state.ui,
          draft: { ...emptyDraft(shopTimeZone(state)), currency: state.ui.draft.currency },
          createError: null,
          draftNotice: null,
        },
      }));
    },
    selectPayment(paymentId) {
      set((state) => ({
        ui: {
          ...state.ui,
          selectedPaymentId: paymentId,
          lastCharge: ofLastCharge(state, paymentId) ? state.ui.lastCharge : null,
          selectedPlan: null,
          notice: null,
          linkNotice: state.ui.linkNotice?.paymentId === paymentId ? null : state.ui.linkNotice,
        },
      }));
    },
    openProcess() {
      set((state) => ({ ui: shownOnProcess(state) }));
    },
    dismissLinkNotice() {
      set((state) => (state.ui.linkNotice ? { ui: { ...state.ui, linkNotice: null } } : state));
    },
    setPendingCharge(pendingCharge) {
      set((state) => ({ ui: { ...state.ui, pendingCharge } }));
    },
    refocus() {
      set((state) => ({ ui: { ...state.ui, focusSeq: state.ui.focusSeq + 1 } }));
    },
    showPlan(plan, fromTransactions) {
      set((state) => ({
        ui: {
          ...state.ui,
          selectedPlan: plan,
          selectedPaymentId: plan ? null : state.ui.selectedPaymentId,
          // The same plan shown again (its news, an abort's answer) keeps where it was opened from.
          planFromTransactions:
            fromTransactions ??
            (plan !== null && state.ui.selectedPlan?.id === plan.id && state.ui.planFromTransactions),
        },
      }));
    },
    backFromPlan() {
      set((state) => ({
        ui: {
          ...state.ui,
          screen: 'transactions',
          txSelectedId: null,
          txTab: 'list',
          planFromTransactions: false,
          planReturnTo: state.ui.selectedPlan?.id ?? null,
        },
      }));
    },
    returnedToPlan() {
      set((state) => (state.ui.planReturnTo === null ? state : { ui: { ...state.ui, planReturnTo: null } }));
    },
    chooseReader(readerId) {
      if (readerId) remember(prefs, LAST_READER_KEY, readerId);
      set((state) => ({ ui: { ...state.ui, readerId } }));
    },
    setPaymentError(paymentError) {
      set((state) => ({ ui: { ...state.ui, paymentError } }));
    },
    setNotice(notice) {
      set((state) => ({ ui: { ...state.ui, notice } }));
    },
    setTxQuery(patch) {
      set((state) => ({ ui: { ...state.ui, txQuery: { ...state.ui.txQuery, ...patch } } }));
    },
    printHtml(title, html) {
      set((state) => ({ ui: { ...state.ui, printJob: { title, html, n: (state.ui.printJob?.n ?? 0) + 1 } } }));
    },
    openTransaction(transactionId) {
      set((state) => ({
        ui: {
          ...state.ui,
          txSelectedId: transactionId,
          txReturnTo: transactionId === null ? state.ui.txSelectedId : null,
        },
      }));
    },
    returnedToTransaction() {
      set((state) => (state.ui.txReturnTo === null ? state : { ui: { ...state.ui, txReturnTo: null } }));
    },
    setTxTab(txTab) {
      set((state) => ({ ui: { ...state.ui, txTab, txSelectedId: null } }));
    },
  });
