import type {
  AttentionView,
  CommandError,
  CommandInput,
  CommandName,
  CommandResult,
  ConnectivityView,
  CustomerDisplayView,
  GatewayName,
  GatewayView,
  InstallmentPlanView,
  DevLogEntry,
  HostEvent,
  MerchantView,
  Mode,
  PaymentView,
  ReaderView,
  Result,
  SettingsView,
  Snapshot,
} from '../../../common/contract';
import type { TipChoice } from '../../../common/tips';

export type Screen =
  'create' | 'process' | 'simulate' | 'capture' | 'transactions' | 'readers' | 'settings' | 'attention' | 'reports';

/** 'refused': the host does not accept this page's launch token; only the printed URL helps. */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'refused';

/** What the host told us, and nothing else: only snapshots, events and command results write here. */
export interface HostState {
  /** False until the first snapshot arrived. */
  ready: boolean;
  /** Sequence number of the last event applied (or of the snapshot). */
  seq: number;
  /**
   * How many snapshots were applied (the first, then one per reconnect or gap). A snapshot replaces
   * the payments: a screen listing pages of them read by command reads its pages again after one.
   */
  snapshots: number;
  mode: Mode;
  /** The gateway the till uses and what it can do; null until the host said. */
  gateway: GatewayView | null;
  merchant: MerchantView | null;
  settings: SettingsView | null;
  readers: ReaderView[];
  payments: Record<string, PaymentView>;
  connectivity: ConnectivityView;
  attention: AttentionView[];
  /** What the customer display shows now (null until the host said). */
  display: CustomerDisplayView | null;
  /** Developer log, oldest first, capped. */
  devlog: DevLogEntry[];
}

export interface LinkState {
  connection: ConnectionState;
  /** Consecutive closes without a successful connection (web mode). */
  failedConnects: number;
  /**
   * The host's state on screen may be out of date: the connection dropped since the last snapshot
   * (set on a close, cleared when a snapshot lands). What only the host knows (is the customer
   * display connected?) is then unknown, not what it last said.
   */
  stale: boolean;
  syncing: boolean;
  syncError: string | null;
}

export type EventOutcome = 'applied' | 'stale' | 'gap';

export interface HostSlice {
  host: HostState;
  link: LinkState;
  applySnapshot(snapshot: Snapshot): void;
  /** Applies the next event in sequence; a stale one is dropped; a gap is reported, not applied. */
  applyEvent(event: HostEvent): EventOutcome;
  /** A PaymentView from a command result; ignored when the store already has a newer one. */
  applyPayment(payment: PaymentView): void;
  setReaders(readers: ReaderView[]): void;
  upsertReader(reader: ReaderView): void;
  removeReader(readerId: string): void;
  applySettings(settings: SettingsView): void;
  setAttention(attention: AttentionView[]): void;
  mergeDevlog(entries: DevLogEntry[]): void;
  setLink(patch: Partial<LinkState>): void;
}

export interface Draft {
  /** Minor units; 0 = nothing typed yet. */
  amount: number;
  /** null = not chosen: the last used or the merchant's default currency applies. */
  currency: string | null;
  description: string;
  orderReference: string;
  captureMethod: 'automatic' | 'manual';
  /** On a gateway with readers and links both: where the customer pays (see draftChannel). */
  channel: 'card_present' | 'link';
  customerId: string;
  receiptEmail: string;
  /** Used when orderReference is left empty; kept until the payment exists (see lib/order-ref). */
  autoReference: string;
  /** The shop's time zone autoReference was stamped in; null: made before the settings were known. */
  autoReferenceZone: string | null;
  /** A charge was sent with this draft: its autoReference is never made again (the host may have it). */
  autoReferenceSent: boolean;
  /** Who pays (saved cards, installment plans): email, first and last name. */
  customerEmail: string;
  customerFirstName: string;
  customerLastName: string;
  /** Offer the customer to save their card on the gateway's page. */
  saveCard: boolean;
  /** Charge a card the gateway keeps for this customer (one click), instead of a link. */
  savedCardId: string | null;
  /** 1: one payment; 2 or more: an installment plan of that many parts. */
  installments: number;
  /** Split settlement: the merchants' shares (empty: the payment is not split). */
  splits: DraftSplit[];
  /**
   * The tip (tipping on): 'auto' asks the customer when a customer display is connected, else
   * none; 'ask' waits for the customer's choice; a preset percentage; or a custom amount.
   */
  tipMode: 'auto' | 'ask' | 'none' | 'percent' | 'custom';
  tipPercent: number;
  /** Minor units. */
  tipCustom: number;
}

