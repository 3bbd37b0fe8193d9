/** /v1/terminals, /v1/terminal/* (connection tokens, payments, readers) and the reader link. */
import { declineInfo } from '../../../common/decline-codes';
import { normaliseCardNumber } from '../../../common/test-cards';
import type { ActionResult } from '../domain/action-machine';
import { actionJson, type TerminalInput } from '../domain/terminals';
import { transactionJson } from '../domain/transactions';
import { POLL_WAIT_DEFAULT_MS, POLL_WAIT_MAX_MS } from '../domain/reader-link';
import { badRequest, invalid } from '../../http/errors';
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { paymentInput } from './transactions';
import { created, createdOrReplayed, deleted, list, ok } from './replies';

const READER_FAILURES = [
  'reader_timeout',
  'reader_busy',
  'reader_disconnected',
  'reader_error',
  'reader_canceled',
] as const;

function terminalInput(p: Params, update: boolean): TerminalInput {
  const input: TerminalInput = {};
  if (update) p.refuseNull('name');
  const name = p.string('name', { required: !update, min: 1, max: 100 });
  if (name !== undefined) input.name = name;
  const code = p.string('registration_code', { min: 1, max: 100 });
  if (code !== undefined) input.registration_code = code;
  for (const field of ['location_name', 'location_address'] as const) {
    if (update && p.isNull(field)) input[field] = null;
    const value = p.string(field, { max: field === 'location_name' ? 200 : 500 });
    if (value !== undefined) input[field] = value;
  }
  return input;
}

/** A link result: the fields allowed depend on the outcome. */
function linkResult(body: Readonly<Record<string, unknown>>): ActionResult {
  const p = Params.body(body, ['outcome', 'card', 'auth_code', 'failure_code', 'failure_message']);
  const outcome = p.oneOf('outcome', ['approved', 'declined', 'failed'] as const, { required: true });
  const refuse = (names: string[]): void => {
    for (const name of names)
      if (p.has(name)) throw badRequest(`${name} is not allowed with outcome ${outcome}`, name, 'parameter_unknown');
  };
  if (outcome === 'approved') {
    refuse(['failure_code', 'failure_message']);
    const card = p.object('card', ['brand', 'last4']);
    let parsed: { brand: string; last4: string } | null = null;
    if (card) {
      const brand = card.string('brand', { required: true, max: 20 }).toLowerCase();
      const last4 = card.string('last4', { required: true, max: 4 });
      if (!/^\d{4}$/.test(last4)) throw invalid('card.last4 must be four digits', 'card.last4', 'invalid_last4');
      parsed = { brand, last4 };
    }
    return { outcome, card: parsed, auth_code: p.string('auth_code', { max: 20 }) ?? null };
  }
  refuse(['card', 'auth_code']);
  const code =
    outcome === 'failed'
      ? p.oneOf('failure_code', READER_FAILURES, { required: true })
      : p.string('failure_code', { required: true, max: 100 });
  if (outcome === 'declined' && !/^[a-z0-9_]+$/.test(code))
    throw invalid('failure_code must be a decline code (a-z, 0-9, _)', 'failure_code', 'invalid_failure_code');
  return {
    outcome,
    failure_code: code,
    failure_message: p.string('failure_message', { max: 500 }) ?? declineInfo(code).gateway,
  };
}

