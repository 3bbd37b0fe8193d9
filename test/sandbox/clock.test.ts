import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { AdvanceableClock } from '../../sandbox/core/clock';
import { start } from './helpers';

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
