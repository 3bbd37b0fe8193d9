/** Creating and finding orders; every refusal of a malformed order changes nothing. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inr, startPlural, type Order, type PluralError, type PluralHarness } from './helpers';

let h: PluralHarness;
beforeEach(async () => {
  h = await startPlural();
});
afterEach(() => h.close());

/** The reference's create-order sample body. */
const SAMPLE = {
  merchant_order_reference: '1578609owyihy',
  order_amount: { value: 50000, currency: 'INR' },
  pre_auth: false,
  allowed_payment_methods: ['CARD', 'UPI', 'NETBANKING', 'POINTS', 'WALLET'],
  purchase_details: {
    customer: {
      email_id: 'kevin.bob@example.com',
      first_name: 'Kevin',
      last_name: 'Bob',
      customer_id: '192212',
      mobile_number: '9876543210',
      shipping_address: {
        address1: 'H.No 15, Sector 17',
        address2: '',
        address3: '',
        pincode: '144001123',
        city: 'CHANDIGARH',
        state: 'PUNJAB',
        country: 'INDIA',
      },
    },
    merchant_metadata: { key1: 'DD', key2: 'XOF' },
    split_info: {
      split_type: 'AMOUNT',
      split_details: [
        {
          split_merchant_id: '1324',
          merchant_settlement_reference: 'kshjhfk',
          amount: { value: 30000, currency: 'INR' },
          on_hold: true,
        },
        { split_merchant_id: '1233', amount: { value: 20000, currency: 'INR' }, on_hold: false },
      ],
    },
  },
};