export function terminalRoutes(s: Services): RouteSpec[] {
  const { terminals, payments, links } = s;
  return [
    // ---- the fleet ----
    {
      method: 'POST',
      path: '/v1/terminals',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['name', 'registration_code', 'location_name', 'location_address']);
        const input = terminalInput(p, false);
        return created(terminals.terminalJson(terminals.create({ ...input, name: input.name! })));
      },
    },
    {
      method: 'GET',
      path: '/v1/terminals',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const p = Params.query(req.query, ['status', 'location_name', 'serial_number', 'page', 'size']);
        const { page, size } = pageParams(p);
        const filters = {
          status: p.oneOf('status', ['online', 'offline', 'pairing'] as const),
          location_name: p.string('location_name', { max: 200 }),
          serial_number: p.string('serial_number', { max: 100 }),
          page,
          size,
        };
        return list(terminals.list(filters), (row) => terminals.terminalJson(row));
      },
    },
    {
      method: 'GET',
      path: '/v1/terminals/{id}',
      resource: (req) => terminals.get(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(terminals.terminalJson(terminals.get(req.params.id!))),
    },
    {
      method: 'PUT',
      path: '/v1/terminals/{id}',
      resource: (req) => terminals.get(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['name', 'registration_code', 'location_name', 'location_address']);
        return ok(terminals.terminalJson(terminals.update(req.params.id!, terminalInput(p, true))));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/terminals/{id}',
      resource: (req) => terminals.get(req.params.id!),
      auth: 'secret',
      body: 'none',
      handler: (req) => {
        terminals.delete(req.params.id!);
        return deleted(req.params.id!);
      },
    },

    // ---- terminal payments ----
    {
      method: 'POST',
      path: '/v1/terminal/connection-token',
      auth: 'publishable',
      handler: (req) => {
        Params.body(req.body, []);
        return created(links.tokens.mint());
      },
    },
    {
      method: 'POST',
      path: '/v1/terminal/create-payment',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, [
          'amount',
          'currency',
          'terminal_id',
          'description',
          'customer_id',
          'capture_method',
          'receipt_email',
          'metadata',
          'idempotency_key',
        ]);
        return createdOrReplayed(
          s.transactions.create(
            paymentInput(s, p, 'POST /v1/terminal/create-payment', { payment_method_type: 'terminal' }),
          ),
          transactionJson,
        );
      },
    },
    {
      method: 'POST',
      path: '/v1/terminal/process-payment',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['payment_intent_id', 'reader_id']);
        const intent = p.string('payment_intent_id', { required: true, max: 100 });
        const reader = p.string('reader_id', { required: true, max: 100 });
        return ok(terminals.readerJson(payments.process(intent, reader)));
      },
    },
    {
      method: 'POST',
      path: '/v1/terminal/simulate-payment',
      auth: 'secret',
      handler: (req) => {
        payments.assertTestMode();
        const p = Params.body(req.body, ['reader_id', 'card_number']);
        const reader = p.string('reader_id', { required: true, max: 100 });
        const typed = p.string('card_number', { max: 40 });
        const number = typed === undefined ? undefined : normaliseCardNumber(typed);
        if (number === null) throw invalid('card_number must be 12 to 19 digits', 'card_number', 'invalid_card_number');
        return ok(terminals.readerJson(payments.simulate(reader, number)));
      },
    },
    {
      method: 'GET',
      path: '/v1/terminal/readers',
      auth: 'secret',
      handler: () => ok({ data: terminals.readers().map((row) => terminals.readerJson(row)) }),
    },
    {
      method: 'GET',
      path: '/v1/terminal/readers/{id}',
      resource: (req) => terminals.reader(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(terminals.readerJson(terminals.reader(req.params.id!))),
    },
    {
      method: 'POST',
      path: '/v1/terminal/readers/{id}/cancel-action',
      resource: (req) => terminals.reader(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        Params.body(req.body, []);
        return ok(terminals.readerJson(payments.cancelAction(req.params.id!)));
      },
    },

    // ---- the reader link (its own credentials) ----
    {
      method: 'POST',
      path: '/v1/terminal/link',
      auth: 'bearer',
      credential: 'connection token',
      handler: (req) => {
        links.tokens.check(req.bearer);
        const p = Params.body(req.body, ['reader_id', 'purpose']);
        const readerId = p.string('reader_id', { required: true, max: 100 });
        return created(links.open(req.bearer, readerId, p.oneOf('purpose', ['collect', 'report'] as const)));
      },
    },
    {
      method: 'GET',
      path: '/v1/terminal/link/poll',
      query: 'checked',
      auth: 'bearer',
      credential: 'link secret',
      handler: async (req) => {
        links.authenticate(req.bearer);
        const p = Params.query(req.query, ['version', 'wait_ms']);
        const version = p.int('version', { min: 0 });
        const waitMs = p.int('wait_ms', { min: 0, max: POLL_WAIT_MAX_MS }) ?? POLL_WAIT_DEFAULT_MS;
        return ok(await links.poll(req.bearer, version, waitMs, req.signal));
      },
    },
    {
      method: 'POST',
      path: '/v1/terminal/link/actions/{action_id}/result',
      auth: 'bearer',
      credential: 'link secret',
      handler: (req) => {
        links.authenticate(req.bearer);
        const result = links.result(req.bearer, req.params.action_id!, linkResult(req.body));
        return ok({ action: actionJson(result.action), transaction: transactionJson(result.transaction) });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/terminal/link',
      auth: 'bearer',
      credential: 'link secret',
      body: 'none',
      handler: (req) => ok(links.close(req.bearer)),
    },
  ];
}
