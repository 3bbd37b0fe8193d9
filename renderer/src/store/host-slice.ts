import type { StateCreator } from 'zustand';
import type {
  AttentionChange,
  AttentionView,
  DevLogEntry,
  GatewayName,
  HostEvent,
  PaymentView,
  ReaderView,
  Snapshot,
} from '../../../common/contract';
import type { EventOutcome, HostSlice, HostState, PosState } from './types';
import { initialTxQuery, stampedInShopZone } from './ui-slice';
import { draftCurrency, LAST_CHARGE_SHOWN_MS, lastChargePayment, openPayments, paymentsUnderWay } from './selectors';
import { money } from '../lib/format';
import { withLinkNotice } from './link-notice';

export const DEVLOG_LIMIT = 500;

/**
 * The most payments the mirror holds before it lets the settled ones changed longest ago go (down to
 * MIRROR_TRIM_TO, so a trim is rare). A window open for weeks once held every payment of that time
 * and copied them all on each event. Nothing a screen needs is let go: open payments, authorisations
 * to capture, payments in Needs attention, receipts to reprint and the payment on screen stay; a
 * settled one let go is read from the host again when a screen asks for it (Transactions, pages).
 */
export const MIRROR_LIMIT = 1_000;
const MIRROR_TRIM_TO = 800;

const SETTLED_STATUSES: ReadonlySet<PaymentView['status']> = new Set([
  'succeeded',
  'canceled',
  'failed',
  'refunded',
  'partially_refunded',
]);

/**
 * The mirror with `payment` in it, its oldest settled payments let go past MIRROR_LIMIT — never
 * `payment` itself: a screen has just read it (Transactions details, a page of Settlements) or the
 * host has just told of it, and as the oldest settled one it was the first let go, on arrival.
 */
function withPayment(state: PosState, payment: PaymentView): Record<string, PaymentView> {
  const payments = { ...state.host.payments, [payment.id]: payment };
  const count = Object.keys(payments).length;
  if (count <= MIRROR_LIMIT) return payments;
  const settled = Object.values(payments)
    .filter(
      (p) =>
        SETTLED_STATUSES.has(p.status) &&
        p.attention === null &&
        p.receipt.print?.state !== 'failed' &&
        p.id !== state.ui.selectedPaymentId &&
        p.id !== payment.id,
    )
    // Changed longest ago first: one changed just now (an old authorisation captured) stays, so an
    // answer read before that change (a page still on its way) finds it and is not taken as new.
    .sort(
      (a, b) =>
        a.updatedAt.localeCompare(b.updatedAt) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
    );
  for (const old of settled.slice(0, count - MIRROR_TRIM_TO)) delete payments[old.id];
  return payments;
}

export const initialHost: HostState = {
  ready: false,
  seq: 0,
  snapshots: 0,
  mode: 'test',
  gateway: null,
  merchant: null,
  settings: null,
  readers: [],
  payments: {},
  connectivity: { gateway: 'unknown', lastError: null, queued: { count: 0, totals: [] }, recovering: null },
  attention: [],
  display: null,
  devlog: [],
};

function isNewer(candidate: PaymentView, current: PaymentView | undefined): boolean {
  if (!current) return true;
  const a = Date.parse(candidate.updatedAt);
  const b = Date.parse(current.updatedAt);
  if (Number.isNaN(a) || Number.isNaN(b)) return true;
  return a >= b;
}

/** The first report of the payment a Charge is creating (before the command's own answer). */
/** Statuses in which the customer's card was approved. */
export const APPROVED: ReadonlySet<string> = new Set([
  'succeeded',
  'requires_capture',
  'partially_refunded',
  'refunded',
]);

/**
 * The error shown under a payment, once the payment turns out approved: a Cancel the gateway refused
 * because the customer paid just then is moot (found by a tester: "The gateway refused: This payment
 * is already paid" stayed in red under "Approved").
 */
