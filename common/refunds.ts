/**
 * Why a payment has nothing left to refund, said so the cashier knows not to try again (it said "The
 * refund amount can be at most €0.00, what is left to refund", which left the cashier nothing to do):
 * what was refunded, what a customer's bank disputes, and the refunds already asked for that are
 * still waiting for the gateway — those will be sent, so asking again would refund twice. One wording
 * for the host's refusal and the Transactions details, which say it instead of offering a refund form.
 */
export function nothingLeftText(
  money: (minor: number) => string,
  parts: { refunded: number; disputed?: number; queued?: { count: number; amount: number }; gateway?: string },
): string {
  const { refunded, disputed = 0, queued, gateway = 'the gateway' } = parts;
  const why: string[] = [];
  if (refunded > 0) why.push(`${money(refunded)} was refunded already`);
  if (disputed > 0) why.push(`the customer's bank disputes ${money(disputed)} of this payment`);
  const one = queued?.count === 1;
  if (queued && queued.count > 0)
    why.push(
      `${one ? 'a refund' : `${queued.count} refunds`} of ${money(queued.amount)} already asked for ${one ? 'is' : 'are'} waiting for ${gateway}`,
    );
  const reasons = why.length > 1 ? `${why.slice(0, -1).join(', ')} and ${why[why.length - 1]}` : (why[0] ?? '');
  const text = `Nothing is left to refund${reasons ? `: ${reasons}` : ''}.`;
  return queued && queued.count > 0
    ? `${text} ${one ? 'It' : 'They'} will be sent when ${gateway} is reachable: do not refund again.`
    : text;
}

/** A share of a split payment (Plural) with nothing left to refund: the way out is another share. */
export function shareSpentText(merchantId: string): string {
  return `Nothing is left of ${merchantId}'s share to refund; refund from another share.`;
}
