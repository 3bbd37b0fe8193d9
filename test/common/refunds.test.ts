/** The words a cashier is told when a payment has nothing left to refund (common/refunds.ts). */
import { describe, expect, it } from 'vitest';
import { formatAmount } from '../../common/money';
import { nothingLeftText, shareSpentText } from '../../common/refunds';

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

describe('shareSpentText', () => {
  it('gives the way out', () => {
    expect(shareSpentText('stall-7')).toBe("Nothing is left of stall-7's share to refund; refund from another share.");
  });
});
