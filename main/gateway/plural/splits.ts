/**
 * Where a Plural charge's money stands, and how a refund is drawn from its split settlements.
 * Pure: the inputs are the charge order and its refund orders as Plural answers them.
 *
 * Per split, in paise (the emulator's ledger uses the same letters):
 * - S, settled to the split merchant: its amount once RELEASED, or `release_amount` after a partial
 *   release — and only once the order was paid (a split created with `on_hold: false` says
 *   RELEASED from the start, but nothing is settled before the money arrives);
 * - U, refunded to the customer without recovery (`DO_NOT_RECOVER` refund lines): money the
 *   merchant never got — a cancelled split, or the rest of a partial release;
 * - R, refunded and recovered from the merchant (refund lines with a blank status): at most S.
 * Plural keeps, per split, S + U ≤ amount and R ≤ S, and per order ΣS + ΣU ≤ what was captured.
 *
 * A refund of a charge with splits must say which split each part comes from. When the till names
 * no split, the refund is drawn in this order (each refund line at least ₹1, Plural's minimum):
 * 1. money of cancelled or partly released splits not yet refunded (DO_NOT_RECOVER), split by split;
 * 2. held splits, whole, in split order, as long as one fits in what is left: the split is cancelled
 *    and refunded DO_NOT_RECOVER — held money goes back before anything is taken back from a
 *    merchant, and never in part (a split is settled once: part of a cancelled split would be
 *    stranded);
 * 3. released splits, recovered pro rata to what each still has to recover (largest remainders,
 *    ties in split order; a share that would be under ₹1 is left out and the rest shared again).
 * What none of these can cover is refused before any call: it is held in splits larger than what
 * is left to refund (uncoveredRefusal: the nearest amounts that can be drawn, or name the splits).
 * The host runs the same rule before it journals or queues such a refund (drawFromShares, the port's
 * drawRefund), on the shares as it last read them.
 */
import { formatAmount } from '../../../common/money';
import { heldShareWholeText, uncoveredRefundText } from '../../../common/refunds';
import { GatewayError, type LocalRefusal } from '../errors';
import type { KnownShares, RefundAsked } from '../port';
import { refuse } from './checks';
import type { WireOrder } from './schemas';

/** A refund line (and a split line) is at least ₹1. */
export const MIN_LINE = 100;

const PAID = new Set(['PROCESSED', 'PARTIALLY_CAPTURED', 'PARTIALLY_REFUNDED', 'FULLY_REFUNDED', 'REFUNDED']);
/** Statuses in which Plural takes refunds, releases and split cancels. */
export const REFUNDABLE = new Set(['PROCESSED', 'PARTIALLY_CAPTURED', 'PARTIALLY_REFUNDED']);

export interface SplitMoney {
  id: string;
  merchantId: string;
  settlementReference: string | null;
  amount: number;
  onHold: boolean;
  /** HOLD, RELEASED, CANCELLED as Plural says (upper case). */
  status: string;
  /** `release_amount` once released through the API, else null. */
  releaseAmount: number | null;
  settled: number;
  unrecovered: number;
  recovered: number;
}

export interface ChargeMoney {
  paid: boolean;
  captured: number;
  /** Every refund this app can find (its own `-R{n}` refunds), DO_NOT_RECOVER ones included. */
  refunded: number;
  splits: SplitMoney[];
}

/** What the order received: the captures' total for a pre-authorisation, else its amount once paid. */
export function capturedOf(order: WireOrder): number {
  if (!PAID.has(order.status)) return 0;
  const captures = (order.payments ?? []).flatMap((payment) => payment.capture_data ?? []);
  if (captures.length > 0) return captures.reduce((sum, capture) => sum + capture.capture_amount.value, 0);
  return order.order_amount.value;
}

/** Whether a refund order counts (Plural makes them PROCESSED at once; a failed one moved nothing). */
function counts(refund: WireOrder): boolean {
  return refund.status !== 'FAILED' && refund.status !== 'CANCELLED';
}

export function chargeMoney(order: WireOrder, refunds: readonly WireOrder[]): ChargeMoney {
  const paid = PAID.has(order.status);
  const lines = refunds.filter(counts).flatMap((refund) => refund.purchase_details?.split_info?.split_details ?? []);
  const splits = (order.purchase_details?.split_info?.split_details ?? []).map((detail): SplitMoney => {
    const status = (detail.status ?? '').toUpperCase();
    const releaseAmount = detail.release_amount?.value ?? null;
    const mine = lines.filter((line) => line.parent_order_split_settlement_id === detail.split_settlement_id);
    const sum = (dnr: boolean) =>
      mine
        .filter((line) => ((line.status ?? '').toUpperCase() === 'DO_NOT_RECOVER') === dnr)
        .reduce((total, line) => total + line.amount.value, 0);
    return {
      id: detail.split_settlement_id,
      merchantId: detail.split_merchant_id,
      settlementReference: detail.merchant_settlement_reference ?? null,
      amount: detail.amount.value,
      onHold: detail.on_hold ?? status === 'HOLD',
      status,
      releaseAmount,
      settled: paid && status === 'RELEASED' ? (releaseAmount ?? detail.amount.value) : 0,
      unrecovered: sum(true),
      recovered: sum(false),
    };
  });
  return {
    paid,
    captured: capturedOf(order),
    refunded: refunds.filter(counts).reduce((sum, refund) => sum + refund.order_amount.value, 0),
    splits,
  };
}

