import type { CommandInput, GatewayName, GatewayView, PaymentView, ReaderView } from '../../../common/contract';
import type { TipChoice } from '../../../common/tips';
import { checkMinorAmount, formatAmount, MAX_AMOUNT_MINOR, type ParsedAmount } from '../../../common/money';
import { isKnownCurrency } from '../../../common/currencies';
import { MAX_SPLIT_SHARES } from '../../../common/contract/views';
import { SPLIT_MERCHANT_ID, SPLIT_MERCHANT_ID_TEXT, type SplitMerchant } from '../../../common/split-merchants';
import { ORDER_REFERENCE_PATTERN } from '../lib/order-ref';
import type { Draft, LastCharge, PosState } from './types';

/**
 * The draft's currency: chosen, else last used, else the merchant's default, else EUR — and always
 * one the gateway takes (PayPlug takes EUR only, Plural INR).
 */
export function draftCurrency(state: Pick<PosState, 'ui' | 'host'>): string {
  const wanted = state.ui.draft.currency ?? state.ui.lastCurrency ?? state.host.merchant?.defaultCurrency ?? 'EUR';
  const allowed = state.host.gateway?.limits.currencies;
  return allowed && !allowed.includes(wanted) ? (allowed[0] ?? wanted) : wanted;
}

/** The shop's own currency: the gateway account's default, else the first its gateway takes. */
export function shopCurrency(state: Pick<PosState, 'host'>): string {
  return state.host.merchant?.defaultCurrency ?? state.host.gateway?.limits.currencies?.[0] ?? 'EUR';
}

/** The currencies the Create screen offers: the gateway's, or every one the app knows. */
export function offeredCurrencies(state: Pick<PosState, 'host'>): readonly string[] | null {
  return state.host.gateway?.limits.currencies ?? null;
}

/** The shop's time zone (Settings → Counter): every time on screen is read in it. */
export function shopTimeZone(state: Pick<PosState, 'host'>): string | null {
  return state.host.settings?.counter.timeZone ?? null;
}

export function isOnline(reader: ReaderView): boolean {
  return reader.status === 'online';
}

/** Readers that are paired to this app (not just discovered, not replaced by another pairing). */
export function pairedReaders(readers: ReaderView[]): ReaderView[] {
  return readers.filter((r) => r.status !== 'unpaired' && r.status !== 'superseded');
}

/**
 * The reader a new payment goes to: the one last used while it is online and idle, else the first
 * online idle one; when every online reader is busy, the last used (the host then says it is busy).
 */
/**
 * What a reader is busy with: a payment on it now, or one whose outcome it may still hold
 * ('unknown'). The last action a gateway's reader finished is not (it is still in its view).
 */
export function busyWith(reader: ReaderView): ReaderView['action'] {
  const action = reader.action;
  return action && (action.status === 'in_progress' || action.status === 'unknown') ? action : null;
}

export function defaultReader(state: Pick<PosState, 'ui' | 'host'>): ReaderView | null {
  const online = state.host.readers.filter(isOnline);
  const idle = online.filter((r) => !busyWith(r));
  const preferred = (list: ReaderView[]) => list.find((r) => r.id === state.ui.readerId);
  return preferred(idle) ?? idle[0] ?? preferred(online) ?? online[0] ?? null;
}

/**
 * The decline the cashier should see: the host keeps a declined payment 'pending' (another card may
 * be tried) or marks it 'failed' (final); while it is back on a reader, the old decline is history.
 */
export function currentDecline(payment: PaymentView | undefined | null): PaymentView['decline'] {
  if (!payment?.decline) return null;
  return payment.status === 'pending' || payment.status === 'failed' ? payment.decline : null;
}

