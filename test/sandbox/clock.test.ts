import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { AdvanceableClock } from '../../sandbox/core/clock';
import { Api, start } from './helpers';
import { START, startPayPlug, type LedgerJson, type PayPlugError } from './payplug/helpers';

describe('the sandbox clock', () => {
  it('moving it forward fires what falls due, in order, and leaves the rest waiting for their remaining time', () => {
    const base = new FakeClock(0);
    const clock = new AdvanceableClock(base);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 2_000);
    clock.setTimeout(() => fired.push('a'), 1_000);
    clock.setTimeout(() => fired.push('c'), 10_000);
    clock.advance(5_000);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(5_000);
    base.advance(4_999);
    expect(fired).toEqual(['a', 'b']);
    base.advance(1);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('a cleared timer never fires, and the clock never moves back', () => {
    const clock = new AdvanceableClock(new FakeClock(0));
    let fired = false;
    clock.clearTimeout(clock.setTimeout(() => (fired = true), 10));
    clock.advance(100);
    expect(fired).toBe(false);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('POST /_sandbox/clock moves the time the API reports', async () => {
    const h = await start({ fakeClock: true });
    try {
      const before = Date.parse(String((await h.api.get('/v1/health')).body.timestamp));
      const moved = await h.api.post<{ now: string }>('/_sandbox/clock', { advance_seconds: 3600 });
      expect(moved.status).toBe(200);
      expect(Date.parse(moved.body.now) - before).toBe(3_600_000);
      expect((await h.api.post('/_sandbox/clock', { advance_seconds: -5 })).status).toBe(422);
      expect((await h.api.post('/_sandbox/clock', { advance_seconds: 5 }, { key: null })).status).toBe(401);
    } finally {
      await h.close();
    }
  });
});

describe('the sandbox clock across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-clock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stays where POST /_sandbox/clock moved it: an expired authorization stays expired', async () => {
    const db = join(dir, 'sandbox.db');
    const first = await startPayPlug({ db });
    let id: string;
    let movedTo: number;
    try {
      const p = await first.payment({ amount: undefined, authorized_amount: 5000 });
      id = p.id;
      await first.pay(id);
      await first.advance(8 * 24 * 3600);
      movedTo = Date.parse(
        String((await new Api(first.sandbox.url, first.sandbox.secret_key).get('/v1/health')).body.timestamp),
      );
      expect((await first.api.call('PATCH', `/v1/payments/${id}`, { captured: true })).status).toBe(400);
    } finally {
      await first.close();
    }

    // Same database, a fresh base clock at the same instant: the offset comes back from the database.
    const second = await startPayPlug({ db });
    try {
      const plutopay = new Api(second.sandbox.url, second.sandbox.secret_key);
      expect(Date.parse(String((await plutopay.get('/v1/health')).body.timestamp))).toBe(movedTo);
      const ledger = (await second.api.get<LedgerJson>('/_sandbox/ledger')).body;
      expect(ledger.payments[0]).toMatchObject({ id, status: 'authorization_expired', captured: false });
      const refused = await second.api.call<PayPlugError>('PATCH', `/v1/payments/${id}`, { captured: true });
      expect(refused.status).toBe(400);
      expect(refused.body.details).toMatchObject({ captured: expect.stringContaining('expired') });
      // Moving it again adds to what was kept.
      await second.advance(60);
      expect(Date.parse(String((await plutopay.get('/v1/health')).body.timestamp))).toBe(movedTo + 60_000);
    } finally {
      await second.close();
    }
  });

  it('an in-memory sandbox starts at the base clock', async () => {
    const first = await startPayPlug();
    await first.advance(3600);
    await first.close();
    const second = await startPayPlug();
    try {
      const health = await new Api(second.sandbox.url, second.sandbox.secret_key).get('/v1/health');
      expect(Date.parse(String(health.body.timestamp))).toBe(START);
    } finally {
      await second.close();
    }
  });
});