/** One row of the split editor. */
export interface DraftSplit {
  /** Stable across edits (React key, focus after adding or removing a row). */
  key: number;
  merchantId: string;
  settlementReference: string;
  /** Minor units; 0 = nothing typed yet. */
  amount: number;
  onHold: boolean;
}

/** The Transactions screen's tabs: the list, and split payments' held shares. */
export type TxTab = 'list' | 'settlements';

export interface TxQuery {
  search: string;
  status: CommandInput<'transactions.list'>['status'] | '';
  paymentMethodType: CommandInput<'transactions.list'>['paymentMethodType'] | '';
  dateFrom: string;
  dateTo: string;
  sortField: 'created_at' | 'amount' | 'status';
  sortOrder: 'asc' | 'desc';
  page: number;
  size: number;
  /** 'terminal': payments terminals charged through the shop's own bank. */
  source: 'gateway' | 'terminal';
}

export interface UiState {
  screen: Screen;
  draft: Draft;
  /** Error of the last Charge (client validation or the host's answer). */
  createError: CommandError | null;
  /**
   * Said on Create payment when the host's change cleared the typed amount: the till's gateway (or
   * the shop's currency) changed the draft's currency, and an amount is never carried into another.
   */
  draftNotice: string | null;
  lastCurrency: string | null;
  /** The payment on the Process screen. */
  selectedPaymentId: string | null;
  /**
   * A Charge sent and not yet answered: the Process screen is shown at once (the cashier sees the
   * app act on Enter, and the screen is drawn while the host works) and takes the payment as soon
   * as the host reports it. Null once the answer is in.
   */
  pendingCharge: PendingCharge | null;
  /**
   * The cashier's last Charge, while they stay with it on Process payment: kept in the tab's session
   * storage, so a reload (Esc, then F5 at once, say) opens on its payment and says how it ended.
   * Null once they go to another screen or payment, or the host refused the charge.
   */
  lastCharge: LastCharge | null;
  /**
   * An installment plan sent and not yet answered: the Process screen is shown at once and says what
   * is being charged (its first part) until the host's plan takes its place. Null once answered.
   */
  pendingPlan: PendingPlan | null;
  /** Bumped to move the focus to the screen's [data-autofocus] again, as a screen change does. */
  focusSeq: number;
  /** The reader the cashier last used; the default for the next payment while it is online. */
  readerId: string | null;
  /** The last error of process / cancel / try another card, for the payment it concerns. */
  paymentError: { paymentId: string | null; error: CommandError } | null;
  /** A one-off explanation shown on the Process screen (e.g. after a lost connection). */
  notice: string | null;
  /**
   * A link settled while the cashier was not looking at it on Process payment (paid, or not paid:
   * lapsed, declined): said once in a banner, until its payment is opened or the notice dismissed.
   */
  linkNotice: LinkNotice | null;
  /** Payments whose link outcome was already told (or seen on Process payment): never told twice. */
  linksTold: readonly string[];
  txQuery: TxQuery;
  /**
   * The Transactions query each gateway left behind at a switch (its filters, search and sort), put
   * back when the till switches back to it: a switch there and back lost them.
   */
  txQueryOf: Partial<Record<GatewayName, TxQuery>>;
  txSelectedId: string | null;
  /** The transaction whose Details was closed last: the list puts the focus back on its row. */
  txReturnTo: string | null;
  /** An installment plan shown on the Process screen (its first part's QR, its schedule). */
  selectedPlan: InstallmentPlanView | null;
  /** The shown plan was opened from Transactions' list of plans: Esc goes back there. */
  planFromTransactions: boolean;
  /** The plan whose panel was left with Esc: Transactions puts the focus back on its button. */
  planReturnTo: string | null;
  txTab: TxTab;
  /** The document to print from the screen (the print area's markup), with a counter to print again. */
  printJob: { html: string; title: string; n: number } | null;
}

