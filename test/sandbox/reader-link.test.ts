import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Api,
  start,
  tick,
  type ActionJson,
  type ErrorResponse,
  type Harness,
  type ReaderJson,
  type TerminalJson,
  type TransactionJson,
} from './helpers';

interface Link {
  id: string;
  secret: string;
  reader_id: string;
  status: string;
  purpose: string;
  poll_wait_max_ms: number;
  stale_after_ms: number;
  opened_at: string;
}
interface Poll {
  version: number;
  reader: ReaderJson;
  action: ActionJson | null;
}

let h: Harness;
let hosted: TerminalJson;

beforeEach(async () => {
  h = await start({ fakeClock: true });
  hosted = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'Concert desk', registration_code: 'host-sim-1' }))
    .body;
});
afterEach(() => h.close());

async function token(): Promise<string> {
  return (await h.api.post<{ secret: string }>('/v1/terminal/connection-token', {}, { key: h.sandbox.publishable_key }))
    .body.secret;
}

async function openLink(
  readerId = hosted.processor_terminal_id,
  extra: Record<string, unknown> = {},
): Promise<{ link: Link; api: Api }> {
  const answer = await h.api.post<Link>('/v1/terminal/link', { reader_id: readerId, ...extra }, { key: await token() });
  if (answer.status !== 201) throw new Error(`link open failed: ${answer.text}`);
  return { link: answer.body, api: new Api(h.sandbox.url, answer.body.secret) };
}

async function reader(): Promise<ReaderJson> {
  return (await h.api.get<ReaderJson>(`/v1/terminal/readers/${hosted.processor_terminal_id}`)).body;
}

async function pushPayment(body: Record<string, unknown> = {}): Promise<TransactionJson> {
  const payment = await h.api.payment({ amount: 1250, currency: 'eur', ...body }, '/v1/terminal/create-payment');
  const answer = await h.api.post('/v1/terminal/process-payment', {
    payment_intent_id: payment.id,
    reader_id: hosted.processor_terminal_id,
  });
  if (answer.status !== 200) throw new Error(`process failed: ${answer.text}`);
  return payment;
}

/** Starts a poll and reports whether it has answered yet. */
function startPoll(
  api: Api,
  query: string,
  signal?: AbortSignal,
): { answer: Promise<{ status: number; body: Poll | ErrorResponse }>; done: () => boolean } {
  let finished = false;
  const answer = fetch(`${api.url}/v1/terminal/link/poll?${query}`, {
    headers: { Authorization: `Bearer ${api.key}` },
    signal,
  })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as Poll | ErrorResponse }))
    .finally(() => {
      finished = true;
    });
  return { answer, done: () => finished };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('opening a link', () => {
  it('redeems a single-use token, marks the reader online and returns the documented link object', async () => {
    expect((await reader()).status).toBe('offline');
    const secret = await token();
    const answer = await h.api.post<Link>(
      '/v1/terminal/link',
      { reader_id: hosted.processor_terminal_id },
      { key: secret },
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      reader_id: hosted.processor_terminal_id,
      status: 'open',
      purpose: 'collect',
      poll_wait_max_ms: 30000,
      stale_after_ms: 60000,
      opened_at: '2026-02-16T16:18:00+00:00',
    });
    expect(answer.body.id).toMatch(/^lnk_/);
    expect(answer.body.secret).toMatch(/^lks_/);
    expect((await reader()).status).toBe('online');
    expect((await reader()).last_seen_at).not.toBeNull();
    const reused = await h.api.post<ErrorResponse>(
      '/v1/terminal/link',
      { reader_id: hosted.processor_terminal_id },
      { key: secret },
    );
    expect(reused.status).toBe(401);
    expect(reused.body.error).toMatchObject({ type: 'authentication_error', code: 'token_redeemed' });
  });

  it('refuses expired, unknown and missing tokens, and API keys', async () => {
    const secret = await token();
    h.clock!.advance(10 * 60 * 1000);
    const expired = await h.api.post<ErrorResponse>('/v1/terminal/link', { reader_id: hosted.id }, { key: secret });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('token_expired');
    expect(
      (await h.api.post<ErrorResponse>('/v1/terminal/link', { reader_id: hosted.id }, { key: 'pst_test_unknown' })).body
        .error.code,
    ).toBe('token_invalid');
    expect((await h.api.post<ErrorResponse>('/v1/terminal/link', { reader_id: hosted.id }, { key: null })).status).toBe(
      401,
    );
    expect((await h.api.post<ErrorResponse>('/v1/terminal/link', { reader_id: hosted.id })).status).toBe(401);
  });

  it('a failed open does not burn the token; simulated readers have no link', async () => {
    const secret = await token();
    const unknown = await h.api.post<ErrorResponse>('/v1/terminal/link', { reader_id: 'tmr_nope' }, { key: secret });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.param).toBe('reader_id');
    const sim = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'Sim', registration_code: 'simulated' })).body;
    const simulated = await h.api.post<ErrorResponse>('/v1/terminal/link', { reader_id: sim.id }, { key: secret });
    expect(simulated.status).toBe(422);
    expect(simulated.body.error).toMatchObject({ type: 'terminal_error', code: 'reader_not_hosted' });
    expect((await h.api.post<ErrorResponse>('/v1/terminal/link', {}, { key: secret })).body.error.param).toBe(
      'reader_id',
    );
    expect((await h.api.post('/v1/terminal/link', { reader_id: hosted.id }, { key: secret })).status).toBe(201);
  });
});

