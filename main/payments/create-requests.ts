/**
 * The charges the screen named (payments.create's requestId), so a cancel can name one before the
 * host has reported its payment (payments.cancelCreate: Esc right after Enter, then perhaps a
 * reload). A cancel may reach the host before its create, while the create waits for its order's
 * lock, or after its payment is journaled: the create reads `cancelAsked` at the moment it
 * journals the payment, so the cancel and the payment are one commit, and a payment whose cancel
 * came first is never sent anywhere.
 *
 * Memory only, and that is enough: until the create has journaled its payment nothing can be
 * charged, and a till that stops before then has neither the create nor the cancel to act on
 * (commands that move money are never re-sent by the screen). From the payment's commit on, the
 * cancel is the journal's (`cancelAskedAt`, or the payment canceled).
 */
import { createHash } from 'node:crypto';
import { newId } from '../core/ids';

/** An order reference's longest (common/contract's OrderReference). */
const ORDER_REFERENCE_MAX = 64;

/**
 * The order a create (a payment, an installment plan) is for: the one it names, else one derived
 * from the charge's own name (its requestId), so the same charge sent twice (a double press, a
 * program resending after a dropped bridge) finds its first payment or plan under the order's lock
 * instead of making a second. Only a create that names neither gets a new order. A request id too
 * long for `ord_` + its name is named by its digest instead (`ord.` + 60 hex digits of SHA-256; a
 * request id has no `.`, so no short one reads the same): cut to 64, two ids alike but for their
 * end were one order, and the second charge was handed the first's payment.
 */
export function createOrderReference(input: { orderReference?: string; requestId?: string }): string {
  if (input.orderReference) return input.orderReference;
  if (input.requestId) {
    const plain = `ord_${input.requestId.slice('req_'.length)}`;
    if (plain.length <= ORDER_REFERENCE_MAX) return plain;
    const digest = createHash('sha256').update(input.requestId, 'utf8').digest('hex');
    return `ord.${digest.slice(0, ORDER_REFERENCE_MAX - 'ord.'.length)}`;
  }
  return newId('ord', 12);
}

export interface CreateRequest {
  /** The cashier asked to cancel this charge. */
  cancelAsked: boolean;
  /** The payment the create journaled or found open for its order; null until then. */
  paymentId: string | null;
  /** The create has reached the host. */
  received: boolean;
  /** The create has ended (answered or refused). */
  finished: boolean;
  /** Resolves once the create has a payment (its id) or has ended without one (null). */
  readonly decided: Promise<string | null>;
}

/** What the create itself sees of its request. */
export interface ArrivedCreate {
  /** Read when the payment is journaled: asked already, it is journaled canceled (or held open, not sent). */
  readonly cancelAsked: boolean;
  /** The payment the create journaled, or the order's open one it hands back. */
  has(paymentId: string): void;
  /** The create is over (in a finally). */
  ended(): void;
}

interface Entry extends CreateRequest {
  settle(paymentId: string | null): void;
}

/** How many charges are remembered; the screen asks for a cancel within moments of its create. */
const KEPT = 500;

export class CreateRequests {
  private readonly entries = new Map<string, Entry>();

  /** The request, made (not asked to cancel, not arrived) if the host had not heard of it. */
  private entry(requestId: string): Entry {
    const entry = this.entries.get(requestId);
    if (entry) return entry;
    let settle: (paymentId: string | null) => void = () => {};
    const decided = new Promise<string | null>((resolve) => (settle = resolve));
    const made: Entry = {
      cancelAsked: false,
      paymentId: null,
      received: false,
      finished: false,
      decided,
      settle: (paymentId) => {
        if (made.paymentId === null && paymentId !== null) made.paymentId = paymentId;
        settle(paymentId);
      },
    };
    this.entries.set(requestId, made);
    // The oldest are forgotten first (a Map keeps insertion order).
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= KEPT) break;
      this.entries.delete(oldest);
    }
    return made;
  }

  /** The create has arrived (called before it awaits anything): the cancel, if asked already, is in it. */
  arrived(requestId: string): ArrivedCreate {
    const entry = this.entry(requestId);
    entry.received = true;
    return {
      get cancelAsked() {
        return entry.cancelAsked;
      },
      has: (paymentId) => entry.settle(paymentId),
      ended: () => {
        entry.finished = true;
        entry.settle(null);
      },
    };
  }

  /** The cashier cancels the charge (held if its create has not arrived). */
  askCancel(requestId: string): CreateRequest {
    const request = this.entry(requestId);
    request.cancelAsked = true;
    return request;
  }
}
