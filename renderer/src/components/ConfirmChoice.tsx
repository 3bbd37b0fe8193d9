import { useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { useBackToOpener, useFocusOnMount } from '../lib/hooks';

/**
 * An open confirmation whose choice the host no longer allows (it changed meanwhile: the payment's
 * outcome became known, a payment arrived on the reader): it is withdrawn before the cashier can
 * press it. Returns the choice to draw a ConfirmChoice for: `open` while `allowed(open)`, else null,
 * so the stale "Yes" is never drawn. Then, before the page is painted, `withdraw(open)` closes it
 * and says why, and the focus that was on it (now on nothing) goes to `focusBack()`, where Enter
 * does nothing. The one home of this rule: Needs attention's items, the Readers screen and an installment plan's
 * abort use it.
 */
export function useWithdrawnChoice<T>(
  open: T | null,
  allowed: (choice: T) => boolean,
  withdraw: (choice: T) => void,
  focusBack: () => HTMLElement | null,
): T | null {
  const withdrawn = open !== null && !allowed(open) ? open : null;
  const latest = useRef({ withdraw, focusBack });
  useLayoutEffect(() => {
    latest.current = { withdraw, focusBack };
  });
  useLayoutEffect(() => {
    if (withdrawn === null) return;
    latest.current.withdraw(withdrawn);
    const active = document.activeElement;
    if (active === null || active === document.body || !active.isConnected) latest.current.focusBack()?.focus();
  }, [withdrawn]);
  return withdrawn === null ? open : null;
}

/**
 * A confirmation shown in place of the button just pressed ("Yes, cancel the authorisation" /
 * "Keep it"), with the focus on the confirming button: Enter confirms, Tab reaches the way back,
 * Escape takes it (and nothing else: the screen's own Escape does not run). Backing out (Escape or
 * the way back pressed) gives the focus back to what opened it — the button, drawn again where it
 * was —, so a keyboard cashier keeps their place (found by a tester: it went to the screen's title).
 * When that is gone or disabled, to `backTo`, else the screen's title: somewhere Enter does nothing.
 */
export function ConfirmChoice({
  yes,
  no,
  busy,
  describedBy,
  backTo,
  onYes,
  onNo,
}: {
  yes: string;
  no: string;
  busy: boolean;
  /** The id of what the choice needs read with it (a warning), heard when the focus lands on "Yes". */
  describedBy?: string | undefined;
  /** Where the focus goes on backing out, when not the screen's title (an item's own title). */
  backTo?: (() => HTMLElement | null) | undefined;
  onYes(): void;
  onNo(): void;
}) {
  const confirm = useFocusOnMount<HTMLButtonElement>();
  const backToOpener = useBackToOpener();
  const back = (from: HTMLElement) =>
    backToOpener(onNo, () => backTo?.() ?? from.closest('main')?.querySelector<HTMLElement>('h1[tabindex]') ?? null);
  // Found by a tester: Escape left the focus on "Yes", so the next Enter confirmed.
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    back(event.currentTarget);
  };
  return (
    <>
      <button
        ref={confirm}
        type="button"
        className="danger"
        disabled={busy}
        aria-describedby={describedBy}
        onClick={onYes}
        onKeyDown={onKeyDown}
      >
        {yes}
      </button>
      <button
        type="button"
        onClick={(event) => back(event.currentTarget)}
        onKeyDown={onKeyDown}
        aria-keyshortcuts="Escape"
      >
        {no}
      </button>
    </>
  );
}
