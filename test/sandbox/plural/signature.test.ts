/**
 * Return-URL and webhook signatures against vectors computed outside this code base, with
 *   printf '%s' "$STRING" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY
 * (and `-binary | base64` for the webhook), then pasted here as constants.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedString, signReturnFields, signWebhook } from '../../../sandbox/plural/domain/signature';

const KEY = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const VECTORS: Array<{ fields: Record<string, string>; text: string; hmac: string }> = [
  {
    // The reference's first sample pair.
    fields: { status: 'AUTHORIZED', order_id: 'random_order_id' },
    text: 'order_id=random_order_id&status=AUTHORIZED',
    hmac: '0ff80cc2ea344e55b9da16d1f9fd89e895fe3e4d2e3831966054e29ab4a0be84',
  },
  {
    // The reference's second pair, with an order id in place of <order_id>.
    fields: {
      status: 'FAILED',
      order_id: 'v1-4405071524-aa-qlAtAf',
      error_message: 'Consumer Authentication required',
      error_code: 'USER_AUTHENTICATION_FAILED',
    },
    text: 'error_code=USER_AUTHENTICATION_FAILED&error_message=Consumer Authentication required&order_id=v1-4405071524-aa-qlAtAf&status=FAILED',
    hmac: '350e56d3f14b086d8175a6ba3287642f27d8f08295463a9d93e10252b23b6caf',
  },
  {
    // The reference's return-URL samples name the field payment_status.
    fields: { payment_status: 'AUTHORIZED', order_id: 'v1-4405071524-aa-qlAtAf' },
    text: 'order_id=v1-4405071524-aa-qlAtAf&payment_status=AUTHORIZED',
    hmac: '026e778b98bf8ad78aab1a38dc57206f9bd86d487cba61af795e2f60dce60251',
  },
  {
    fields: {
      order_id: 'v1-4405071524-aa-qlAtAf',
      payment_status: 'AUTHORIZED',
      error_code: 'USER_AUTHENTICATION_REQUIRED',
      error_message: 'Consumer Authentication Required',
    },
    text: 'error_code=USER_AUTHENTICATION_REQUIRED&error_message=Consumer Authentication Required&order_id=v1-4405071524-aa-qlAtAf&payment_status=AUTHORIZED',
    hmac: 'fa7b4a8850eb93f410c5c9a90886f410953c3d608d45e22e974639550fa01d87',
  },
  {
    fields: { order_id: 'v1-260216161800-aa-Zx9Qw2', status: 'PROCESSED' },
    text: 'order_id=v1-260216161800-aa-Zx9Qw2&status=PROCESSED',
    hmac: '23c4c552a2a816c63e8db864d8cf61a18121307b3dbeccab25df652c4cd29690',
  },
];

describe('return-URL signature', () => {
  it.each(VECTORS)('signs $text', ({ fields, text, hmac }) => {
    expect(signedString(fields)).toBe(text);
    expect(signReturnFields(KEY, fields)).toBe(hmac);
  });

  it('leaves out absent fields and the signature itself', () => {
    const fields = { order_id: 'random_order_id', status: 'AUTHORIZED', error_code: undefined, signature: 'x' };
    expect(signedString(fields)).toBe('order_id=random_order_id&status=AUTHORIZED');
    expect(signReturnFields(KEY, fields)).toBe(VECTORS[0]!.hmac);
  });

  it('keys the HMAC with the hex-decoded key, not its text, and accepts upper-case hex', () => {
    const asText = createHmac('sha256', KEY).update(VECTORS[0]!.text).digest('hex');
    expect(asText).not.toBe(VECTORS[0]!.hmac);
    expect(signReturnFields(KEY.toUpperCase(), VECTORS[0]!.fields)).toBe(VECTORS[0]!.hmac);
    expect(() => signReturnFields('abc', VECTORS[0]!.fields)).toThrow(RangeError);
  });
});

describe('webhook signature', () => {
  it('is v1,<base64 HMAC-SHA256 over id.timestamp.body>', () => {
    const body =
      '{"event_type":"ORDER_PROCESSED","data":{"order_id":"v1-260216161800-aa-Zx9Qw2","status":"PROCESSED"}}';
    expect(signWebhook(KEY, 'msg_2Lh9KtNnA0P1', 1771258680, body)).toBe(
      'v1,AI1u9Z4IXXCxC7bEBgumIpaUiaNEaip6CJjLMGA+mfM=',
    );
  });
});