describe('long poll', () => {
  it('answers at once without a version or when the version differs', async () => {
    const { api } = await openLink();
    const first = await api.get<Poll>('/v1/terminal/link/poll');
    expect(first.status).toBe(200);
    expect(first.body.action).toBeNull();
    expect(first.body.reader).toMatchObject({ id: hosted.processor_terminal_id, status: 'online' });
    const stale = await api.get<Poll>(`/v1/terminal/link/poll?version=${first.body.version + 7}&wait_ms=25000`);
    expect(stale.body.version).toBe(first.body.version);
    const zero = await api.get<Poll>(`/v1/terminal/link/poll?version=${first.body.version}&wait_ms=0`);
    expect(zero.status).toBe(200);
  });

  it('holds until an action arrives, then wakes with the new version and the action', async () => {
    const { api } = await openLink();
    const { version } = (await api.get<Poll>('/v1/terminal/link/poll')).body;
    const poll = startPoll(api, `version=${version}&wait_ms=25000`);
    await settle();
    expect(poll.done()).toBe(false);
    const payment = await pushPayment();
    const answer = await poll.answer;
    expect(answer.status).toBe(200);
    const body = answer.body as Poll;
    expect(body.version).toBeGreaterThan(version);
    expect(body.action).toMatchObject({
      status: 'in_progress',
      payment_intent_id: payment.id,
      amount: 1250,
      currency: 'eur',
      capture_method: 'automatic',
    });
  });

  it('returns the unchanged state when wait_ms passes (fake clock)', async () => {
    const { api } = await openLink();
    const { version } = (await api.get<Poll>('/v1/terminal/link/poll')).body;
    const poll = startPoll(api, `version=${version}&wait_ms=5000`);
    await settle();
    h.clock!.advance(4999);
    await settle();
    expect(poll.done()).toBe(false);
    h.clock!.advance(1);
    const answer = await poll.answer;
    expect((answer.body as Poll).version).toBe(version);
  });

  it('validates version and wait_ms', async () => {
    const { api } = await openLink();
    expect((await api.get<ErrorResponse>('/v1/terminal/link/poll?wait_ms=30001')).body.error).toMatchObject({
      param: 'wait_ms',
      type: 'invalid_request',
    });
    expect((await api.get<ErrorResponse>('/v1/terminal/link/poll?wait_ms=30001')).status).toBe(422);
    expect((await api.get<ErrorResponse>('/v1/terminal/link/poll?version=abc')).status).toBe(400);
    expect((await api.get<ErrorResponse>('/v1/terminal/link/poll?version=-1')).status).toBe(422);
    expect((await api.get<ErrorResponse>('/v1/terminal/link/poll?since=1')).status).toBe(400);
  });

  it('link calls refuse the secret key and unknown secrets', async () => {
    await openLink();
    expect((await h.api.get<ErrorResponse>('/v1/terminal/link/poll')).body.error.code).toBe('link_invalid');
    expect((await h.api.get<ErrorResponse>('/v1/terminal/link/poll', { key: null })).status).toBe(401);
  });
});