export interface LinkNotice {
  paymentId: string;
  text: string;
}

export interface PendingCharge {
  orderReference: string;
  /** The create's requestId: what Esc names before the host has reported the payment. */
  requestId: string;
  amount: number;
  currency: string;
  /** Where it goes: the reader's name, or null (a link, a saved card, no reader online). */
  readerLabel: string | null;
  /** Payments of the mirror with this order reference when Enter was pressed: never this charge. */
  earlier: readonly string[];
  /** The tip as charged (amount is before it): typed in, the customer's to choose, or none. */
  tip: { askTip: true } | { tip: TipChoice } | null;
  /**
   * Esc was pressed before the host reported the payment: payments.cancelCreate went out at once,
   * naming the charge by its requestId; the host cancels it, never left to wait for a card.
   */
  cancelAsked: boolean;
}

export interface LastCharge {
  orderReference: string;
  /** When Enter sent it (ISO): its payment may not be reported yet when the page starts again. */
  at: string;
}

export interface PendingPlan {
  amount: number;
  currency: string;
  /** How many parts. */
  count: number;
}

export interface UiSlice {
  ui: UiState;
  setScreen(screen: Screen): void;
  updateDraft(patch: Partial<Draft>): void;
  /** The split editor's rows as edited; the Charge error's issues follow their rows (by key). */
  setSplits(splits: DraftSplit[]): void;
  resetDraft(): void;
  selectPayment(paymentId: string | null): void;
  setPendingCharge(pending: PendingCharge | null): void;
  refocus(): void;
  chooseReader(readerId: string | null): void;
  setPaymentError(error: UiState['paymentError']): void;
  setNotice(notice: string | null): void;
  /** Process payment (F2): on the payment a link notice tells of, when there is one. */
  openProcess(): void;
  dismissLinkNotice(): void;
  setTxQuery(patch: Partial<TxQuery>): void;
  /** Opens a transaction's details, or (null) goes back to the list, to the row that was open. */
  openTransaction(transactionId: string | null): void;
  /** The list has put the focus back on the row that was open (or it is no longer listed). */
  returnedToTransaction(): void;
  /** Shows a plan on Process payment; `fromTransactions` when opened from Transactions' plans (Esc goes back). */
  showPlan(plan: InstallmentPlanView | null, fromTransactions?: boolean): void;
  /** Esc on a plan opened from Transactions: back to its list, the focus on the plan's button. */
  backFromPlan(): void;
  /** Transactions has put the focus back on the plan that was open (or it is no longer listed). */
  returnedToPlan(): void;
  setTxTab(tab: TxTab): void;
  /** Prints markup (a receipt, a report) with the browser's print dialog. */
  printHtml(title: string, html: string): void;
}

export interface CommandsSlice {
  /** Keys of commands waiting for an answer ("create", "process:<id>", "capture:<id>", …). */
  busy: Record<string, true>;
  /** Invokes a command, marks it busy under busyKey, and applies a successful result to the mirror. */
  run<N extends CommandName>(name: N, input: CommandInput<N>, busyKey?: string): Promise<Result<CommandResult<N>>>;
  /** Enter on the Create screen: validate, create, then push to the default online reader. */
  charge(): Promise<void>;
  processPayment(paymentId: string, readerId: string): Promise<Result<PaymentView>>;
  cancelPayment(paymentId: string): Promise<Result<PaymentView>>;
  /**
   * Esc while the payment is being created: cancelled at once if the host already has it (the host
   * cancels it once the gateway has it), or as soon as the host reports it.
   */
  cancelCharge(): void;
  /** Fresh snapshot from the host (after a reconnect, a gap, or a command whose outcome is unknown). */
  resync(): Promise<void>;
}

export type PosState = HostSlice & UiSlice & CommandsSlice;
