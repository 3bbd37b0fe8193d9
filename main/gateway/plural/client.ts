/**
 * Typed Plural calls, in Plural's wire terms; index.ts maps them to the port.
 *
 * Every request carries, as the reference shows on each of its samples, `Request-ID` (a fresh UUID
 * per request, a retry included; the journal keeps those of an operation's requests with it, see
 * ../request-ids.ts) and `Request-Timestamp` (ISO 8601 UTC with milliseconds, from the injected clock). API calls carry `Authorization: Bearer <access token>` (token.ts); a 401 drops
 * that token, fetches a new one and sends the request once more — a 401 changed nothing, so the
 * resend is safe. The token request itself carries no Authorization header.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../common/clock';
import type { z } from 'zod';
import { beforeSending, GatewayError } from '../errors';
import { GatewayHttp, type GatewayHttpOptions } from '../http';
import { newRequestId } from '../request-ids';
import type { PaymentLimits } from '../limits';
import {
  OrderEnvelopeSchema,
  parsePluralError,
  SandboxPayEnvelopeSchema,
  TokenSchema,
  type WireOrder,
  type WireToken,
} from './schemas';
import { MIN_LINE } from './splits';
import { TokenSource } from './token';

/**
 * Plural's documented limits on an order: ₹1 (100 paise) to ₹10 lakh (100000000 paise), INR only.
 * `notes` has no documented length; 500 characters is the emulator's bound (UTF-16 units).
 */
export const PLURAL_LIMITS: PaymentLimits = {
  amount: { min: 100, max: 100_000_000 },
  currencies: ['INR'],
  description: { max: 500, unit: 'utf16' },
  refund: { min: MIN_LINE },
};

export const TOKEN_PATH = '/api/auth/v1/token';
const PAY = '/api/pay/v1';

export interface WireMoney {
  value: number;
  currency: 'INR';
}

export function inr(value: number): WireMoney {
  return { value, currency: 'INR' };
}

export interface WireSplitLine {
  split_merchant_id: string;
  merchant_settlement_reference?: string;
  amount: WireMoney;
  on_hold: boolean;
}

export interface CreateOrderBody {
  merchant_order_reference: string;
  order_amount: WireMoney;
  pre_auth: boolean;
  allowed_payment_methods: string[];
  notes?: string;
  callback_url?: string;
  purchase_details: {
    customer?: { email_id?: string; first_name?: string; last_name?: string };
    merchant_metadata: Record<string, string>;
    split_info?: { split_type: 'AMOUNT'; split_details: WireSplitLine[] };
  };
}

export interface WireRefundLine {
  parent_order_split_settlement_id: string;
  split_merchant_id: string;
  merchant_settlement_reference: string;
  amount: WireMoney;
  /** DO_NOT_RECOVER: money the split merchant never got; absent: taken back from the merchant. */
  status?: 'DO_NOT_RECOVER';
}

export interface CreateRefundBody {
  merchant_order_reference: string;
  order_amount: WireMoney;
  merchant_metadata: Record<string, string>;
  split_info?: { split_type: 'AMOUNT'; split_details: WireRefundLine[] };
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

type HttpTuning = Omit<GatewayHttpOptions, 'baseUrl' | 'parseError'>;

export class PluralClient {
  private readonly api: GatewayHttp;
  readonly tokens: TokenSource;

  constructor(
    baseUrl: string,
    credentials: ClientCredentials,
    private readonly clock: Pick<Clock, 'now' | 'monotonic'>,
    http: HttpTuning = {},
  ) {
    this.api = new GatewayHttp({ ...http, baseUrl, parseError: parsePluralError });
    this.tokens = new TokenSource((options) => this.fetchToken(credentials, options), clock);
  }

  /** `requestId`: a fresh UUID; an API call's is kept with the journaled operation it serves. */
  private requestHeaders(requestId: string = newRequestId()): Record<string, string> {
    return { 'Request-ID': requestId, 'Request-Timestamp': new Date(this.clock.now()).toISOString() };
  }