describe('results', () => {
  it('a presented card reaches the host; its approval captures the payment; the same result again is idempotent', async () => {
    const { api } = await openLink();
    const payment = await pushPayment();
    const before = (await api.get<Poll>('/v1/terminal/link/poll')).body;
    const presented = await h.api.post<ReaderJson>('/v1/terminal/simulate-payment', {
      reader_id: hosted.processor_terminal_id,
      card_number: '4000000000000077',
    });
    expect(presented.body.action).toMatchObject({
      status: 'in_progress',
      presented_card: { number: '4000000000000077' },
    });
    const after = (await api.get<Poll>(`/v1/terminal/link/poll?version=${before.version}&wait_ms=1000`)).body;
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.action!.presented_card).toEqual({ number: '4000000000000077' });

    const result = { outcome: 'approved', card: { brand: 'visa', last4: '0077' }, auth_code: 'A1B2C3' };
    const posted = await api.post<{ action: ActionJson; transaction: TransactionJson }>(
      `/v1/terminal/link/actions/${after.action!.id}/result`,
      result,
    );
    expect(posted.status).toBe(200);
    expect(posted.body.action.status).toBe('succeeded');
    expect(posted.body.transaction).toMatchObject({
      id: payment.id,
      status: 'succeeded',
      card: { brand: 'visa', last4: '0077' },
    });
    const again = await api.post<{ action: ActionJson; transaction: TransactionJson }>(
      `/v1/terminal/link/actions/${after.action!.id}/result`,
      result,
    );
    expect(again.status).toBe(200);
    expect(again.body.transaction.status).toBe('succeeded');
    const conflicting = await api.post<ErrorResponse>(`/v1/terminal/link/actions/${after.action!.id}/result`, {
      outcome: 'declined',
      failure_code: 'card_declined',
    });
    expect(conflicting.status).toBe(422);
    expect(conflicting.body.error).toMatchObject({ type: 'terminal_error', code: 'action_finished' });
  });

  it('manual capture: approval leaves requires_capture', async () => {
    const { api } = await openLink();
    const payment = await pushPayment({ capture_method: 'manual' });
    const action = (await api.get<Poll>('/v1/terminal/link/poll')).body.action!;
    await api.post(`/v1/terminal/link/actions/${action.id}/result`, { outcome: 'approved' });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body.status).toBe('requires_capture');
  });

  it('a decline or reader failure fails the action and leaves the payment pending with the failure', async () => {
    const { api } = await openLink();
    const payment = await pushPayment();
    const first = (await api.get<Poll>('/v1/terminal/link/poll')).body.action!;
    const declined = await api.post<{ action: ActionJson; transaction: TransactionJson }>(
      `/v1/terminal/link/actions/${first.id}/result`,
      { outcome: 'declined', failure_code: 'insufficient_funds' },
    );
    expect(declined.body.action).toMatchObject({
      status: 'failed',
      failure_code: 'insufficient_funds',
      failure_message: 'Insufficient funds.',
    });
    expect(declined.body.transaction).toMatchObject({ status: 'pending', failure_code: 'insufficient_funds' });
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: hosted.id });
    const second = (await api.get<Poll>('/v1/terminal/link/poll')).body.action!;
    expect(second.id).not.toBe(first.id);
    const failed = await api.post<{ action: ActionJson; transaction: TransactionJson }>(
      `/v1/terminal/link/actions/${second.id}/result`,
      { outcome: 'failed', failure_code: 'reader_timeout', failure_message: 'No card.' },
    );
    expect(failed.body.action).toMatchObject({
      status: 'failed',
      failure_code: 'reader_timeout',
      failure_message: 'No card.',
    });
    expect(failed.body.transaction.status).toBe('pending');
  });

  it('a result for a canceled action is refused; unknown actions are 404', async () => {
    const { api } = await openLink();
    await pushPayment();
    const action = (await api.get<Poll>('/v1/terminal/link/poll')).body.action!;
    await h.api.post(`/v1/terminal/readers/${hosted.id}/cancel-action`);
    const answer = await api.post<ErrorResponse>(`/v1/terminal/link/actions/${action.id}/result`, {
      outcome: 'approved',
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('action_canceled');
    expect(
      (await api.post<ErrorResponse>('/v1/terminal/link/actions/act_unknown/result', { outcome: 'approved' })).status,
    ).toBe(404);
  });

  it('validates result bodies per outcome', async () => {
    const { api } = await openLink();
    await pushPayment();
    const action = (await api.get<Poll>('/v1/terminal/link/poll')).body.action!;
    const path = `/v1/terminal/link/actions/${action.id}/result`;
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{}, 422, 'outcome'],
      [{ outcome: 'maybe' }, 400, 'outcome'],
      [{ outcome: 'approved', failure_code: 'x' }, 400, 'failure_code'],
      [{ outcome: 'approved', card: { brand: 'visa', last4: '42' } }, 422, 'card.last4'],
      [{ outcome: 'approved', card: { brand: 'visa', last4: '4242', cvc: '1' } }, 400, 'card.cvc'],
      [{ outcome: 'declined' }, 422, 'failure_code'],
      [{ outcome: 'declined', failure_code: 'Card Declined!' }, 422, 'failure_code'],
      [{ outcome: 'declined', failure_code: 'card_declined', card: {} }, 400, 'card'],
      [{ outcome: 'failed', failure_code: 'card_declined' }, 400, 'failure_code'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await api.post<ErrorResponse>(path, body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error.param, JSON.stringify(body)).toBe(param);
    }
    expect((await h.api.get<ReaderJson>(`/v1/terminal/readers/${hosted.id}`)).body.action!.status).toBe('in_progress');
  });
});

