import { describe, expect, it } from 'vitest';
import { DECLINE_CODES, declineInfo, isDeclineCode } from '../../common/decline-codes';
import { declineFields } from '../../main/payments/sync';

describe('decline codes', () => {
  it('gives every known code cashier words and tells a refused card from an unfinished payment', () => {
    for (const [code, info] of Object.entries(DECLINE_CODES)) {
      expect(info.cashier.trim(), code).not.toBe('');
      expect(info.gateway.trim(), code).not.toBe('');
      // Nothing was refused when the reader or the link never took a card: the same payment goes again.
      const unfinished = code.startsWith('reader_') || code === 'link_expired' || code === 'no_payment_page';
      expect(info.kind, code).toBe(unfinished ? 'not_completed' : 'declined');
    }
    expect(declineInfo('insufficient_funds')).toMatchObject({ kind: 'declined', anotherCard: true });
    expect(declineInfo('reader_timeout')).toMatchObject({ kind: 'not_completed', anotherCard: true });
  });

  it('answers a code it does not know with a generic decline, names of Object.prototype included', () => {
    for (const code of ['do_not_honor', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '']) {
      expect(isDeclineCode(code), code).toBe(false);
      expect(declineInfo(code), code).toEqual({
        gateway: 'The payment was declined.',
        cashier: 'Payment declined. Ask for another card.',
        anotherCard: true,
        kind: 'declined',
      });
    }
  });

  it("shows the gateway's own words for a code the till does not know, its own words for one it does", () => {
    // A gateway passes codes the till has no words for: its reason is more use than a generic one.
    expect(declineFields('do_not_honor', 'The issuer refused the payment.')).toEqual({
      declineCode: 'do_not_honor',
      declineMessage: 'The issuer refused the payment.',
    });
    expect(declineFields('do_not_honor', null)).toEqual({
      declineCode: 'do_not_honor',
      declineMessage: 'Payment declined. Ask for another card.',
    });
    expect(declineFields('insufficient_funds', 'Insufficient funds to cover the payment.')).toEqual({
      declineCode: 'insufficient_funds',
      declineMessage: 'Not enough funds on this card. Ask for another card.',
    });
  });
});
