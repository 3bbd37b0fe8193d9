/**
 * Log lines that anyone who can reach a loopback port can cause at will — a refused bridge, a
 * refused or unknown notification, a refused return — must not flood a log: the first `perWindow`
 * of each window are written, the others of that window only counted, and the count goes with the
 * next line written. Without it, a page posting in a loop pushed every earlier entry out of the
 * developer log (it keeps the last 1,000) in a second.
 */
export const LOG_WINDOW_MS = 60_000;

/** `write(line, unlogged)`: `unlogged` lines were left out since the last one written. */
export function logBudget<T>(
  write: (line: T, unlogged: number) => void,
  options: { perWindow?: number; now?: () => number } = {},
): (line: T) => void {
  const perWindow = options.perWindow ?? 1;
  const now = options.now ?? Date.now;
  let windowStart = -Infinity;
  let written = 0;
  let unlogged = 0;
  return (line) => {
    const at = now();
    if (at - windowStart >= LOG_WINDOW_MS) {
      windowStart = at;
      written = 0;
    }
    if (written >= perWindow) {
      unlogged++;
      return;
    }
    written++;
    const left = unlogged;
    unlogged = 0;
    write(line, left);
  };
}
