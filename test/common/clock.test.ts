/** The real clock's timers: a wait beyond Node's 24.8-day timer limit must wait, not fire at once. */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('systemClock', () => {
  it('fires a short timer once, and not after it is cleared', async () => {
    let fired = 0;
    systemClock.setTimeout(() => fired++, 5);
    const cleared = systemClock.setTimeout(() => fired++, 5);
    systemClock.clearTimeout(cleared);
    await sleep(40);
    expect(fired).toBe(1);
  });

  it('keeps a wait of a month waiting (Node alone would fire it after 1 ms, over and over)', async () => {
    let fired = 0;
    const month = systemClock.setTimeout(() => fired++, 30 * 24 * 3_600_000);
    const justOverTheLimit = systemClock.setTimeout(() => fired++, 2 ** 31 + 5);
    await sleep(60);
    expect(fired).toBe(0);
    systemClock.clearTimeout(month);
    systemClock.clearTimeout(justOverTheLimit);
  });
});