  private fetchToken(credentials: ClientCredentials, options: { timeoutMs?: number }): Promise<WireToken> {
    // The token request carries the client credentials in its body and no Authorization header.
    return this.api.request(TokenSchema, 'POST', TOKEN_PATH, {
      auth: null,
      // The token is the till's, not an operation's: its request id is not kept with one.
      headers: this.requestHeaders(randomUUID()),
      body: {
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        grant_type: 'client_credentials',
      },
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /** An API call with the access token; on a 401, once more with a new token. */
  private async call<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    body?: Record<string, unknown>,
  ): Promise<z.output<S>> {
    const send = (token: string) =>
      this.api.request(schema, method, path, {
        auth: token,
        headers: this.requestHeaders(),
        ...(body !== undefined ? { body } : {}),
      });
    // No token, no request: whatever became of the token's, this one never left the till.
    const token = await beforeSending(() => this.tokens.get());
    try {
      return await send(token);
    } catch (error) {
      if (!(error instanceof GatewayError) || error.status !== 401) throw error;
      this.tokens.invalidate(token);
      return send(await beforeSending(() => this.tokens.get()));
    }
  }

  private async order(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    body?: Record<string, unknown>,
  ): Promise<WireOrder> {
    return (await this.call(OrderEnvelopeSchema, method, path, body)).data;
  }

  // Orders --------------------------------------------------------------------------------------

  createOrder(body: CreateOrderBody): Promise<WireOrder> {
    return this.order('POST', `${PAY}/orders`, { ...body });
  }

  getOrder(orderId: string): Promise<WireOrder> {
    return this.order('GET', `${PAY}/orders/${encodeURIComponent(orderId)}`);
  }

  /** The order (charge or refund) with this merchant_order_reference, or null (404). */
  async findOrderByReference(reference: string): Promise<WireOrder | null> {
    try {
      return await this.order('GET', `${PAY}/orders/reference/${encodeURIComponent(reference)}`);
    } catch (error) {
      if (error instanceof GatewayError && error.status === 404) return null;
      throw error;
    }
  }

  /** PUT …/capture: an AUTHORIZED pre_auth order, in full or in part. */
  capture(orderId: string, reference: string, amount: number): Promise<WireOrder> {
    return this.order('PUT', `${PAY}/orders/${encodeURIComponent(orderId)}/capture`, {
      merchant_capture_reference: reference,
      capture_amount: inr(amount),
    });
  }

  /** PUT …/cancel (no body): an AUTHORIZED pre_auth order. */
  cancelOrder(orderId: string): Promise<WireOrder> {
    return this.order('PUT', `${PAY}/orders/${encodeURIComponent(orderId)}/cancel`);
  }

  // Split settlements ---------------------------------------------------------------------------
  // The reference prints these paths with their placeholders unfilled
  // (`/orders/orderId/settlementId/settlementId/release`): `settlementId` is a literal segment.

  /** PATCH …/release: in full (no body) or `releaseAmount` of it. */
  releaseSplit(orderId: string, splitId: string, releaseAmount?: number): Promise<WireOrder> {
    return this.order(
      'PATCH',
      `${PAY}/orders/${encodeURIComponent(orderId)}/settlementId/${encodeURIComponent(splitId)}/release`,
      releaseAmount !== undefined ? { release_amount: inr(releaseAmount) } : undefined,
    );
  }

  cancelSplit(orderId: string, splitId: string): Promise<WireOrder> {
    return this.order(
      'PATCH',
      `${PAY}/orders/${encodeURIComponent(orderId)}/settlementId/${encodeURIComponent(splitId)}/cancel`,
    );
  }

  // Refunds -------------------------------------------------------------------------------------

  /** POST /refunds/{order_id}: a refund order (type REFUND, parent_order_id the charge). */
  createRefund(orderId: string, body: CreateRefundBody): Promise<WireOrder> {
    return this.order('POST', `${PAY}/refunds/${encodeURIComponent(orderId)}`, { ...body });
  }

  // The sandbox ---------------------------------------------------------------------------------

  /**
   * The app's sandbox only (POST /_sandbox/orders/{id}/pay): the customer pays the order with a
   * test card, a challenge passed. Plural itself has no such call.
   */
  async sandboxPay(
    orderId: string,
    cardNumber: string,
  ): Promise<{ order: WireOrder; returnParams: Record<string, string> | null }> {
    const answer = await this.call(
      SandboxPayEnvelopeSchema,
      'POST',
      `/_sandbox/orders/${encodeURIComponent(orderId)}/pay`,
      {
        card_number: cardNumber,
      },
    );
    return { order: answer.data, returnParams: answer.return?.params ?? null };
  }
}