describe('POST /api/pay/v1/orders', () => {
  it('creates the reference’s sample order as the reference answers it', async () => {
    const answer = await h.api.call<{ data: Order }>('POST', '/api/pay/v1/orders', {
      ...SAMPLE,
      notes: 'order1',
      callback_url: 'http://127.0.0.1:9/return',
    });
    expect(answer.status).toBe(200);
    const order = answer.body.data;
    expect(order.order_id).toMatch(/^v1-260216161800-aa-[A-Za-z0-9]{6}$/);
    expect(order).toMatchObject({
      merchant_order_reference: '1578609owyihy',
      type: 'CHARGE',
      status: 'CREATED',
      order_amount: { value: 50000, currency: 'INR' },
      pre_auth: false,
      allowed_payment_methods: ['CARD', 'UPI', 'NETBANKING', 'POINTS', 'WALLET'],
      notes: 'order1',
      callback_url: 'http://127.0.0.1:9/return',
      created_at: '2026-02-16T16:18:00.000Z',
      updated_at: '2026-02-16T16:18:00.000Z',
      integration_mode: 'SEAMLESS',
      payment_retries_remaining: 10,
    });
    expect(order.merchant_id).toMatch(/^\d{6}$/);
    expect(order.redirect_url).toMatch(new RegExp(`^${h.api.url}/checkout/[A-Za-z0-9]{32}$`));
    expect(order).not.toHaveProperty('payments');
    expect(order).not.toHaveProperty('challenge_url');
    expect(order.purchase_details.customer).toEqual({
      ...SAMPLE.purchase_details.customer,
      billing_address: {},
    });
    expect(order.purchase_details.merchant_metadata).toEqual({ key1: 'DD', key2: 'XOF' });
    expect(order.purchase_details.split_info).toEqual({
      split_type: 'AMOUNT',
      split_details: [
        {
          split_merchant_id: '1324',
          split_settlement_id: `${order.order_id}-ss-a`,
          merchant_settlement_reference: 'kshjhfk',
          amount: inr(30000),
          on_hold: true,
          status: 'HOLD',
          updated_at: '2026-02-16T16:18:00.000Z',
        },
        {
          split_merchant_id: '1233',
          split_settlement_id: `${order.order_id}-ss-b`,
          amount: inr(20000),
          on_hold: false,
          status: 'RELEASED',
          updated_at: '2026-02-16T16:18:00.000Z',
        },
      ],
    });
  });

  it('a minimal order has empty purchase details; split_type is taken in any case', async () => {
    const order = await h.api.createOrder({ merchant_order_reference: 'A-z_0-9' });
    expect(order.purchase_details).toEqual({});
    expect(order.pre_auth).toBe(false);
    expect(order).not.toHaveProperty('allowed_payment_methods');
    const amount = await h.api.createOrder({
      order_amount: inr(100),
      purchase_details: {
        split_info: {
          split_type: 'Amount',
          split_details: [{ split_merchant_id: '9', amount: inr(100), on_hold: false }],
        },
      },
    });
    expect(amount.purchase_details.split_info!.split_type).toBe('AMOUNT');
  });

  it('finds an order by order_id and by merchant_order_reference', async () => {
    const created = await h.api.createOrder({ merchant_order_reference: 'counter-7_0042' });
    expect(await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`)).toEqual(created);
    expect(await h.api.ok('GET', '/api/pay/v1/orders/reference/counter-7_0042')).toEqual(created);
    for (const path of ['/api/pay/v1/orders/v1-000000000000-aa-nope00', '/api/pay/v1/orders/reference/unknown']) {
      const answer = await h.api.call<PluralError>('GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('NOT_FOUND');
    }
  });

  it('refuses a merchant_order_reference already used (409), leaving the first order as it was', async () => {
    const first = await h.api.createOrder({ merchant_order_reference: 'dup-1' });
    const again = await h.api.call<PluralError>('POST', '/api/pay/v1/orders', {
      merchant_order_reference: 'dup-1',
      order_amount: inr(999),
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'DUPLICATE_REQUEST', param: 'merchant_order_reference' });
    expect(again.body.message).toContain('/api/pay/v1/orders/reference/dup-1');
    expect(await h.api.ok('GET', '/api/pay/v1/orders/reference/dup-1')).toEqual(first);
    expect(await h.api.ledger()).toHaveLength(1);
  });

  it('refuses every malformed or out-of-limit order with 400 naming the field, and creates nothing', async () => {
    const base = { merchant_order_reference: 'r1', order_amount: inr(50000) };
    const split = (details: unknown[], extra: Record<string, unknown> = {}) => ({
      ...base,
      purchase_details: { split_info: { split_type: 'AMOUNT', split_details: details, ...extra } },
    });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ order_amount: inr(50000) }, 'merchant_order_reference'],
      [{ ...base, merchant_order_reference: '' }, 'merchant_order_reference'],
      [{ ...base, merchant_order_reference: 'has space' }, 'merchant_order_reference'],
      [{ ...base, merchant_order_reference: 'x'.repeat(51) }, 'merchant_order_reference'],
      [{ ...base, merchant_order_reference: 'dot.ted' }, 'merchant_order_reference'],
      [{ ...base, merchant_order_reference: 42 }, 'merchant_order_reference'],
      [{ merchant_order_reference: 'r1' }, 'order_amount'],
      [{ ...base, order_amount: 50000 }, 'order_amount'],
      [{ ...base, order_amount: inr(99) }, 'order_amount.value'],
      [{ ...base, order_amount: inr(100_000_001) }, 'order_amount.value'],
      [{ ...base, order_amount: inr(100.5) }, 'order_amount.value'],
      [{ ...base, order_amount: { value: '50000', currency: 'INR' } }, 'order_amount.value'],
      [{ ...base, order_amount: { value: 50000, currency: 'USD' } }, 'order_amount.currency'],
      [{ ...base, order_amount: { value: 50000 } }, 'order_amount.currency'],
      [{ ...base, order_amount: { value: 50000, currency: 'INR', extra: 1 } }, 'order_amount.extra'],
      [{ ...base, pre_auth: 'yes' }, 'pre_auth'],
      [{ ...base, allowed_payment_methods: ['CARD', 'CASH'] }, 'allowed_payment_methods'],
      [{ ...base, allowed_payment_methods: [] }, 'allowed_payment_methods'],
      [{ ...base, callback_url: 'not a url' }, 'callback_url'],
      [{ ...base, callback_url: 'ftp://127.0.0.1/x' }, 'callback_url'],
      [{ ...base, notes: 'n'.repeat(501) }, 'notes'],
      [{ ...base, unknown_field: 1 }, 'unknown_field'],
      [{ ...base, purchase_details: { customer: { email_id: 'not-an-email' } } }, 'purchase_details.customer.email_id'],
      [
        { ...base, purchase_details: { customer: { first_name: 'x'.repeat(51) } } },
        'purchase_details.customer.first_name',
      ],
      [
        { ...base, purchase_details: { customer: { customer_id: '1'.repeat(20) } } },
        'purchase_details.customer.customer_id',
      ],
      [
        { ...base, purchase_details: { customer: { mobile_number: '12345' } } },
        'purchase_details.customer.mobile_number',
      ],
      [
        { ...base, purchase_details: { customer: { billing_address: { pincode: '123' } } } },
        'purchase_details.customer.billing_address.pincode',
      ],
      [
        { ...base, purchase_details: { customer: { shipping_address: { city: 'c'.repeat(51) } } } },
        'purchase_details.customer.shipping_address.city',
      ],
      [
        { ...base, purchase_details: { merchant_metadata: { k: { nested: true } } } },
        'purchase_details.merchant_metadata.k',
      ],
      [{ ...base, purchase_details: { cart: [] } }, 'purchase_details.cart'],
      [
        split([{ split_merchant_id: '1', amount: inr(30000), on_hold: true }]),
        'purchase_details.split_info.split_details',
      ],
      [
        split([
          { split_merchant_id: '1', amount: inr(30000), on_hold: true },
          { split_merchant_id: '2', amount: inr(30000), on_hold: true },
        ]),
        'purchase_details.split_info.split_details',
      ],
      [split([]), 'purchase_details.split_info.split_details'],
      [
        split([{ split_merchant_id: '1', amount: inr(50000), on_hold: true }], { split_type: 'PERCENTAGE' }),
        'purchase_details.split_info.split_type',
      ],
      [
        {
          ...base,
          purchase_details: {
            split_info: { split_details: [{ split_merchant_id: '1', amount: inr(50000), on_hold: true }] },
          },
        },
        'purchase_details.split_info.split_type',
      ],
      [
        split([{ amount: inr(50000), on_hold: true }]),
        'purchase_details.split_info.split_details[0].split_merchant_id',
      ],
      [split([{ split_merchant_id: '1', amount: inr(50000) }]), 'purchase_details.split_info.split_details[0].on_hold'],
      [split([{ split_merchant_id: '1', on_hold: false }]), 'purchase_details.split_info.split_details[0].amount'],
      [
        split([
          { split_merchant_id: '1', amount: inr(49950), on_hold: false },
          { split_merchant_id: '2', amount: inr(50), on_hold: false },
        ]),
        'purchase_details.split_info.split_details[1].amount.value',
      ],
      [
        split([
          { split_merchant_id: '1', amount: inr(50000), on_hold: false, merchant_settlement_reference: 'x'.repeat(51) },
        ]),
        'purchase_details.split_info.split_details[0].merchant_settlement_reference',
      ],
      [
        split([{ split_merchant_id: '1', amount: inr(50000), on_hold: false, share: 1 }]),
        'purchase_details.split_info.split_details[0].share',
      ],
      [split(['not an object']), 'purchase_details.split_info.split_details[0]'],
      [
        split(
          Array.from({ length: 21 }, (_, i) => ({ split_merchant_id: String(i), amount: inr(100), on_hold: false })),
        ),
        'purchase_details.split_info.split_details',
      ],
    ];
    for (const [body, param] of cases) {
      const answer = await h.api.call<PluralError>('POST', '/api/pay/v1/orders', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('INVALID_REQUEST');
      expect(answer.body.param, JSON.stringify(body)).toBe(param);
    }
    for (const raw of [
      'not json',
      '[1,2]',
      '{"merchant_order_reference":',
      '{"order_amount":{"value":1e999,"currency":"INR"}}',
    ]) {
      const answer = await h.api.call<PluralError>('POST', '/api/pay/v1/orders', undefined, { raw });
      expect(answer.status, raw).toBe(400);
      expect(answer.body.code).toBe('INVALID_REQUEST');
    }
    expect(await h.api.ledger()).toEqual([]);
  });

  it('says an amount that is no integer in the reference’s terms (paise, ₹1 is 100), and what to send instead', async () => {
    // Found by review: "order_amount.value must be an integer, not a string" was PlutoPay's wording.
    const sent = async (value: unknown) =>
      (
        await h.api.call<PluralError>('POST', '/api/pay/v1/orders', {
          merchant_order_reference: 'typed',
          order_amount: { value, currency: 'INR' },
        })
      ).body;
    expect(await sent('21000')).toEqual({
      code: 'INVALID_REQUEST',
      param: 'order_amount.value',
      message:
        'order_amount.value must be an integer amount in paise (100 is ₹1), not the text "21000": send 21000 as a number',
    });
    const words = async (value: unknown) => (await sent(value)).message;
    expect(await words('₹210')).toBe(
      'order_amount.value must be an integer amount in paise (100 is ₹1), not the text "₹210"',
    );
    expect(await words(210.5)).toBe('order_amount.value must be an integer amount in paise (100 is ₹1), not 210.5');
    expect(await words(true)).toBe('order_amount.value must be an integer amount in paise (100 is ₹1), not a boolean');
    expect(await words('9'.repeat(40))).toBe(
      `order_amount.value must be an integer amount in paise (100 is ₹1), not the text "${'9'.repeat(20)}…"`,
    );
    expect(await h.api.ledger()).toEqual([]);
  });
});
