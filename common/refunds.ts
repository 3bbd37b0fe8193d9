/** Refunds counted together: how many, and how much money they are for (minor units). */
export interface RefundCount {
  count: number;
  amount: number;
}

/**
 * Why a payment has nothing left to refund, said so the cashier knows not to try again (it said "The
 * refund amount can be at most €0.00, what is left to refund", which left the cashier nothing to do):
 * what was refunded, what a customer's bank disputes, the refunds the gateway holds as pending (asked
 * for, not yet confirmed: part of `refunded` as the gateway counts it, said apart from what is
 * refunded), and the refunds already asked for that are still waiting in the till's queue — those will
 * be sent, so asking again would refund twice. One wording for the host's refusal and the Transactions
 * details, which say it instead of offering a refund form.
 */
export function nothingLeftText(
  money: (minor: number) => string,
  parts: { refunded: number; disputed?: number; pending?: RefundCount; queued?: RefundCount; gateway?: string },
): string {
  const { refunded, disputed = 0, queued, gateway = 'the gateway' } = parts;
  const pending = parts.pending && parts.pending.count > 0 ? parts.pending : null;
  const pendingAmount = pending ? Math.min(pending.amount, refunded) : 0;
  const why: string[] = [];
  if (refunded - pendingAmount > 0) why.push(`${money(refunded - pendingAmount)} was refunded already`);
  if (pending)
    why.push(
      `${pending.count === 1 ? 'a refund' : `${pending.count} refunds`} of ${money(pendingAmount)} asked for ${pending.count === 1 ? 'is' : 'are'} not yet confirmed by ${gateway}`,
    );
  if (disputed > 0) why.push(`the customer's bank disputes ${money(disputed)} of this payment`);
  const one = queued?.count === 1;
  if (queued && queued.count > 0)
    why.push(
      `${one ? 'a refund' : `${queued.count} refunds`} of ${money(queued.amount)} already asked for ${one ? 'is' : 'are'} waiting for ${gateway}`,
    );
  const reasons = why.length > 1 ? `${why.slice(0, -1).join(', ')} and ${why[why.length - 1]}` : (why[0] ?? '');
  const text = `Nothing is left to refund${reasons ? `: ${reasons}` : ''}.`;
  const then: string[] = [];
  if (queued && queued.count > 0)
    then.push(`${pending ? 'the one waiting' : one ? 'it' : 'they'} will be sent when ${gateway} is reachable`);
  if (pending)
    then.push(
      `${gateway} is still processing ${queued && queued.count > 0 ? 'the other' : pending.count === 1 ? 'it' : 'them'}`,
    );
  if (then.length === 0) return text;
  const said = then.join(' and ');
  return `${text} ${said[0]!.toUpperCase()}${said.slice(1)}: do not refund again.`;
}

/** A share of a split payment (Plural) with nothing left to refund: the way out is another share. */
export function shareSpentText(merchantId: string): string {
  return `Nothing is left of ${merchantId}'s share to refund; refund from another share.`;
}

/** More than a share has left (Plural): the most it can give, and the way out. */
export function shareAtMostText(money: (minor: number) => string, most: number, merchantId: string): string {
  return `The refund amount can be at most ${money(most)}, what is left of ${merchantId}'s share: refund less, or take it from another share.`;
}

/**
 * A part of a held share (Plural): the gateway refunds a held share only whole, by cancelling it. One
 * wording for the gateway's own check, the host's before anything is journaled or queued, and the
 * refund form's before anything is sent.
 */
export function heldShareWholeText(
  money: (minor: number) => string,
  whole: number,
  merchantId: string,
  gateway = 'Plural',
): string {
  return `${merchantId}'s share is held: ${gateway} refunds a held share only whole (${money(whole)}). Refund all of it, or release it first to refund part of it.`;
}

/**
 * A refund naming no share that the gateway's own rule cannot draw (Plural: held shares go back only
 * whole, so some amounts would need part of one): the held shares in the way, and the nearest amounts
 * below and above it the rule can draw. One wording for the gateway's own check and the host's before
 * anything is journaled or queued.
 */
export function uncoveredRefundText(
  money: (minor: number) => string,
  parts: { amount: number; held: readonly string[]; below: number | null; above: number | null },
  gateway = 'Plural',
): string {
  const { amount, held, below, above } = parts;
  const why =
    held.length === 0
      ? ' as they stand'
      : held.length === 1
        ? ` without part of ${held[0]}'s held share, which goes back only whole`
        : ` without part of the held shares of ${held.slice(0, -1).join(', ')} and ${held[held.length - 1]}, which go back only whole`;
  const instead = [below, above].filter((other): other is number => other !== null).map((other) => money(other));
  const refund = instead.length > 0 ? `refund ${instead.join(', or ')}, or ` : '';
  return `${gateway} cannot take ${money(amount)} from these shares${why}: ${refund}choose the share to take it from.`;
}

/**
 * More than is left to refund: the most, and why it is no more when a customer's bank disputes part of
 * the payment (that money is not the shop's to refund; the gateway would refuse it).
 */
export function atMostText(money: (minor: number) => string, most: number, disputed = 0): string {
  return (
    `The refund amount can be at most ${money(Math.max(most, 0))}` +
    (disputed > 0 ? `: the customer's bank disputes ${money(disputed)} of this payment.` : ', what is left to refund.')
  );
}

/** Money a customer's bank disputes (open, or lost): not the shop's to refund. A won dispute gave it back. */
export function disputedAmount(disputes: readonly { status: string; amount: number }[]): number {
  return disputes.filter((dispute) => dispute.status !== 'won').reduce((sum, dispute) => sum + dispute.amount, 0);
}

/** A gateway's refunds it holds as pending (asked for, not yet confirmed), among a payment's refunds. */
export function pendingRefunds(refunds: readonly { status: string; amount: number }[]): RefundCount {
  const pending = refunds.filter((refund) => refund.status === 'pending');
  return { count: pending.length, amount: pending.reduce((sum, refund) => sum + refund.amount, 0) };
}