function errorIsMoot(state: PosState, payment: PaymentView): boolean {
  return state.ui.paymentError?.paymentId === payment.id && APPROVED.has(payment.status);
}

function isPendingCharge(state: PosState, payment: PaymentView): boolean {
  const pending = state.ui.pendingCharge;
  return (
    pending !== null &&
    state.ui.selectedPaymentId === null &&
    payment.orderReference === pending.orderReference &&
    !pending.earlier.includes(payment.id)
  );
}

function byId(payments: PaymentView[]): Record<string, PaymentView> {
  const map: Record<string, PaymentView> = {};
  for (const payment of payments) map[payment.id] = payment;
  return map;
}

export function mergeDevlogEntries(current: DevLogEntry[], incoming: DevLogEntry[]): DevLogEntry[] {
  // The usual case, one newer entry per gateway call: append instead of re-sorting 500 entries
  // (three times per card payment, while the cashier waits for the card).
  const last = current[current.length - 1];
  if (incoming.length === 1 && (!last || incoming[0]!.id > last.id)) {
    const appended = [...current, incoming[0]!];
    return appended.length > DEVLOG_LIMIT ? appended.slice(appended.length - DEVLOG_LIMIT) : appended;
  }
  const map = new Map<number, DevLogEntry>();
  for (const entry of current) map.set(entry.id, entry);
  for (const entry of incoming) map.set(entry.id, entry);
  const merged = [...map.values()].sort((a, b) => a.id - b.id);
  return merged.length > DEVLOG_LIMIT ? merged.slice(merged.length - DEVLOG_LIMIT) : merged;
}

/** Needs attention's order, as the host lists it: the newest payment first, then by id (descending). */
function attentionOrder(a: AttentionView, b: AttentionView): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.paymentId < b.paymentId ? 1 : -1;
}

/**
 * Needs attention after a change: the host sends only the items that appeared or changed and the
 * payments that left (the list holds every payment in doubt, however many). Each changed item
 * takes its place in the host's order.
 */
export function applyAttentionChange(list: AttentionView[], change: AttentionChange): AttentionView[] {
  const gone = new Set([...change.removed, ...change.changed.map((item) => item.paymentId)]);
  const out = list.filter((item) => !gone.has(item.paymentId));
  for (const item of change.changed) {
    let low = 0;
    let high = out.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (attentionOrder(out[mid]!, item) < 0) low = mid + 1;
      else high = mid;
    }
    out.splice(low, 0, item);
  }
  return out;
}

/** The event's change to the mirror, without touching seq. */
function reduceEvent(state: PosState, event: HostEvent): HostState {
  const host = state.host;
  switch (event.type) {
    case 'payment':
      return { ...host, payments: withPayment(state, event.payment) };
    case 'readers':
      return { ...host, readers: event.readers };
    case 'connectivity':
      return { ...host, connectivity: event.connectivity };
    case 'attention':
      return { ...host, attention: applyAttentionChange(host.attention, event) };
    case 'settings':
      return { ...host, settings: event.settings, mode: event.mode, merchant: event.merchant, gateway: event.gateway };
    case 'log':
      return { ...host, devlog: mergeDevlogEntries(host.devlog, [event.entry]) };
    case 'display':
      return event.display.version >= (host.display?.version ?? -1) ? { ...host, display: event.display } : host;
    case 'plan':
      // Plans are not mirrored: only the one on screen is kept (ui.selectedPlan, in applyEvent).
      return host;
    default:
      // An event type this renderer does not know yet: keep the sequence moving.
      return host;
  }
}

/**
 * Another gateway's transactions start from the first page with no filter: its page count and
 * methods differ (found by a tester: "page 2 of 1", a Terminal filter carried over to Plural). The
 * query left is kept for the gateway left, and a gateway switched back to gets its own back (its
 * filters, search and sort; from the first page, as payments may have come meanwhile): a switch there
 * and back lost them. A Charge's error was the other gateway's answer (found by a tester: PayPlug's
 * stayed on Create payment after the till switched to Plural).
 */