describe('a report link (purpose "report": a device away, its results still to post)', () => {
  /** A payment the device collected, its link lost before the result was posted. */
  async function actionLeftInProgress(): Promise<{ payment: TransactionJson; action: ActionJson }> {
    const { api } = await openLink();
    const payment = await pushPayment();
    const action = (await api.get<Poll>('/v1/terminal/link/poll')).body.action!;
    await api.del('/v1/terminal/link');
    expect((await reader()).status).toBe('offline');
    return { payment, action };
  }

  it('posts the result, while the reader stays offline: nothing can be pushed to it meanwhile', async () => {
    const { payment, action } = await actionLeftInProgress();
    const seen = (await reader()).last_seen_at;
    const { link, api } = await openLink(hosted.processor_terminal_id, { purpose: 'report' });
    expect(link).toMatchObject({ status: 'open', purpose: 'report' });
    expect(await reader()).toMatchObject({ status: 'offline', last_seen_at: seen });
    // Another till pushes a payment to the reader: refused, the reader has no device behind it.
    const posted = await api.post<{ transaction: TransactionJson }>(`/v1/terminal/link/actions/${action.id}/result`, {
      outcome: 'approved',
    });
    expect(posted.status).toBe(200);
    expect(posted.body.transaction).toMatchObject({ id: payment.id, status: 'succeeded' });
    const other = await h.api.payment({ amount: 990, currency: 'eur' }, '/v1/terminal/create-payment');
    const pushed = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: other.id,
      reader_id: hosted.processor_terminal_id,
    });
    expect(pushed.status).toBe(422);
    expect(pushed.body.error).toMatchObject({ type: 'terminal_error', code: 'reader_offline' });
    expect(await reader()).toMatchObject({ status: 'offline', last_seen_at: seen });
    expect((await api.del('/v1/terminal/link')).status).toBe(200);
    expect((await reader()).status).toBe('offline');
  });

  it('cannot poll, supersedes no collecting link and leaves it online when it closes or goes stale', async () => {
    const { api: collecting } = await openLink();
    const { api: report } = await openLink(hosted.processor_terminal_id, { purpose: 'report' });
    const poll = await report.get<ErrorResponse>('/v1/terminal/link/poll');
    expect(poll.status).toBe(422);
    expect(poll.body.error).toMatchObject({ type: 'terminal_error', code: 'link_report_only' });
    expect((await collecting.get<Poll>('/v1/terminal/link/poll')).status).toBe(200);
    h.clock!.advance(60_000); // both stale: the report link closes, and the collecting one with it
    expect((await report.get<ErrorResponse>('/v1/terminal/link/poll')).body.error.code).toBe('link_closed');
    const { api: again } = await openLink();
    const { api: report2 } = await openLink(hosted.processor_terminal_id, { purpose: 'report' });
    await report2.del('/v1/terminal/link');
    expect((await reader()).status).toBe('online');
    expect((await again.get<Poll>('/v1/terminal/link/poll')).status).toBe(200);
  });

  it('refuses another purpose', async () => {
    const answer = await h.api.post<ErrorResponse>(
      '/v1/terminal/link',
      { reader_id: hosted.processor_terminal_id, purpose: 'watch' },
      { key: await token() },
    );
    expect(answer.status).toBe(400);
  });
});