export function paymentsNewestFirst(payments: Record<string, PaymentView>): PaymentView[] {
  return Object.values(payments).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The statuses of an open payment: being created, pending, on a reader, outcome unknown. */
export const OPEN_STATUSES: readonly PaymentView['status'][] = ['creating', 'pending', 'in_progress', 'unknown'];

/**
 * Payments under way with the till's gateway: on a reader, a link waiting for the customer to pay,
 * or one the cashier asked to cancel while it was being created (the host cancels it once the
 * gateway has it). With exactly one, that is the one the cashier is looking for (after a reload,
 * say). Another gateway's (from before a switch) is not followed, so not under way here.
 */
export function paymentsUnderWay(
  payments: PaymentView[],
  gateway: GatewayName | null,
  testMode: boolean,
): PaymentView[] {
  return payments.filter(
    (p) =>
      (gateway === null || p.gateway === gateway) &&
      // Nor is one of the other mode (a test link left open when the till went live).
      p.testMode === testMode &&
      (p.status === 'in_progress' || (p.status === 'pending' && p.channel === 'link') || p.cancelAsked),
  );
}

/** How long after it ended the cashier's last charge is still shown again after a reload. */
export const LAST_CHARGE_SHOWN_MS = 5 * 60_000;

/**
 * The payment of the cashier's last Charge (the newest of its order) while it is open or ended a few
 * minutes ago at most: after a reload, what the cashier did not see end (canceled before anything was
 * sent, approved while the page reloaded) is shown with how it ended. Null: none, or not reported yet.
 */
export function lastChargePayment(
  payments: Record<string, PaymentView>,
  lastCharge: LastCharge | null,
  now: number,
): PaymentView | null {
  if (!lastCharge) return null;
  const payment = paymentsNewestFirst(payments).find((p) => p.orderReference === lastCharge.orderReference);
  if (!payment) return null;
  const recent = now - Date.parse(payment.updatedAt) <= LAST_CHARGE_SHOWN_MS;
  return OPEN_STATUSES.includes(payment.status) || recent ? payment : null;
}

/** Payments the cashier may still act on from the Process screen. */
export function openPayments(payments: Record<string, PaymentView>): PaymentView[] {
  return paymentsNewestFirst(payments).filter((p) => OPEN_STATUSES.includes(p.status));
}

/** True while a payment is on its way through a reader (the Pay buttons stay disabled). */
export function isInFlight(payment: PaymentView | undefined | null): boolean {
  return !!payment && (payment.status === 'creating' || payment.status === 'in_progress');
}

/**
 * The payment is on a reader that has taken it and that only its own keys stop from then on
 * (ReaderView.cancelsUntil: a Concert terminal waiting for the card after its ACK).
 */
export function takenByReader(
  payment: PaymentView | undefined | null,
  reader: Pick<ReaderView, 'cancelsUntil'> | undefined | null,
): boolean {
  return (
    !!payment &&
    payment.status === 'in_progress' &&
    payment.readerStage === 'waiting_for_card' &&
    reader?.cancelsUntil === 'request'
  );
}

/**
 * Cashier cancel is allowed until the card is being authorised; on a reader that stops only until it
 * takes the request (`reader`, the payment's), only until then.
 */
export function canCancel(
  payment: PaymentView | undefined | null,
  reader?: Pick<ReaderView, 'cancelsUntil'> | null,
): boolean {
  if (!payment) return false;
  if (payment.status === 'pending') return true;
  // Waiting for the customer's tip: nothing was sent anywhere yet.
  if (payment.status === 'creating' && payment.tip?.state === 'awaiting') return true;
  if (takenByReader(payment, reader)) return false;
  return payment.status === 'in_progress' && payment.readerStage !== 'processing';
}

export interface Issue {
  path: string;
  message: string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What is wrong with the customer's email, for a step that needs it (null: nothing). */
export function customerEmailIssue(email: string): string | null {
  const typed = email.trim();
  if (!typed) return "The customer's email is needed for this.";
  return EMAIL.test(typed) && typed.length <= 254
    ? null
    : "The customer's email is not an email address: type it as name@example.com.";
}

/**
 * What an amount field says of a paste it refused, naming the field as every field's message does
 * ("The share was not pasted: INR has 2 decimal places."); null for a paste read as an amount above
 * zero. `field`: "amount" (every AmountInput) or "share" (a split share's row).
 */
export function pasteIssue(field: 'amount' | 'share', pasted: ParsedAmount): string | null {
  if (!pasted.ok) return `The ${field} was not pasted: ${pasted.error}.`;
  return pasted.minor > 0 ? null : `The ${field} was not pasted: it must be greater than zero.`;
}

/**
 * Releasing part of a held share (Settlements): at least the gateway's minimum, at most what can be
 * released, and what is left for the customer's refund either nothing or at least that minimum too
 * (the gateway refunds no less). Null when the amount is one the gateway takes.
 */
export function releaseIssue(
  amount: number,
  share: { amount: number; releasable: number },
  minimum: number,
  currency: string,
): string | null {
  const rest = share.amount - amount;
  if (amount >= minimum && amount <= share.releasable && (rest === 0 || rest >= minimum)) return null;
  const money = (minor: number) => formatAmount(minor, currency);
  return `The amount to release must be from ${money(minimum)} up to ${money(share.releasable)}, leaving nothing or at least ${money(minimum)} to refund to the customer.`;
}

const CUSTOMER_FIELDS = [
  { key: 'customerEmail', path: 'customer.email', words: 'email' },
  { key: 'customerFirstName', path: 'customer.firstName', words: 'first name' },
  { key: 'customerLastName', path: 'customer.lastName', words: 'last name' },
] as const;

/** A saved card, offering to save one, or a plan: the payment needs a whole customer. */
export function needsCustomer(draft: Draft): boolean {
  return draft.saveCard || draft.savedCardId !== null || draft.installments > 1;
}

/** Whether any of the Customer fields has something typed in it. */
export function customerTyped(draft: Draft): boolean {
  return CUSTOMER_FIELDS.some(({ key }) => draft[key].trim() !== '');
}

/** Whether Create payment shows the Customer section (CustomerSection: a gateway that keeps cards or takes installments). */
function customerShown(gateway: GatewayView | null): boolean {
  return gateway !== null && (gateway.capabilities.savedCards || gateway.capabilities.installments !== null);
}

/** The same rules as the host's schema and the gateway's limits, in words, checked before anything is sent. */
export function validateDraft(draft: Draft, currency: string, gateway: GatewayView | null = null): Issue[] {
  const issues: Issue[] = [];
  if (gateway && draft.amount > 0 && isKnownCurrency(currency)) {
    const { amountMin, amountMax } = gateway.limits;
    const perPart = Math.max(1, draft.installments);
    if (draft.amount < amountMin * perPart)
      issues.push({
        path: 'amount',
        message:
          perPart > 1
            ? `The amount must be at least ${formatAmount(amountMin * perPart, currency)} for ${perPart} installments with ${gateway.label}.`
            : `The amount must be at least ${formatAmount(amountMin, currency)} with ${gateway.label}.`,
      });
    else if (draft.amount > amountMax)
      issues.push({
        path: 'amount',
        message: `The amount can be at most ${formatAmount(amountMax, currency)} with ${gateway.label}.`,
      });
  }
  if (needsCustomer(draft)) {
    const emailIssue = customerEmailIssue(draft.customerEmail);
    if (emailIssue) issues.push({ path: 'customer.email', message: emailIssue });
    if (!draft.customerFirstName.trim())
      issues.push({ path: 'customer.firstName', message: "The customer's first name is needed for this." });
    if (!draft.customerLastName.trim())
      issues.push({ path: 'customer.lastName', message: "The customer's last name is needed for this." });
  } else if (customerShown(gateway)) {
    // A customer goes with a payment only whole (the host's contract: email, first and last name): one
    // typed in part was dropped without a word. Said on each field left empty, before anything is sent.
    if (customerTyped(draft))
      for (const { key, path, words } of CUSTOMER_FIELDS)
        if (!draft[key].trim())
          issues.push({
            path,
            message: `Type the customer's ${words} too, or clear the Customer fields: a customer is sent only with all three.`,
          });
        else if (key === 'customerEmail') {
          // Typed wrong, said with the rest rather than refused by the host on the next Enter.
          const emailIssue = customerEmailIssue(draft.customerEmail);
          if (emailIssue) issues.push({ path, message: emailIssue });
        }
  }
  if (!isKnownCurrency(currency))
    issues.push({ path: 'currency', message: `${currency} is not a currency this app knows.` });
  if (draft.amount === 0) {
    issues.push({ path: 'amount', message: 'Enter an amount: type the digits, e.g. 1 2 5 0 for 12.50.' });
  } else {
    const checked = checkMinorAmount(draft.amount);
    if (!checked.ok) {
      const max = isKnownCurrency(currency) ? formatAmount(MAX_AMOUNT_MINOR, currency) : String(MAX_AMOUNT_MINOR);
      issues.push({
        path: 'amount',
        message: draft.amount > MAX_AMOUNT_MINOR ? `The amount can be at most ${max}.` : checked.error,
      });
    }
  }
  // What the gateway keeps (PayPlug: 80), said with the rest rather than refused by the host on the next Enter.
  const descriptionMax = Math.min(500, gateway?.limits.descriptionMax ?? 500);
  if (draft.description.trim().length > descriptionMax)
    issues.push({
      path: 'description',
      message:
        descriptionMax < 500 && gateway
          ? `The description can be at most ${descriptionMax} characters with ${gateway.label} (an emoji counts as two).`
          : 'The description can be at most 500 characters.',
    });
  // A plan has nowhere to keep one (the host refuses it rather than drop it): said on the field.
  else if (draft.installments > 1 && draft.description.trim())
    issues.push({
      path: 'description',
      message: `${gateway?.label ?? 'The gateway'} keeps no description for a payment in installments: clear it, or pay in one payment.`,
    });
  const reference = draft.orderReference.trim();
  if (reference && !ORDER_REFERENCE_PATTERN.test(reference)) {
    issues.push({
      path: 'orderReference',
      message: 'The order reference can only be 1–64 letters, digits or . _ : # / - (no spaces).',
    });
  }
  const customer = draft.customerId.trim();
  if (customer && !UUID.test(customer)) {
    issues.push({
      path: 'customerId',
      message: 'The customer id is not a UUID: it looks like 123e4567-e89b-12d3-a456-426614174000.',
    });
  }
  const email = draft.receiptEmail.trim();
  if (email && (!EMAIL.test(email) || email.length > 254)) {
    issues.push({ path: 'receiptEmail', message: 'The receipt email is not an email address.' });
  }
  issues.push(...splitIssues(draft, currency, gateway));
  return issues;
}

const SPLIT_REFERENCE = /^[\x20-\x7E]{1,50}$/;

const NO_MERCHANTS: readonly SplitMerchant[] = [];

/** The merchants Settings keeps for split payments (their names are shown beside their ids). */
export function splitMerchants(state: Pick<PosState, 'host'>): readonly SplitMerchant[] {
  return state.host.settings?.splitMerchants ?? NO_MERCHANTS;
}

/** What is left to share between the merchants (negative: the shares are more than the amount). */
export function splitRemainder(draft: Pick<Draft, 'amount' | 'splits'>): number {
  return draft.amount - draft.splits.reduce((sum, split) => sum + split.amount, 0);
}

/** The split editor's rows checked as the host will: each field, each share's minimum, the sum. */
export function splitIssues(draft: Draft, currency: string, gateway: GatewayView | null): Issue[] {
  if (draft.splits.length === 0 || (gateway && !gateway.capabilities.splitSettlement)) return [];
  const issues: Issue[] = [];
  const known = isKnownCurrency(currency);
  const min = gateway?.limits.amountMin ?? 1;
  draft.splits.forEach((split, index) => {
    const at = `splits.${index}`;
    const merchant = split.merchantId.trim();
    // One share per merchant, as the host says (it names each share by its merchant).
    const first = draft.splits.findIndex((other) => other.merchantId.trim() === merchant);
    // Past the contract's bound: marked on the row (its merchant id takes the cursor), not said
    // about "splits" by the host after Charge with no row to fix.
    if (index >= MAX_SPLIT_SHARES)
      issues.push({
        path: `${at}.merchantId`,
        message: `A payment can be shared between at most ${MAX_SPLIT_SHARES} merchants: put this share in another one.`,
      });
    else if (!SPLIT_MERCHANT_ID.test(merchant))
      issues.push({ path: `${at}.merchantId`, message: SPLIT_MERCHANT_ID_TEXT });
    else if (first < index)
      issues.push({
        path: `${at}.merchantId`,
        message: `Merchant ${merchant} already has share ${first + 1}: give each merchant one share.`,
      });
    const reference = split.settlementReference.trim();
    if (reference && !SPLIT_REFERENCE.test(reference))
      issues.push({
        path: `${at}.settlementReference`,
        message:
          'The settlement reference can hold at most 50 characters, each a letter without accent, a digit, a space or punctuation.',
      });
    if (split.amount < min)
      issues.push({
        path: `${at}.amount`,
        message:
          split.amount === 0
            ? "Type this merchant's share."
            : `The share must be at least ${known ? formatAmount(min, currency) : min}.`,
      });
  });
  const left = splitRemainder(draft);
  if (left !== 0 && known)
    issues.push({
      path: 'splits',
      message:
        left > 0
          ? `The shares must add up to the amount: ${formatAmount(left, currency)} is not shared yet.`
          : `The shares must add up to the amount: they are ${formatAmount(-left, currency)} too much.`,
    });
  return issues;
}

/** Tipping is on in Settings. */
export function tippingOn(state: Pick<PosState, 'host'>): boolean {
  return state.host.settings?.counter.tipping.enabled ?? false;
}

/** A customer display is showing (web mode: a page with the display URL; Electron: the second window). */
export function displayConnected(state: Pick<PosState, 'host'>): boolean {
  return (state.host.settings?.counter.customerDisplay.connected ?? 0) > 0;
}

/** How the draft's tip is decided: 'auto' asks the customer when a display is connected. */
export function draftTipMode(state: Pick<PosState, 'ui' | 'host'>): 'ask' | 'none' | 'percent' | 'custom' {
  const mode = state.ui.draft.tipMode;
  if (mode !== 'auto') return mode;
  return displayConnected(state) ? 'ask' : 'none';
}

/**
 * Whether the draft takes a tip: tipping on, and one payment for one merchant — installments and a
 * payment shared between merchants take none (the host refuses one: which merchant's would it be?).
 */
export function draftTakesTip(state: Pick<PosState, 'ui' | 'host'>): boolean {
  const { draft } = state.ui;
  const shared = state.host.gateway?.capabilities.splitSettlement === true && draft.splits.length > 0;
  return tippingOn(state) && draft.installments === 1 && !shared;
}

/** The tip part of payments.create for the draft: nothing when it takes no tip. */
export function draftTip(state: Pick<PosState, 'ui' | 'host'>): { askTip: true } | { tip: TipChoice } | null {
  if (!draftTakesTip(state)) return null;
  const { draft } = state.ui;
  switch (draftTipMode(state)) {
    case 'ask':
      return { askTip: true };
    case 'percent':
      return { tip: { kind: 'percent', percent: draft.tipPercent } };
    case 'custom':
      return { tip: draft.tipCustom > 0 ? { kind: 'custom', amount: draft.tipCustom } : { kind: 'none' } };
    default:
      return null;
  }
}

/**
 * Where the customer pays the payment being drafted: a gateway with readers and links both lets the
 * cashier choose (a reader by default); otherwise the gateway's only way.
 */
export function draftChannel(draft: Pick<Draft, 'channel'>, gateway: GatewayView | null): 'card_present' | 'link' {
  if (!gateway) return 'card_present';
  const { readerLink, cloudReaders, payByLink } = gateway.capabilities;
  if (!readerLink && !cloudReaders) return 'link';
  return payByLink ? draft.channel : 'card_present';
}

/** Whether the cashier chooses between a reader and a QR link (the gateway has both). */
export function choosesChannel(gateway: GatewayView | null): boolean {
  if (!gateway) return false;
  const { readerLink, cloudReaders, payByLink } = gateway.capabilities;
  return payByLink && (readerLink || cloudReaders);
}

/** The payments.create input for a valid draft (empty optional fields left out). */
export function createInput(
  draft: Draft,
  currency: string,
  /** Whether the gateway splits payments (else the editor is hidden and its rows are left out). */
  canSplit = true,
  /** The gateway lets the cashier choose the channel (else the host takes the gateway's natural one). */
  channelChosen = false,
): CommandInput<'payments.create'> & { orderReference: string } {
  const description = draft.description.trim();
  const customerId = draft.customerId.trim();
  const receiptEmail = draft.receiptEmail.trim();
  return {
    amount: draft.amount,
    currency,
    orderReference: draft.orderReference.trim() || draft.autoReference,
    captureMethod: draft.captureMethod,
    // A reader is the host's default on such a gateway: only a link is asked for.
    ...(channelChosen && draft.channel === 'link' ? { channel: 'link' as const } : {}),
    ...(description ? { description } : {}),
    ...(customerId ? { customerId } : {}),
    ...(receiptEmail ? { receiptEmail } : {}),
    ...(draft.saveCard ? { saveCard: true } : {}),
    ...(draft.savedCardId ? { savedCardId: draft.savedCardId } : {}),
    ...(draftCustomer(draft) ? { customer: draftCustomer(draft)! } : {}),
    ...(canSplit && draft.splits.length > 0
      ? {
          splits: draft.splits.map((split) => ({
            merchantId: split.merchantId.trim(),
            ...(split.settlementReference.trim() ? { settlementReference: split.settlementReference.trim() } : {}),
            amount: split.amount,
            onHold: split.onHold,
          })),
        }
      : {}),
  };
}

/** The customer the draft names (all three fields), or null. */
export function draftCustomer(draft: Draft): { email: string; firstName: string; lastName: string } | null {
  const email = draft.customerEmail.trim();
  const firstName = draft.customerFirstName.trim();
  const lastName = draft.customerLastName.trim();
  return email && firstName && lastName ? { email, firstName, lastName } : null;
}

export type CustomerDisplayStatus =
  | { state: 'connected' | 'not open'; url: string | null }
  /** The host is out of reach (reconnecting) or its state not read again since (refreshing). */
  | { state: 'unknown'; url: string | null; why: 'reconnecting' | 'refreshing' };

/**
 * What the header says of the customer display, or null when there is none to speak of (no address,
 * no window). Only the host knows whether one is connected: once the connection to it has dropped,
 * what it last said no longer holds, so the answer is "unknown" until a snapshot is read again.
 */
export function customerDisplayStatus(state: {
  host: Pick<PosState['host'], 'settings'>;
  link: Pick<PosState['link'], 'connection' | 'stale'>;
}): CustomerDisplayStatus | null {
  const display = state.host.settings?.counter.customerDisplay ?? null;
  if (!display || (!display.url && display.connected === 0)) return null;
  if (state.link.connection !== 'open') return { state: 'unknown', url: display.url, why: 'reconnecting' };
  if (state.link.stale) return { state: 'unknown', url: display.url, why: 'refreshing' };
  return { state: display.connected > 0 ? 'connected' : 'not open', url: display.url };
}