function forOtherGateway(
  ui: PosState['ui'],
  left: GatewayName | undefined,
  now: GatewayName | undefined,
): PosState['ui'] {
  const kept = now ? ui.txQueryOf[now] : undefined;
  return {
    ...ui,
    txQuery: kept ? { ...kept, page: 1 } : initialTxQuery,
    txQueryOf: left ? { ...ui.txQueryOf, [left]: ui.txQuery } : ui.txQueryOf,
    txSelectedId: null,
    txReturnTo: null,
    createError: null,
  };
}

/**
 * The host's new state `host` for the draft in `ui`: when it changes the draft's currency (another
 * gateway takes another one, the shop's default is known), the money typed is cleared and the
 * cashier told — never carried into the new currency (found by a tester: €12.50 typed on PayPlug
 * became ₹12.50 once the till switched to Plural).
 */
function draftInItsCurrency(before: PosState, ui: PosState['ui'], host: HostState): PosState['ui'] {
  const was = draftCurrency(before);
  const now = draftCurrency({ ui, host });
  const { draft } = ui;
  const typed = draft.amount > 0 || draft.tipCustom > 0 || draft.splits.some((split) => split.amount > 0);
  if (was === now || !typed) return ui;
  const by = host.gateway && host.gateway.name !== before.host.gateway?.name ? ` with ${host.gateway.label}` : '';
  const what =
    draft.amount > 0 ? `The amount typed (${money(draft.amount, was)}) was cleared` : `The amounts typed were cleared`;
  return {
    ...ui,
    draft: { ...draft, amount: 0, tipCustom: 0, splits: draft.splits.map((split) => ({ ...split, amount: 0 })) },
    draftNotice: `${what}: payments are now taken in ${now}${by}. Type ${draft.amount > 0 ? 'it' : 'them'} again in ${now}.`,
  };
}

/**
 * The page opened (a reload, say) while one payment is under way — a link the customer may be
 * scanning, a card on a reader: the app opens on it, not on an empty Create form where Enter would
 * charge the sale a second time (found by using the app: reloaded mid-link, the QR was gone). The
 * cashier's last Charge comes first, also when it ended a few minutes ago at most, or is not reported
 * yet (the page started again before the host journaled it: Process payment takes it when it is):
 * found by pressing Esc right after Enter and reloading, the sale canceled before anything was sent
 * was nowhere to be seen ("No payment is selected").
 */
function resumed(ui: PosState['ui'], snapshot: Snapshot): PosState['ui'] {
  if (ui.screen !== 'create' || ui.selectedPaymentId || ui.pendingCharge) return ui;
  const payments = byId(snapshot.payments);
  const now = Date.now();
  const last = lastChargePayment(payments, ui.lastCharge, now);
  if (last) return { ...ui, screen: 'process', selectedPaymentId: last.id };
  const { lastCharge } = ui;
  const unreported =
    lastCharge !== null &&
    now - Date.parse(lastCharge.at) <= LAST_CHARGE_SHOWN_MS &&
    !snapshot.payments.some((p) => p.orderReference === lastCharge.orderReference);
  if (unreported) return { ...ui, screen: 'process' };
  // Ended long ago (or there was none): the page opens as if the cashier had left it.
  const underWay = paymentsUnderWay(openPayments(payments), snapshot.gateway?.name ?? null, snapshot.mode === 'test');
  return underWay.length === 1
    ? { ...ui, screen: 'process', selectedPaymentId: underWay[0]!.id, lastCharge: null }
    : { ...ui, lastCharge: null };
}