/** Money of a cancelled or partly released split neither settled nor yet refunded. */
export function unsettledRest(split: SplitMoney): number {
  const partlyReleased =
    split.status === 'RELEASED' && split.releaseAmount !== null && split.releaseAmount < split.amount;
  if (split.status !== 'CANCELLED' && !partlyReleased) return 0;
  return Math.max(0, split.amount - split.settled - split.unrecovered);
}

/** Settled money of a released split not yet taken back. */
export function recoverable(split: SplitMoney): number {
  return split.status === 'RELEASED' ? Math.max(0, split.settled - split.recovered) : 0;
}

/** What refunds without recovery may still add: captured − (ΣS + ΣU). */
export function commitRoom(money: ChargeMoney): number {
  return Math.max(0, money.captured - money.splits.reduce((sum, split) => sum + split.settled + split.unrecovered, 0));
}

/**
 * The most a release of this held split can settle now, or 0 when none can (only a cancel then):
 * its whole amount while the captured money covers it; after a partial capture, what is left of
 * that money (commitRoom) — leaving the split's rest either nothing or at least ₹1, which is
 * refunded to the customer (Plural refunds no less). The Settlements screen offers this amount.
 */
export function releasable(money: ChargeMoney, split: SplitMoney): number {
  if (split.status !== 'HOLD') return 0;
  const room = commitRoom(money);
  if (!money.paid || room >= split.amount) return split.amount;
  const most = Math.min(room, split.amount - MIN_LINE);
  return most >= MIN_LINE ? most : 0;
}

/** What is left to refund at all: captured − refunded. */
export function refundRoom(money: ChargeMoney): number {
  return Math.max(0, money.captured - money.refunded);
}

/**
 * The DO_NOT_RECOVER refund a split's rest needs (after a partial release or a cancel): its
 * unsettled rest, within what the order may still refund. 0 when nothing is owed — or when the part
 * never captured leaves less than ₹1, which Plural cannot refund.
 */
export function restToRefund(money: ChargeMoney, split: SplitMoney): number {
  const amount = Math.min(unsettledRest(split), commitRoom(money), refundRoom(money));
  return amount >= MIN_LINE ? amount : 0;
}

export interface RefundLinePlan {
  split: SplitMoney;
  amount: number;
  doNotRecover: boolean;
}

export interface RefundPlan {
  /** Held splits to cancel before the refund (each refunded whole, DO_NOT_RECOVER). */
  cancel: string[];
  lines: RefundLinePlan[];
}

/**
 * Shares of `total` proportional to `rooms` (largest remainders, ties to the earlier), never above
 * a room; a share between 0 and ₹1 drops its room and the rest is shared again. Null when the
 * rooms cannot cover `total` in lines of at least ₹1.
 */
export function proRata(total: number, rooms: readonly number[]): number[] | null {
  const active = rooms.map((room) => room >= MIN_LINE);
  for (;;) {
    const indexes = rooms.map((_, index) => index).filter((index) => active[index]);
    const sum = indexes.reduce((acc, index) => acc + rooms[index]!, 0);
    if (total === 0) return rooms.map(() => 0);
    if (sum < total || indexes.length === 0) return null;
    const exact = indexes.map((index) => (total * rooms[index]!) / sum);
    const shares = exact.map(Math.floor);
    let left = total - shares.reduce((acc, share) => acc + share, 0);
    const byRemainder = exact
      .map((value, at) => ({ at, fraction: value - Math.floor(value) }))
      .sort((a, b) => b.fraction - a.fraction || a.at - b.at);
    for (const { at } of byRemainder) {
      if (left === 0) break;
      shares[at]! += 1;
      left -= 1;
    }
    const out = rooms.map(() => 0);
    indexes.forEach((index, at) => (out[index] = shares[at]!));
    const tooSmall = indexes.filter((index) => out[index]! > 0 && out[index]! < MIN_LINE);
    if (tooSmall.length === 0) return out;
    // Leave out the smallest room among those whose share is under ₹1 (of equal ones, the later
    // split), then share again.
    const smallest = tooSmall.reduce((a, b) => (rooms[b]! <= rooms[a]! ? b : a));
    active[smallest] = false;
  }
}

