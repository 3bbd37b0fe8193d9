/**
 * What of a split payment's shares its captured money funds (split settlement, see
 * docs/reports.md#split-settlement). Pure. One rule for every figure that says what a share holds:
 * the report's split settlement section, the Settlements screen's held totals and each share's
 * `held`, and the refusal of a release no captured money is left for.
 */

/** What of a share is held, settled to its merchant (released), and not theirs (returned). */
export interface ShareFigures {
  held: number;
  released: number;
  returned: number;
}

/** A share as the funding rule reads it (a report's share, or the journal's split row). */
export interface FundedShare {
  /** Minor units of its payment's currency. */
  readonly amount: number;
  /** The gateway's word: HOLD, RELEASED, CANCELLED (REQUESTED before the gateway had the payment). */
  readonly status: string;
  /** Settled to the merchant (the share, or part of it after a partial release). */
  readonly released: number;
  /** When the share came to this status (ISO 8601); absent: in the order given. */
  readonly at?: string | null;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Payment statuses after which nothing more is or will be captured of a payment that captured
 * nothing: a pre-authorisation voided (cancelled before capture), or a payment that failed. Its
 * shares hold nothing, whatever the gateway still calls them (Plural leaves them HOLD on a void).
 */
export const NOTHING_CAPTURED: ReadonlySet<string> = new Set(['canceled', 'failed']);

/**
 * Payment statuses before the customer pays (a link sent, the card not presented yet): nothing is
 * authorised or captured yet, so its held shares hold nothing — they will, once it is paid. Plural
 * says HOLD from the order's creation. An authorised pre-authorisation (`requires_capture`) is not
 * among them: its shares are held pending capture.
 */
export const NOT_PAID_YET: ReadonlySet<string> = new Set(['creating', 'in_progress', 'pending']);

/**
 * Payment statuses whose outcome the till does not know (`unknown`: it may or may not have been
 * charged, the gateway may or may not have it). Money that may not exist is not held: its held
 * shares hold nothing and are said apart, *not known yet* (SplitView.outcomeUnknown), until the
 * payment is resolved — then held (paid) or nothing (not charged).
 */
export const OUTCOME_UNKNOWN: ReadonlySet<string> = new Set(['unknown']);

/**
 * A share as the gateway states it: held, or settled to the merchant and the rest not theirs. A
 * share not held is RELEASED from the order's creation but settles nothing until the money is
 * captured (a pre-authorisation only authorised): it is the merchant's whole, settled at capture,
 * never given back (a release is of ₹1 at least, so RELEASED with nothing settled is only that).
 */
export function wholeShare(share: FundedShare): ShareFigures {
  if (share.status !== 'RELEASED' && share.status !== 'CANCELLED')
    return { held: share.amount, released: 0, returned: 0 };
  const released =
    share.status !== 'RELEASED' ? 0 : share.released > 0 ? Math.min(share.released, share.amount) : share.amount;
  return { held: 0, released, returned: share.amount - released };
}

/**
 * What of each share (in the order given) `captured` funds, or null when that is all of them:
 * nothing captured yet (authorised only), or all captured. `ended`: nothing more will be captured
 * (NOTHING_CAPTURED: voided, failed) — with nothing captured, every share is funded by nothing.
 * After a partial capture the shares cannot together exceed what was captured — the gateway
 * settles and gives back only captured
 * money (Plural: settled + given back ≤ captured). So the money that moved comes first, in the
 * order it moved: each share released or cancelled, its settled part, then its rest given back, as
 * far as the captured money still covers them; what is left of it is shared by the held shares, in
 * proportion to their amounts (largest remainders, ties to the earlier share). The part of a share
 * nothing funds was never captured: it is in no figure.
 */
export function fundShares(captured: number, shares: readonly FundedShare[], ended = false): ShareFigures[] | null {
  const total = shares.reduce((sum, share) => sum + share.amount, 0);
  if (captured <= 0 && ended) return shares.map(() => ({ held: 0, released: 0, returned: 0 }));
  if (captured <= 0 || captured >= total) return null;
  let room = captured;
  const figures = shares.map((): ShareFigures => ({ held: 0, released: 0, returned: 0 }));
  const moved = shares
    .map((share, index) => ({ share, index }))
    .filter(({ share }) => share.status === 'RELEASED' || share.status === 'CANCELLED')
    .sort((a, b) => byText(a.share.at ?? '', b.share.at ?? '') || a.index - b.index);
  for (const { share, index } of moved) {
    const whole = wholeShare(share);
    const released = Math.min(whole.released, room);
    room -= released;
    const returned = Math.min(whole.returned, room);
    room -= returned;
    figures[index] = { held: 0, released, returned };
  }
  const held = shares.map((share, index) => ({ index, amount: wholeShare(share).held })).filter((h) => h.amount > 0);
  const heldTotal = held.reduce((sum, h) => sum + h.amount, 0);
  if (heldTotal <= room) {
    for (const h of held) figures[h.index]!.held = h.amount;
    return figures;
  }
  const exact = held.map((h) => ({ ...h, value: (room * h.amount) / heldTotal }));
  for (const h of exact) figures[h.index]!.held = Math.floor(h.value);
  let left = room - exact.reduce((sum, h) => sum + Math.floor(h.value), 0);
  for (const h of [...exact].sort((a, b) => b.value - Math.floor(b.value) - (a.value - Math.floor(a.value)))) {
    if (left === 0) break;
    figures[h.index]!.held++;
    left--;
  }
  return figures;
}

/**
 * What each share holds now, by the rule above: a held share's funded part (its whole amount while
 * the captured money covers it, or while authorised and not captured yet), 0 for any other.
 * `captured`: what was captured of the payment; `status`: the payment's (a voided one holds nothing:
 * nothing was captured; one not paid yet holds nothing until it is; nor one whose outcome is not
 * known: it may never have been charged).
 */
export function heldByShare(captured: number, shares: readonly FundedShare[], status = ''): number[] {
  if (NOT_PAID_YET.has(status) || OUTCOME_UNKNOWN.has(status)) return shares.map(() => 0);
  const funded = fundShares(captured, shares, NOTHING_CAPTURED.has(status));
  return shares.map((share, index) =>
    share.status === 'HOLD' ? (funded ? funded[index]!.held : wholeShare(share).held) : 0,
  );
}
