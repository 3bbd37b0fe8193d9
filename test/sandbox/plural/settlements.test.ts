/** Split settlements (release, partial release, cancel) and refunds, per split where the order has splits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inr, startPlural, type Order, type PluralError, type PluralHarness, type Split } from './helpers';

let h: PluralHarness;
beforeEach(async () => {
  h = await startPlural();
});
afterEach(() => h.close());

const release = (order: Order, split: string, body?: unknown) =>
  h.api.call<{ data: Order } & PluralError>(
    'PATCH',
    `/api/pay/v1/orders/${order.order_id}/settlementId/${order.order_id}-ss-${split}/release`,
    body,
  );
const cancelSplit = (order: Order, split: string) =>
  h.api.call<{ data: Order } & PluralError>(
    'PATCH',
    `/api/pay/v1/orders/${order.order_id}/settlementId/${order.order_id}-ss-${split}/cancel`,
  );
const refund = (order: Order, body: Record<string, unknown>) =>
  h.api.call<{ data: Order } & PluralError>('POST', `/api/pay/v1/refunds/${order.order_id}`, body);

function line(order: Order, split: string, merchant: string, value: number | string, status?: string) {
  return {
    parent_order_split_settlement_id: `${order.order_id}-ss-${split}`,
    split_merchant_id: merchant,
    merchant_settlement_reference: `msr-${split}`,
    amount: { value, currency: 'INR' },
    ...(status === undefined ? {} : { status }),
  };
}

function splitRefund(reference: string, lines: Array<ReturnType<typeof line>>, total?: number) {
  return {
    merchant_order_reference: reference,
    order_amount: inr(total ?? lines.reduce((sum, l) => sum + Number(l.amount.value), 0)),
    split_info: { split_type: 'AMOUNT', split_details: lines },
  };
}

function splitOf(order: Order, letter: string): Split {
  return order.purchase_details.split_info!.split_details.find((s) => s.split_settlement_id.endsWith(`-ss-${letter}`))!;
}

async function paidSplitOrder(): Promise<Order> {
  const created = await h.api.splitOrder();
  return (await h.api.pay(created.order_id)).data;
}

describe('release', () => {
  it('releases a held split in full once the order is processed', async () => {
    const order = await paidSplitOrder();
    h.clock.advance(1000);
    const answer = await release(order, 'a');
    expect(answer.status).toBe(200);
    expect(splitOf(answer.body.data, 'a')).toEqual({
      split_merchant_id: '1324',
      split_settlement_id: `${order.order_id}-ss-a`,
      merchant_settlement_reference: 'kshjhfk',
      amount: inr(30000),
      on_hold: false,
      status: 'RELEASED',
      updated_at: '2026-02-16T16:18:01.000Z',
      release_amount: inr(30000),
    });
    expect(answer.body.data.status).toBe('PROCESSED');
    // Only once; and a split released at creation (on_hold false) cannot be released again.
    for (const split of ['a', 'b']) {
      const again = await release(order, split);
      expect(again.status).toBe(422);
      expect(again.body.code).toBe('INVALID_SPLIT_STATE');
    }
  });

  it('is refused before the order is processed (CREATED, PENDING, AUTHORIZED, ATTEMPTED, CANCELLED)', async () => {
    const created = await h.api.splitOrder();
    const pending = await h.api.splitOrder();
    await h.api.call('POST', `/api/pay/v1/orders/${pending.order_id}/payments`, {
      payments: [
        {
          merchant_payment_reference: 'p',
          payment_method: 'CARD',
          payment_amount: inr(50000),
          payment_option: {
            card_details: {
              name: 'N',
              card_number: '4000000000001091',
              cvv: '123',
              expiry_month: '12',
              expiry_year: '2030',
            },
          },
        },
      ],
    });
    const authorized = (await h.api.pay((await h.api.splitOrder({ pre_auth: true })).order_id)).data;
    const attempted = (await h.api.pay((await h.api.splitOrder()).order_id, '4000000000000002')).data;
    const cancelled = (await h.api.pay((await h.api.splitOrder({ pre_auth: true })).order_id)).data;
    await h.api.ok('PUT', `/api/pay/v1/orders/${cancelled.order_id}/cancel`);
    const expected = ['CREATED', 'PENDING', 'AUTHORIZED', 'ATTEMPTED', 'CANCELLED'];
    for (const [index, order] of [created, pending, authorized, attempted, cancelled].entries()) {
      for (const answer of [await release(order, 'a'), await cancelSplit(order, 'a')]) {
        expect(answer.status).toBe(422);
        expect(answer.body.code).toBe('INVALID_ORDER_STATE');
        expect(answer.body.message).toContain(`this order is ${expected[index]}`);
      }
      const fresh = await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`);
      expect(splitOf(fresh, 'a').status).toBe('HOLD');
    }
  });

  it('a partial release leaves the rest to refund with DO_NOT_RECOVER (only that much)', async () => {
    const order = await paidSplitOrder();
    const partial = await release(order, 'a', { release_amount: inr(20000) });
    expect(partial.status).toBe(200);
    expect(splitOf(partial.body.data, 'a')).toMatchObject({
      status: 'RELEASED',
      on_hold: false,
      release_amount: inr(20000),
    });
    // A second, partial or not, is refused: one partial release per split.
    expect((await release(order, 'a', { release_amount: inr(5000) })).body.code).toBe('INVALID_SPLIT_STATE');

    const tooMuch = await refund(order, splitRefund('r-too-much', [line(order, 'a', '1324', 10001, 'DO_NOT_RECOVER')]));
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ code: 'AMOUNT_EXCEEDED', param: 'split_info.split_details[0].amount.value' });

    const answer = await refund(order, splitRefund('r-rest', [line(order, 'a', '1324', 10000, 'DO_NOT_RECOVER')]));
    expect(answer.status).toBe(200);
    const refundOrder = answer.body.data;
    expect(refundOrder).toMatchObject({
      parent_order_id: order.order_id,
      merchant_order_reference: 'r-rest',
      type: 'REFUND',
      status: 'PROCESSED',
      order_amount: inr(10000),
    });
    expect(refundOrder.order_id).not.toBe(order.order_id);
    expect(refundOrder.purchase_details.split_info!.split_details).toEqual([
      {
        parent_order_split_settlement_id: `${order.order_id}-ss-a`,
        split_merchant_id: '1324',
        split_settlement_id: `${refundOrder.order_id}-ss-a`,
        merchant_settlement_reference: 'msr-a',
        amount: inr(10000),
        status: 'DO_NOT_RECOVER',
      },
    ]);
    expect(refundOrder.payments![0]).toMatchObject({ id: `${refundOrder.order_id}-cc-a`, status: 'PROCESSED' });
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('PARTIALLY_REFUNDED');
    expect(await h.api.ok('GET', '/api/pay/v1/orders/reference/r-rest')).toEqual(refundOrder);

    // Nothing unsettled is left on that split; the settled 20000 can still be recovered (blank status).
    const more = await refund(order, splitRefund('r-more', [line(order, 'a', '1324', 100, 'DO_NOT_RECOVER')]));
    expect(more.body.code).toBe('AMOUNT_EXCEEDED');
    const recover = await refund(order, splitRefund('r-recover', [line(order, 'a', '1324', 20000, '')]));
    expect(recover.status).toBe(200);
    expect(recover.body.data.purchase_details.split_info!.split_details[0]).not.toHaveProperty('status');
    const ledger = (await h.api.ledger())[0]!;
    expect(ledger.splits).toEqual([
      expect.objectContaining({
        status: 'RELEASED',
        amount: 30000,
        released: 20000,
        refunded_recovered: 20000,
        refunded_not_recovered: 10000,
        unsettled_remainder: 0,
      }),
      expect.objectContaining({ status: 'RELEASED', released: 20000, refunded_recovered: 0 }),
    ]);
  });

  it('refuses a release larger than the split, or malformed', async () => {
    const order = await paidSplitOrder();
    const cases: Array<[unknown, number, string]> = [
      [{ release_amount: inr(30001) }, 422, 'release_amount.value'],
      [{ release_amount: inr(99) }, 400, 'release_amount.value'],
      [{ release_amount: { value: 100, currency: 'USD' } }, 400, 'release_amount.currency'],
      [{ release_amount: 20000 }, 400, 'release_amount'],
      [{ amount: inr(100) }, 400, 'amount'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await release(order, 'a', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.param).toBe(param);
    }
    const unknown = await h.api.call<PluralError>(
      'PATCH',
      `/api/pay/v1/orders/${order.order_id}/settlementId/${order.order_id}-ss-z/release`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect(splitOf(await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`), 'a').status).toBe('HOLD');
  });
});

describe('cancel a settlement', () => {
  it('cancels a held split; its amount is then refunded with DO_NOT_RECOVER', async () => {
    const order = await paidSplitOrder();
    const answer = await cancelSplit(order, 'a');
    expect(answer.status).toBe(200);
    expect(splitOf(answer.body.data, 'a')).toMatchObject({ status: 'CANCELLED', on_hold: false });
    expect(splitOf(answer.body.data, 'a')).not.toHaveProperty('release_amount');
    for (const again of [await cancelSplit(order, 'a'), await release(order, 'a'), await cancelSplit(order, 'b')]) {
      expect(again.status).toBe(422);
      expect(again.body.code).toBe('INVALID_SPLIT_STATE');
    }
    let ledger = (await h.api.ledger())[0]!;
    expect(ledger.splits).toEqual([
      expect.objectContaining({ status: 'CANCELLED', released: 0, unsettled_remainder: 30000 }),
      expect.objectContaining({ status: 'RELEASED', released: 20000, unsettled_remainder: 0 }),
    ]);
    // A blank status would recover money never settled: refused.
    const recover = await refund(order, splitRefund('r-blank', [line(order, 'a', '1324', 30000)]));
    expect(recover.status).toBe(422);
    expect(recover.body.code).toBe('INVALID_SPLIT_STATE');
    const done = await refund(order, splitRefund('r-cancelled', [line(order, 'a', '1324', 30000, 'DO_NOT_RECOVER')]));
    expect(done.status).toBe(200);
    ledger = (await h.api.ledger())[0]!;
    expect(ledger).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded: 30000 });
    expect(ledger.splits).toEqual([
      expect.objectContaining({ status: 'CANCELLED', refunded_not_recovered: 30000, unsettled_remainder: 0 }),
      expect.anything(),
    ]);
  });
});

describe('refunds', () => {
  it('takes the reference’s spelling (amounts as digit strings, split_merchant_id as a number) but nothing looser', async () => {
    const order = await paidSplitOrder();
    const ok = await refund(order, {
      merchant_order_reference: '692dc197-9264-45e6-bb74-95f2cc8608f8',
      order_amount: { value: '20000', currency: 'INR' },
      merchant_metadata: { key1: 'DD', key2: 'XOF' },
      split_info: {
        split_type: 'AMOUNT',
        split_details: [{ ...line(order, 'b', '1233', '20000'), split_merchant_id: 1233 }],
      },
    });
    expect(ok.status).toBe(200);
    // Answers carry integers and the string merchant id, as the tables say.
    expect(ok.body.data.order_amount).toEqual(inr(20000));
    expect(ok.body.data.purchase_details.merchant_metadata).toEqual({ key1: 'DD', key2: 'XOF' });
    expect(ok.body.data.purchase_details.split_info!.split_details[0]).toMatchObject({
      split_merchant_id: '1233',
      amount: inr(20000),
    });
    const loose: Array<[unknown, string]> = [
      ['20000.00', 'order_amount.value'],
      [' 20000', 'order_amount.value'],
      ['1e4', 'order_amount.value'],
      ['', 'order_amount.value'],
      // An integer's digits, as the sample writes "21000": JSON spells no integer with leading zeros.
      ['00100', 'order_amount.value'],
      ['020000', 'order_amount.value'],
    ];
    for (const [value, param] of loose) {
      const answer = await refund(order, {
        merchant_order_reference: 'loose',
        order_amount: { value, currency: 'INR' },
        split_info: { split_type: 'AMOUNT', split_details: [line(order, 'b', '1233', 100)] },
      });
      expect(answer.status, String(value)).toBe(400);
      expect(answer.body).toMatchObject({ code: 'INVALID_REQUEST', param });
    }
    const paddedLine = await refund(order, {
      merchant_order_reference: 'loose',
      order_amount: { value: '100', currency: 'INR' },
      split_info: { split_type: 'AMOUNT', split_details: [line(order, 'b', '1233', '0100')] },
    });
    expect(paddedLine.status).toBe(400);
    expect(paddedLine.body).toMatchObject({
      code: 'INVALID_REQUEST',
      param: 'split_info.split_details[0].amount.value',
      message:
        'split_info.split_details[0].amount.value must be an integer in paise, without leading zeros ("0100" is not one; send 100)',
    });
  });

  it('refuses refunds beyond what is left, per order and per split', async () => {
    const plain = (await h.api.pay((await h.api.createOrder()).order_id)).data;
    expect((await refund(plain, { merchant_order_reference: 'p1', order_amount: inr(30000) })).status).toBe(200);
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${plain.order_id}`)).status).toBe('PARTIALLY_REFUNDED');
    const beyond = await refund(plain, { merchant_order_reference: 'p2', order_amount: inr(20001) });
    expect(beyond.status).toBe(422);
    expect(beyond.body).toMatchObject({ code: 'AMOUNT_EXCEEDED', param: 'order_amount.value' });
    expect((await refund(plain, { merchant_order_reference: 'p3', order_amount: inr(20000) })).status).toBe(200);
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${plain.order_id}`)).status).toBe('FULLY_REFUNDED');
    const after = await refund(plain, { merchant_order_reference: 'p4', order_amount: inr(100) });
    expect(after.status).toBe(422);
    expect(after.body.code).toBe('INVALID_ORDER_STATE');

    const split = await paidSplitOrder();
    const overSplit = await refund(split, splitRefund('s1', [line(split, 'b', '1233', 20001)]));
    expect(overSplit.body).toMatchObject({
      code: 'AMOUNT_EXCEEDED',
      param: 'split_info.split_details[0].amount.value',
    });
    // A held split has nothing settled to recover, and no unsettled rest to refund yet.
    for (const status of [undefined, 'DO_NOT_RECOVER']) {
      const held = await refund(split, splitRefund('s2', [line(split, 'a', '1324', 100, status)]));
      expect(held.status).toBe(422);
      expect(held.body.code).toBe('INVALID_SPLIT_STATE');
    }
    // A fully released split has no unsettled rest either.
    const full = await refund(split, splitRefund('s3', [line(split, 'b', '1233', 100, 'DO_NOT_RECOVER')]));
    expect(full.body.code).toBe('INVALID_SPLIT_STATE');
  });

  it('refuses refunds of unpaid orders, of refund orders, and with inconsistent split lines', async () => {
    const created = await h.api.createOrder();
    expect((await refund(created, { merchant_order_reference: 'u1', order_amount: inr(100) })).body.code).toBe(
      'INVALID_ORDER_STATE',
    );
    const split = await paidSplitOrder();
    const first = (await refund(split, splitRefund('ok-1', [line(split, 'b', '1233', 100)]))).body.data;
    expect((await refund(first, { merchant_order_reference: 'u2', order_amount: inr(100) })).body.code).toBe(
      'INVALID_ORDER_STATE',
    );
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ merchant_order_reference: 'x1', order_amount: inr(100) }, 400, 'split_info'],
      [splitRefund('x2', [line(split, 'b', '1233', 100)], 200), 400, 'split_info.split_details'],
      [
        splitRefund('x3', [line(split, 'z', '1233', 100)]),
        400,
        'split_info.split_details[0].parent_order_split_settlement_id',
      ],
      [splitRefund('x4', [line(split, 'b', '9999', 100)]), 400, 'split_info.split_details[0].split_merchant_id'],
      [
        splitRefund('x5', [line(split, 'b', '1233', 100), line(split, 'b', '1233', 100)]),
        400,
        'split_info.split_details[1].parent_order_split_settlement_id',
      ],
      [splitRefund('x6', [line(split, 'b', '1233', 100, 'RECOVER')]), 400, 'split_info.split_details[0].status'],
      [splitRefund('ok-1', [line(split, 'b', '1233', 100)]), 409, 'merchant_order_reference'],
      [{ ...splitRefund('x7', [line(split, 'b', '1233', 100)]), refund_reason: 'r' }, 400, 'refund_reason'],
      [{ order_amount: inr(100) }, 400, 'merchant_order_reference'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await refund(split, body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.param, JSON.stringify(body)).toBe(param);
    }
    const plain = (await h.api.pay((await h.api.createOrder()).order_id)).data;
    const noSplits = await refund(plain, splitRefund('x8', [line(plain, 'a', '1', 100)]));
    expect(noSplits.body.param).toBe('split_info');
    const ledger = await h.api.ledger();
    const refunds = ledger.flatMap((order) => order.refunds as unknown[]);
    expect(refunds).toHaveLength(1);
    expect(
      (
        await h.api.call('POST', '/api/pay/v1/refunds/v1-none', {
          merchant_order_reference: 'n',
          order_amount: inr(100),
        })
      ).status,
    ).toBe(404);
  });

  it('a partial capture cannot fund every split: a release beyond the captured money is refused', async () => {
    const created = await h.api.splitOrder({ pre_auth: true });
    await h.api.pay(created.order_id);
    // 200.00 went to the split released at once; 300.00 is held; only 450.00 is captured.
    const tooLittle = await h.api.call<PluralError>('PUT', `/api/pay/v1/orders/${created.order_id}/capture`, {
      merchant_capture_reference: 'c0',
      capture_amount: inr(19999),
    });
    expect(tooLittle.status).toBe(422);
    expect(tooLittle.body.code).toBe('AMOUNT_EXCEEDED');
    const captured = await h.api.ok('PUT', `/api/pay/v1/orders/${created.order_id}/capture`, {
      merchant_capture_reference: 'c1',
      capture_amount: inr(45000),
    });
    expect(captured.status).toBe('PARTIALLY_CAPTURED');
    const full = await release(captured, 'a');
    expect(full.status).toBe(422);
    expect(full.body.code).toBe('AMOUNT_EXCEEDED');
    expect((await release(captured, 'a', { release_amount: inr(25000) })).status).toBe(200);
  });
});

describe('the ledger unsettled_remainder after a partial capture', () => {
  async function partlyCaptured(value: number): Promise<Order> {
    const created = await h.api.splitOrder({ pre_auth: true });
    await h.api.pay(created.order_id);
    return h.api.ok('PUT', `/api/pay/v1/orders/${created.order_id}/capture`, {
      merchant_capture_reference: `c-${value}`,
      capture_amount: inr(value),
    });
  }
  const remainders = async () => (await h.api.ledger())[0]!.splits as Array<{ unsettled_remainder: number }>;

  it('counts only captured money: a fully refunded order has none left', async () => {
    // 350.00 captured: 200.00 settled at once to b, 150.00 of a released; a's other 150.00 was never captured.
    const order = await partlyCaptured(35000);
    expect((await release(order, 'a', { release_amount: inr(15000) })).status).toBe(200);
    expect((await remainders()).map((s) => s.unsettled_remainder)).toEqual([0, 0]);
    const none = await refund(order, splitRefund('r-none', [line(order, 'a', '1324', 100, 'DO_NOT_RECOVER')]));
    expect(none.body.code).toBe('AMOUNT_EXCEEDED');
    expect((await refund(order, splitRefund('r2', [line(order, 'a', '1324', 15000)]))).status).toBe(200);
    expect((await refund(order, splitRefund('r3', [line(order, 'b', '1233', 20000)]))).status).toBe(200);
    const ledger = (await h.api.ledger())[0]!;
    expect(ledger).toMatchObject({ status: 'FULLY_REFUNDED', captured: 35000, refunded: 35000 });
    expect((ledger.splits as Array<{ unsettled_remainder: number }>).map((s) => s.unsettled_remainder)).toEqual([0, 0]);
  });

  it('is exactly what a DO_NOT_RECOVER refund can still take', async () => {
    // 400.00 captured, 350.00 settled: 50.00 of a's unreleased 150.00 is held by the gateway.
    const order = await partlyCaptured(40000);
    await release(order, 'a', { release_amount: inr(15000) });
    expect((await remainders())[0]!.unsettled_remainder).toBe(5000);
    const tooMuch = await refund(order, splitRefund('r-big', [line(order, 'a', '1324', 5001, 'DO_NOT_RECOVER')]));
    expect(tooMuch.body.code).toBe('AMOUNT_EXCEEDED');
    expect(
      (await refund(order, splitRefund('r-rest', [line(order, 'a', '1324', 5000, 'DO_NOT_RECOVER')]))).status,
    ).toBe(200);
    expect((await remainders())[0]!.unsettled_remainder).toBe(0);
  });
});