/** Rupees as the cashier reads them (refusals are shown on the screen as they are). */
function inr(paise: number): string {
  return formatAmount(paise, 'INR');
}

/** A share as the cashier knows it: by its merchant (the split's own id means nothing at the counter). */
function shareOf(split: SplitMoney): string {
  return `${split.merchantId}'s share`;
}

/** The refund drawn automatically (see the header). Throws a local refusal when it cannot be. */
export function allocateRefund(money: ChargeMoney, amount: number): RefundPlan {
  const plan = drawRefund(money, amount);
  if (plan === null) throw uncoveredRefusal(money, amount);
  return plan;
}

/** The refund drawn automatically (see the header), or null when the rule cannot draw it. */
function drawRefund(money: ChargeMoney, amount: number): RefundPlan | null {
  const plan = attempt(money, amount);
  return plan.covered ? plan : null;
}

/** The rule's draw; `covered` false when the released splits cannot give what the others left. */
function attempt(money: ChargeMoney, amount: number): RefundPlan & { covered: boolean } {
  let left = amount;
  let commit = commitRoom(money);
  const lines: RefundLinePlan[] = [];
  const cancel: string[] = [];
  // 1. Unsettled rests (DO_NOT_RECOVER), split by split; never leaving less than ₹1 to draw.
  for (const split of money.splits) {
    let take = Math.min(unsettledRest(split), left, commit);
    if (left - take > 0 && left - take < MIN_LINE) take = left - MIN_LINE;
    if (take < MIN_LINE) continue;
    lines.push({ split, amount: take, doNotRecover: true });
    left -= take;
    commit -= take;
  }
  // 2. Held splits, whole.
  for (const split of money.splits) {
    if (split.status !== 'HOLD' || split.amount > left || split.amount > commit) continue;
    if (left - split.amount > 0 && left - split.amount < MIN_LINE) continue;
    cancel.push(split.id);
    lines.push({ split, amount: split.amount, doNotRecover: true });
    left -= split.amount;
    commit -= split.amount;
  }
  // 3. Released splits, pro rata to what each has to recover.
  if (left > 0) {
    const released = money.splits.filter((split) => !lines.some((line) => line.split.id === split.id));
    const shares = proRata(
      left,
      released.map((split) => recoverable(split)),
    );
    if (shares === null) return { cancel, lines, covered: false };
    released.forEach((split, index) => {
      const share = shares[index]!;
      if (share > 0) lines.push({ split, amount: share, doNotRecover: false });
    });
  }
  return { cancel, lines, covered: true };
}

/** Distinct sums of held splits tried at most (n held splits have up to 2^n): more are left out. */
const MAX_SUMS = 1024;

/**
 * The refusal of a refund the rule cannot draw, in the cashier's terms (uncoveredRefundText): the held
 * shares in the way, and the nearest amounts below and above it that it can draw. Those are found among
 * the sums of held shares taken whole, alone or with all the money the other shares can give; each is
 * drawn to be sure, so what is offered is always drawable (if not always the very nearest).
 */
export function uncoveredRefusal(money: ChargeMoney, amount: number): LocalRefusal {
  const held = money.splits.filter((split) => split.status === 'HOLD');
  const taken = attempt(money, amount).cancel;
  const flexible = money.splits.reduce(
    (sum, split) => sum + Math.min(unsettledRest(split), commitRoom(money)) + recoverable(split),
    0,
  );
  let sums = new Set([0]);
  for (const split of held) {
    const more = new Set(sums);
    for (const sum of sums) more.add(sum + split.amount);
    if (more.size > MAX_SUMS) break;
    sums = more;
  }
  const room = refundRoom(money);
  const candidates = new Set([room]);
  for (const sum of sums) for (const other of [sum, sum + flexible]) candidates.add(Math.min(other, room));
  const drawable = [...candidates]
    .filter((other) => other >= MIN_LINE && other !== amount && drawRefund(money, other) !== null)
    .sort((a, b) => a - b);
  const below = drawable.filter((other) => other < amount);
  const above = drawable.filter((other) => other > amount);
  return refuse(
    uncoveredRefundText(inr, {
      amount,
      held: held.filter((split) => !taken.includes(split.id)).map((split) => split.merchantId),
      below: below.length > 0 ? below[below.length - 1]! : null,
      above: above[0] ?? null,
    }),
    'amount',
    'refund_uncovered',
  );
}

