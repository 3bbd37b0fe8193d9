/**
 * The checkout sessions (PlutoPay's payment pages) this process made or found, by the transaction
 * each pays: their page and expiry never change, so a link's QR code needs no lookup at the gateway.
 *
 * Only a shortcut: a session not held here is looked up at the gateway (the newest
 * SESSION_LOOKUP_PAGES pages of 100), as after every restart. So it is bounded — a till takes links
 * for weeks without a restart, and one was kept for every link it ever withdrew or left unpaid:
 * - a session goes when its payment is no longer payable: paid, failed or canceled, as read, and at
 *   once when the till withdraws the link (the gateway's own answers then say so);
 * - at most `capacity` are held (default CHECKOUT_SESSIONS_KEPT, as many as a lookup reaches); past
 *   that, the one used least recently goes. Losing one costs a lookup, never the page: one the
 *   lookup cannot reach any more would not be found after a restart either.
 */
import type { CheckoutSession } from './schemas';

/** Pages of 100 checkout sessions, newest first, searched for one the till made. */
export const SESSION_LOOKUP_PAGES = 3;

/** How many sessions are held at most: as many as a lookup at the gateway reaches. */
export const CHECKOUT_SESSIONS_KEPT = SESSION_LOOKUP_PAGES * 100;

export class CheckoutSessions {
  /** In order of use, the least recently used first (a Map keeps insertion order). */
  private readonly byTransaction = new Map<string, CheckoutSession>();

  constructor(readonly capacity = CHECKOUT_SESSIONS_KEPT) {
    if (!(capacity >= 1)) throw new RangeError('at least one checkout session must be kept');
  }

  get size(): number {
    return this.byTransaction.size;
  }

  get(transactionId: string): CheckoutSession | undefined {
    const session = this.byTransaction.get(transactionId);
    if (session) this.touch(transactionId, session);
    return session;
  }

  set(session: CheckoutSession): void {
    this.touch(session.transaction_id, session);
    while (this.byTransaction.size > this.capacity) this.byTransaction.delete(this.byTransaction.keys().next().value!);
  }

  /** The session's payment can no longer be paid on its page: nothing asks for the page again. */
  delete(transactionId: string): void {
    this.byTransaction.delete(transactionId);
  }

  private touch(transactionId: string, session: CheckoutSession): void {
    this.byTransaction.delete(transactionId);
    this.byTransaction.set(transactionId, session);
  }
}
