import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bringForward, CASHIER_WINDOW, type Focusable } from '../../main/app/cashier-window';

function fakeWindow(state: { destroyed: boolean; minimized: boolean }) {
  const calls: string[] = [];
  const alive = (name: string) => {
    // As Electron does: any call on a destroyed window throws.
    if (state.destroyed) throw new TypeError('Object has been destroyed');
    calls.push(name);
  };
  const window: Focusable = {
    isDestroyed: () => state.destroyed,
    isMinimized: () => (alive('isMinimized'), state.minimized),
    restore: () => alive('restore'),
    focus: () => alive('focus'),
  };
  return { window, calls };
}

describe('the cashier window (without the Electron runtime)', () => {
  it('a second launch brings it forward, restored if minimised', () => {
    const minimised = fakeWindow({ destroyed: false, minimized: true });
    bringForward(minimised.window);
    expect(minimised.calls).toEqual(['isMinimized', 'restore', 'focus']);
    const shown = fakeWindow({ destroyed: false, minimized: false });
    bringForward(shown.window);
    expect(shown.calls).toEqual(['isMinimized', 'focus']);
  });

  it('a second launch while the app quits (window destroyed, or gone) does nothing and throws nothing', () => {
    expect(() => bringForward(fakeWindow({ destroyed: true, minimized: false }).window)).not.toThrow();
    expect(() => bringForward(null)).not.toThrow();
  });

  it('fits the smallest screen the cashier guide promises', () => {
    const guide = readFileSync('docs/cashier-guide.md', 'utf8');
    const promised = /at least (\d+) × (\d+) pixels/.exec(guide);
    expect(promised).not.toBeNull();
    expect([CASHIER_WINDOW.minWidth, CASHIER_WINDOW.minHeight]).toEqual([Number(promised![1]), Number(promised![2])]);
  });
});