/** The refund the till asked for split by split: each part checked against its split. */
export function explicitRefund(
  money: ChargeMoney,
  requested: ReadonlyArray<{ splitId: string; amount: number }>,
): RefundPlan {
  const bad = (message: string) => refuse(message, 'splits', 'refund_split_invalid');
  let commit = commitRoom(money);
  const seen = new Set<string>();
  const plan: RefundPlan = { cancel: [], lines: [] };
  for (const { splitId, amount } of requested) {
    const split = money.splits.find((candidate) => candidate.id === splitId);
    if (!split) throw bad(`This payment has no split ${splitId}.`);
    if (seen.has(splitId)) throw bad(`${shareOf(split)} is named twice; name each share once.`);
    seen.add(splitId);
    if (!Number.isInteger(amount) || amount < MIN_LINE)
      throw bad(`A refund from ${shareOf(split)} is at least ${inr(MIN_LINE)}, not ${inr(amount)}.`);
    if (split.status === 'HOLD') {
      if (amount !== split.amount) throw bad(heldShareWholeText(inr, split.amount, split.merchantId));
      // After a partial capture the share may not all have been captured: only that part can go back.
      if (amount > commit)
        throw bad(
          `Only ${inr(commit)} of ${shareOf(split)} (${inr(split.amount)}) was captured and not settled: cancel the share on Settlements to refund ${commit >= MIN_LINE ? 'that' : 'what can be'} to the customer, or take the refund from another share.`,
        );
      plan.cancel.push(split.id);
      plan.lines.push({ split, amount, doNotRecover: true });
      commit -= amount;
    } else if (amount <= Math.min(unsettledRest(split), commit)) {
      plan.lines.push({ split, amount, doNotRecover: true });
      commit -= amount;
    } else if (amount <= recoverable(split)) {
      plan.lines.push({ split, amount, doNotRecover: false });
    } else {
      throw bad(
        `${shareOf(split)} has ${inr(Math.max(unsettledRest(split), recoverable(split)))} left to refund, not ${inr(amount)}.`,
      );
    }
  }
  return plan;
}

/** A share as the till last read it (the port's SplitState): all the rule needs to draw a refund. */
function moneyOfShares(shares: KnownShares): ChargeMoney {
  return {
    paid: true,
    captured: shares.captured,
    refunded: shares.refunded,
    splits: shares.splits.map((share): SplitMoney => {
      const status = share.status.toUpperCase();
      const settled = status === 'RELEASED' ? share.releasedAmount : 0;
      // The till keeps what was refunded of a share, not how: what it never settled went back first
      // (the rest of a partial release is refunded with it; a cancelled share is refunded whole).
      const unsettled = status === 'HOLD' ? 0 : Math.max(0, share.amount - settled);
      const unrecovered = Math.min(share.refundedAmount, unsettled);
      return {
        id: share.id,
        merchantId: share.merchantId,
        settlementReference: null,
        amount: share.amount,
        onHold: status === 'HOLD',
        status,
        releaseAmount: status === 'RELEASED' && settled < share.amount ? settled : null,
        settled,
        unrecovered,
        recovered: share.refundedAmount - unrecovered,
      };
    }),
  };
}

/** The money once a refund drawn by `plan` is made: its held splits cancelled, its lines refunded. */
function afterRefund(money: ChargeMoney, plan: RefundPlan, amount: number): ChargeMoney {
  return {
    ...money,
    refunded: money.refunded + amount,
    splits: money.splits.map((split) => {
      const mine = plan.lines.filter((line) => line.split.id === split.id);
      const sum = (dnr: boolean) =>
        mine.filter((line) => line.doNotRecover === dnr).reduce((total, line) => total + line.amount, 0);
      return {
        ...split,
        status: plan.cancel.includes(split.id) ? 'CANCELLED' : split.status,
        unrecovered: split.unrecovered + sum(true),
        recovered: split.recovered + sum(false),
      };
    }),
  };
}

/**
 * The port's drawRefund: the shares a refund naming none is drawn from (allocateRefund), on the shares
 * as the till last read them, after the refunds queued before it (each as named, or drawn by the same
 * rule; one Plural will refuse takes nothing). Throws the refusal Plural's refund would make.
 */
export function drawFromShares(
  shares: KnownShares,
  amount: number,
  queued: readonly RefundAsked[] = [],
): { splitId: string; amount: number }[] {
  if (shares.splits.length === 0) return [];
  let money = moneyOfShares(shares);
  for (const asked of queued) {
    if (asked.amount > refundRoom(money)) continue;
    let plan: RefundPlan;
    try {
      plan =
        asked.splits && asked.splits.length > 0
          ? explicitRefund(money, asked.splits)
          : allocateRefund(money, asked.amount);
    } catch (error) {
      if (error instanceof GatewayError) continue;
      throw error;
    }
    money = afterRefund(money, plan, asked.amount);
  }
  return allocateRefund(money, amount).lines.map((line) => ({ splitId: line.split.id, amount: line.amount }));
}
