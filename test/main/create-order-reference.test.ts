/**
 * A create that names no order gets one derived from its requestId (the charge's own name), so the
 * same charge sent twice is one payment or plan. Two different charges must never be one order:
 * cut to an order reference's 64 characters, two long request ids alike but for their end were.
 */
import { describe, expect, it } from 'vitest';
import { createOrderReference } from '../../main/payments/create-requests';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill } from '../support/payment-till';

/** A request id as long as the contract allows (`req_` + 64), ending in `end`. */
const longRequestId = (end: string) => `req_${'a'.repeat(64 - end.length)}${end}`;

describe('the order a create without one is for', () => {
  it('two long request ids that differ only at their end are two orders, each the same every time', () => {
    const first = createOrderReference({ requestId: longRequestId('1') });
    const second = createOrderReference({ requestId: longRequestId('2') });
    expect(first).not.toBe(second);
    for (const order of [first, second]) expect(order).toMatch(/^[A-Za-z0-9._:#/-]{1,64}$/);
    expect(createOrderReference({ requestId: longRequestId('1') })).toBe(first);
    // A request id that fits keeps the order it always had (journals from before use it).
    expect(createOrderReference({ requestId: 'req_double0002' })).toBe('ord_double0002');
    expect(createOrderReference({ requestId: 'req_double0002', orderReference: 'ORD-7' })).toBe('ORD-7');
  });

  it('two charges named by such ids make two payments, not one handed back to the second', async () => {
    const gateway = new FakeGateway();
    const till = paymentTill(openDatabase(':memory:'), new FakeClock(), gateway);
    const charge = (requestId: string) =>
      till.service.commands.create({ amount: 1500, currency: 'EUR', captureMethod: 'automatic', requestId });
    const first = await charge(longRequestId('1'));
    const second = await charge(longRequestId('2'));
    expect(second.id).not.toBe(first.id);
    expect(second.orderReference).not.toBe(first.orderReference);
    // The same charge sent again is still its own payment.
    expect((await charge(longRequestId('2'))).id).toBe(second.id);
    expect(gateway.payments.size).toBe(2);
    till.close();
  });
});
