/** The words a cashier is told when a payment has nothing left to refund (common/refunds.ts). */
import { describe, expect, it } from 'vitest';
import { formatAmount } from '../../common/money';
import {
  atMostText,
  disputedAmount,
  nothingLeftText,
  pendingRefunds,
  shareAtMostText,
  shareSpentText,
} from '../../common/refunds';

const eur = (minor: number) => formatAmount(minor, 'EUR');

describe('nothingLeftText', () => {
  it('names what was refunded', () => {
    expect(nothingLeftText(eur, { refunded: 1250 })).toBe('Nothing is left to refund: €12.50 was refunded already.');
  });

  it('says a queued refund will be sent, so the cashier does not ask again', () => {
    expect(nothingLeftText(eur, { refunded: 0, queued: { count: 1, amount: 1250 }, gateway: 'PayPlug' })).toBe(
      'Nothing is left to refund: a refund of €12.50 already asked for is waiting for PayPlug. It will be sent when PayPlug is reachable: do not refund again.',
    );
  });

  it('joins what was refunded, disputed and queued', () => {
    expect(
      nothingLeftText(eur, { refunded: 500, disputed: 300, queued: { count: 2, amount: 700 }, gateway: 'PlutoPay' }),
    ).toBe(
      "Nothing is left to refund: €5.00 was refunded already, the customer's bank disputes €3.00 of this payment and 2 refunds of €7.00 already asked for are waiting for PlutoPay. They will be sent when PlutoPay is reachable: do not refund again.",
    );
  });

  it('a disputed payment with nothing refunded says the dispute', () => {
    expect(nothingLeftText(eur, { refunded: 0, disputed: 2000 })).toBe(
      "Nothing is left to refund: the customer's bank disputes €20.00 of this payment.",
    );
  });
});

describe('refunds the gateway holds as pending', () => {
  it('are said as asked for and not yet confirmed, not as refunded', () => {
    expect(nothingLeftText(eur, { refunded: 2000, pending: { count: 1, amount: 2000 }, gateway: 'Plural' })).toBe(
      'Nothing is left to refund: a refund of €20.00 asked for is not yet confirmed by Plural. Plural is still processing it: do not refund again.',
    );
  });

  it('say apart what was confirmed, and join a queued refund', () => {
    expect(
      nothingLeftText(eur, {
        refunded: 1500,
        pending: { count: 2, amount: 1000 },
        queued: { count: 1, amount: 500 },
        gateway: 'PlutoPay',
      }),
    ).toBe(
      'Nothing is left to refund: €5.00 was refunded already, 2 refunds of €10.00 asked for are not yet confirmed by PlutoPay and a refund of €5.00 already asked for is waiting for PlutoPay. The one waiting will be sent when PlutoPay is reachable and PlutoPay is still processing the other: do not refund again.',
    );
  });

  it('are counted from a payment refunds by their status', () => {
    expect(
      pendingRefunds([
        { status: 'succeeded', amount: 100 },
        { status: 'pending', amount: 200 },
        { status: 'queued', amount: 400 },
        { status: 'pending', amount: 800 },
      ]),
    ).toEqual({ count: 2, amount: 1000 });
  });
});

describe('at most', () => {
  it('names disputed money as why no more is left', () => {
    expect(atMostText(eur, 500, 1500)).toBe(
      "The refund amount can be at most €5.00: the customer's bank disputes €15.00 of this payment.",
    );
    expect(atMostText(eur, 500)).toBe('The refund amount can be at most €5.00, what is left to refund.');
    expect(shareAtMostText(eur, 1000, '1324')).toBe(
      "The refund amount can be at most €10.00, what is left of 1324's share: refund less, or take it from another share.",
    );
  });

  it('counts open and lost disputes, not won ones', () => {
    expect(
      disputedAmount([
        { status: 'needs_response', amount: 100 },
        { status: 'lost', amount: 200 },
        { status: 'won', amount: 400 },
      ]),
    ).toBe(300);
  });
});

describe('shareSpentText', () => {
  it('gives the way out', () => {
    expect(shareSpentText('stall-7')).toBe("Nothing is left of stall-7's share to refund; refund from another share.");
  });
});
