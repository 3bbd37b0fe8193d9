/**
 * For the Plural gateway tests: a sandbox on 127.0.0.1:0 (in memory, optionally on a FakeClock),
 * gateways configured against it, and direct calls to the emulator (its own token, the ledger, the
 * pay shortcut with its signed return, webhook endpoints, the clock) that go around the client
 * under test.
 */
import { randomUUID } from 'node:crypto';
import { createPluralGateway, type PluralConfig, type PluralGateway } from '../../main/gateway/plural';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type { FakeClock } from '../support/fake-clock';

export interface LedgerSplit {
  split_settlement_id: string;
  status: string;
  amount: number;
  release_amount: number | null;
  released: number;
  refunded_recovered: number;
  refunded_not_recovered: number;
  unsettled_remainder: number;
}

export interface LedgerOrder {
  order_id: string;
  merchant_order_reference: string;
  status: string;
  pre_auth: boolean;
  amount: number;
  captured: number;
  refunded: number;
  splits: LedgerSplit[];
  refunds: Array<{
    order_id: string;
    merchant_order_reference: string;
    amount: number;
    splits: Array<{ parent_order_split_settlement_id: string; amount: number; status: string | null }>;
  }>;
}

export interface WireOrderJson {
  order_id: string;
  merchant_order_reference: string;
  type: string;
  status: string;
  purchase_details: { merchant_metadata?: Record<string, unknown> };
}

export interface PluralHarness {
  sandbox: RunningSandbox;
  gateway: PluralGateway;
  make(overrides?: Partial<PluralConfig>): PluralGateway;
  /** A call to the emulator with its own token (not the client's). */
  call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  ledger(): Promise<LedgerOrder[]>;
  ledgerOrder(orderId: string): Promise<LedgerOrder>;
  /** Moves the sandbox's clock only (the client's stays where it is). */
  advanceSandbox(seconds: number): Promise<void>;
  /** The customer pays through the sandbox: the order and the signed return the browser would get. */
  pay(orderId: string, card?: string): Promise<{ data: WireOrderJson; return: ReturnRedirect | null }>;
  close(): Promise<void>;
}

export interface ReturnRedirect {
  url: string;
  params: Record<string, string>;
}

export async function startPluralHarness(
  options: { clock?: FakeClock; config?: Partial<PluralConfig> } = {},
): Promise<PluralHarness> {
  const sandbox = await startSandbox({
    port: 0,
    db: ':memory:',
    seed: false,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const { plural } = sandbox;
  const make = (overrides: Partial<PluralConfig> = {}) =>
    createPluralGateway({
      baseUrl: plural.url,
      clientId: plural.client_id,
      clientSecret: plural.client_secret,
      signatureKey: plural.signature_key,
      http: { timeoutMs: 5_000 },
      ...(options.clock ? { clock: options.clock } : {}),
      ...options.config,
      ...overrides,
    });

  let token: string | null = null;
  async function raw<T>(method: string, path: string, body?: unknown, bearer?: string | null) {
    const response = await fetch(plural.url + path, {
      method,
      headers: {
        'Request-ID': randomUUID(),
        ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }
  async function call<T>(method: string, path: string, body?: unknown) {
    // The harness's own token is fetched afresh whenever the sandbox refuses it (its clock moves).
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (!token) {
        const answer = await raw<{ access_token: string }>('POST', '/api/auth/v1/token', {
          client_id: plural.client_id,
          client_secret: plural.client_secret,
          grant_type: 'client_credentials',
        });
        token = answer.body.access_token;
      }
      const answer = await raw<T>(method, path, body, token);
      if (answer.status !== 401) return answer;
      token = null;
    }
    throw new Error(`${method} ${path}: 401 twice`);
  }
  async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await call<T>(method, path, body);
    if (answer.status !== 200) throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
  const ledger = async () => (await ok<{ orders: LedgerOrder[] }>('GET', '/_sandbox/ledger')).orders;

  return {
    sandbox,
    gateway: make(),
    make,
    call,
    ledger,
    async ledgerOrder(orderId) {
      const found = (await ledger()).find((order) => order.order_id === orderId);
      if (!found) throw new Error(`no order ${orderId} in the ledger`);
      return found;
    },
    async advanceSandbox(seconds) {
      await ok('POST', '/_sandbox/clock', { advance_seconds: seconds });
    },
    pay: (orderId, card = '4111111111111111') => ok('POST', `/_sandbox/orders/${orderId}/pay`, { card_number: card }),
    close: () => sandbox.close(),
  };
}