describe('closing, staleness, superseding', () => {
  it('DELETE closes the link: reader offline, later calls 401 link_closed', async () => {
    const { link, api } = await openLink();
    const closed = await api.del<{ id: string; status: string }>('/v1/terminal/link');
    expect(closed.body).toEqual({ id: link.id, status: 'closed' });
    expect((await reader()).status).toBe('offline');
    const after = await api.get<ErrorResponse>('/v1/terminal/link/poll');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('link_closed');
    expect((await api.del<ErrorResponse>('/v1/terminal/link')).body.error.code).toBe('link_closed');
  });

  it('a link with no poll for stale_after_ms goes offline; a poll in flight keeps it alive', async () => {
    const { api } = await openLink();
    h.clock!.advance(59_000);
    expect((await reader()).status).toBe('online');
    const { version } = (await api.get<Poll>('/v1/terminal/link/poll')).body;
    const poll = startPoll(api, `version=${version}&wait_ms=30000`);
    await settle();
    h.clock!.advance(29_999);
    await settle();
    expect(poll.done()).toBe(false);
    expect((await reader()).status).toBe('online');
    h.clock!.advance(1);
    await poll.answer;
    await settle();
    h.clock!.advance(59_999);
    expect((await reader()).status).toBe('online');
    h.clock!.advance(1);
    expect((await reader()).status).toBe('offline');
    const after = await api.get<ErrorResponse>('/v1/terminal/link/poll');
    expect(after.body.error.code).toBe('link_closed');
  });

  it('a poll abandoned by its client no longer counts as in flight', async () => {
    const { api } = await openLink();
    const { version } = (await api.get<Poll>('/v1/terminal/link/poll')).body;
    const controller = new AbortController();
    const poll = startPoll(api, `version=${version}&wait_ms=30000`, controller.signal);
    await settle();
    controller.abort();
    await poll.answer.catch(() => undefined);
    for (let i = 0; i < 20; i++) await settle();
    h.clock!.advance(60_000);
    expect((await reader()).status).toBe('offline');
  });

  it('an in-progress action survives a lost link and is finished over a new one', async () => {
    const { api } = await openLink();
    const payment = await pushPayment();
    h.clock!.advance(60_000);
    expect((await reader()).status).toBe('offline');
    expect((await reader()).action!.status).toBe('in_progress');
    const { api: second } = await openLink();
    const action = (await second.get<Poll>('/v1/terminal/link/poll')).body.action!;
    expect(action.payment_intent_id).toBe(payment.id);
    expect((await second.post(`/v1/terminal/link/actions/${action.id}/result`, { outcome: 'approved' })).status).toBe(
      200,
    );
    expect(
      (await api.post<ErrorResponse>(`/v1/terminal/link/actions/${action.id}/result`, { outcome: 'approved' })).body
        .error.code,
    ).toBe('link_closed');
  });

  it('a newer link supersedes the old one: its held poll and later calls get 401 link_superseded', async () => {
    const { api: old } = await openLink();
    const { version } = (await old.get<Poll>('/v1/terminal/link/poll')).body;
    const poll = startPoll(old, `version=${version}&wait_ms=30000`);
    await settle();
    const { api: fresh } = await openLink();
    const held = await poll.answer;
    expect(held.status).toBe(401);
    expect((held.body as ErrorResponse).error.code).toBe('link_superseded');
    expect((await old.get<ErrorResponse>('/v1/terminal/link/poll')).body.error.code).toBe('link_superseded');
    expect((await fresh.get<Poll>('/v1/terminal/link/poll')).status).toBe(200);
    expect((await reader()).status).toBe('online');
  });

  it('deleting the terminal closes its link', async () => {
    const { api } = await openLink();
    await h.api.del(`/v1/terminals/${hosted.id}`);
    expect((await api.get<ErrorResponse>('/v1/terminal/link/poll')).body.error.code).toBe('link_closed');
  });

  it('close() of the server releases held polls and leaves no timer behind', async () => {
    const { api } = await openLink();
    const { version } = (await api.get<Poll>('/v1/terminal/link/poll')).body;
    const poll = startPoll(api, `version=${version}&wait_ms=30000`);
    await settle();
    expect(h.clock!.pending).toBeGreaterThan(0);
    await h.sandbox.close();
    const answer = await poll.answer.catch((error: unknown) => ({ status: 0, body: String(error) }));
    expect(answer.status).toBe(200);
    expect(poll.done()).toBe(true);
    expect(h.clock!.pending).toBe(0);
  });
});
