/**
 * Work nobody awaits (timers, event handlers, link loops). An unhandled rejection would take the
 * whole host down, so every such promise goes through here and its failure is only reported.
 */
export function inBackground(work: Promise<unknown> | undefined, onError: (error: unknown) => void): void {
  if (!work) return;
  work.catch((error: unknown) => {
    try {
      onError(error);
    } catch {
      // Reporting failed too (e.g. during shutdown): nothing left to tell.
    }
  });
}