export const createHostSlice: StateCreator<PosState, [], [], HostSlice> = (set, get) => ({
  host: initialHost,
  link: { connection: 'connecting', failedConnects: 0, stale: false, syncing: false, syncError: null },

  applySnapshot(snapshot: Snapshot) {
    set((state) => {
      const host: HostState = {
        ready: true,
        seq: snapshot.seq,
        snapshots: state.host.snapshots + 1,
        mode: snapshot.mode,
        gateway: snapshot.gateway,
        merchant: snapshot.merchant,
        settings: snapshot.settings,
        readers: snapshot.readers,
        payments: byId(snapshot.payments),
        connectivity: snapshot.connectivity,
        attention: snapshot.attention,
        display: snapshot.display ?? null,
        devlog: state.host.devlog,
      };
      if (!state.host.ready)
        return {
          host,
          ui: stampedInShopZone(resumed(state.ui, snapshot), snapshot.settings?.counter.timeZone ?? null),
        };
      const ui =
        snapshot.gateway?.name !== state.host.gateway?.name
          ? forOtherGateway(state.ui, state.host.gateway?.name, snapshot.gateway?.name)
          : state.ui;
      return {
        host,
        ui: stampedInShopZone(draftInItsCurrency(state, ui, host), snapshot.settings?.counter.timeZone ?? null),
      };
    });
  },

  applyEvent(event: HostEvent): EventOutcome {
    const { host } = get();
    if (event.seq <= host.seq) return 'stale';
    if (event.seq !== host.seq + 1) return 'gap';
    set((state) => {
      const host = { ...reduceEvent(state, event), seq: event.seq };
      if (event.type === 'payment') {
        // A link paid (or lapsed) while the cashier is on another screen: told in a banner, once.
        const ui = withLinkNotice(state, state.ui, event.payment);
        if (isPendingCharge(state, event.payment))
          return { host, ui: { ...ui, selectedPaymentId: event.payment.id, notice: null } };
        if (errorIsMoot(state, event.payment)) return { host, ui: { ...ui, paymentError: null } };
        return ui === state.ui ? { host } : { host, ui };
      }
      // The plan on screen follows the host: its first installment paid, the plan completed or aborted.
      if (event.type === 'plan' && state.ui.selectedPlan?.id === event.plan.id)
        return { host, ui: { ...state.ui, selectedPlan: event.plan } };
      if (event.type === 'settings') {
        const ui =
          event.gateway?.name !== state.host.gateway?.name
            ? forOtherGateway(state.ui, state.host.gateway?.name, event.gateway?.name)
            : state.ui;
        return { host, ui: stampedInShopZone(draftInItsCurrency(state, ui, host), event.settings.counter.timeZone) };
      }
      return { host };
    });
    return 'applied';
  },

  applyPayment(payment: PaymentView) {
    set((state) => {
      if (!isNewer(payment, state.host.payments[payment.id])) return state;
      const host = { ...state.host, payments: withPayment(state, payment) };
      return isPendingCharge(state, payment)
        ? { host, ui: { ...state.ui, selectedPaymentId: payment.id, notice: null } }
        : errorIsMoot(state, payment)
          ? { host, ui: { ...state.ui, paymentError: null } }
          : { host };
    });
  },

  setReaders(readers: ReaderView[]) {
    set((state) => ({ host: { ...state.host, readers } }));
  },

  upsertReader(reader: ReaderView) {
    set((state) => {
      const exists = state.host.readers.some((r) => r.id === reader.id);
      const readers = exists
        ? state.host.readers.map((r) => (r.id === reader.id ? reader : r))
        : [...state.host.readers, reader];
      return { host: { ...state.host, readers } };
    });
  },

  removeReader(readerId: string) {
    set((state) => ({ host: { ...state.host, readers: state.host.readers.filter((r) => r.id !== readerId) } }));
  },

  applySettings(settings) {
    set((state) => ({
      host: { ...state.host, settings, mode: settings.mode },
      ui: stampedInShopZone(state.ui, settings.counter.timeZone),
    }));
  },

  setAttention(attention) {
    set((state) => ({ host: { ...state.host, attention } }));
  },

  mergeDevlog(entries) {
    set((state) => ({ host: { ...state.host, devlog: mergeDevlogEntries(state.host.devlog, entries) } }));
  },

  setLink(patch) {
    set((state) => ({ link: { ...state.link, ...patch } }));
  },
});
