import { useEffect, useState } from 'react';
import type { PaymentView } from '../../../common/contract';
import { usePosStore } from './context';

/** How long a burst of host events settles before a screen reads its pages again. */
export const LIST_CHANGE_SETTLE_MS = 50;

/**
 * Counts the host events that may have changed a host-side list a screen shows a page of: a
 * payment whose place in it (`placeOf`: whether it is in the list, and whatever of it the host
 * totals) changed, or one this page had not seen before (it may have been in the list, in a page
 * not read, and left it). A screen showing a page of that list with the host's count of the rest
 * reads them again on each, so its "N not shown" follows the payments instead of staying as first
 * read. Events in a burst count once; a snapshot does not count (the screens read their pages again
 * on a snapshot anyway), nor do the screen's own reads (command results are not host events).
 * `placeOf` should be stable (a module-level function).
 */
export function useListChanges(placeOf: (payment: PaymentView) => string | boolean): number {
  const store = usePosStore();
  const [changes, setChanges] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = store.subscribe((state, previous) => {
      const now = state.host;
      const before = previous.host;
      if (now.seq === before.seq || now.payments === before.payments || now.snapshots !== before.snapshots) return;
      let moved = false;
      for (const id in now.payments) {
        const was = before.payments[id];
        const is = now.payments[id]!;
        if (was === is) continue;
        if (!was || placeOf(was) !== placeOf(is)) {
          moved = true;
          break;
        }
      }
      if (!moved || timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        setChanges((n) => n + 1);
      }, LIST_CHANGE_SETTLE_MS);
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [store, placeOf]);
  return changes;
}
