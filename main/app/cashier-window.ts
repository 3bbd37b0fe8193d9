/**
 * The cashier's window as plain data and functions, tested in Node without the Electron runtime
 * (this file must not import 'electron').
 */

/** Its size, and the smallest counter screen the cashier guide promises (10 inches, 1024 × 600). */
export const CASHIER_WINDOW = { width: 1280, height: 800, minWidth: 1024, minHeight: 600 } as const;

/** What a second launch needs of the window (a BrowserWindow has these). */
export interface Focusable {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
}

/**
 * A second launch brings the window forward. While the app quits the window is gone and the host
 * is still closing: there is nothing to bring (found by a reviewer: the destroyed window threw in
 * the main process).
 */
export function bringForward(window: Focusable | null): void {
  if (!window || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.focus();
}
