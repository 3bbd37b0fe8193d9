import type { KeyboardEvent } from 'react';
import { useFocusOnMount } from '../lib/hooks';

/**
 * A confirmation shown in place of the button just pressed ("Yes, cancel the authorisation" /
 * "Keep it"), with the focus on the confirming button: Enter confirms, Tab reaches the way back,
 * Escape takes it (and nothing else: the screen's own Escape does not run). Backing out (Escape or
 * the way back pressed) puts the focus where Enter does nothing: `backTo`, else the screen's title.
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
  // The buttons go away: the focus goes where Enter does nothing.
  const back = (from: HTMLElement) => {
    const target = backTo?.() ?? from.closest('main')?.querySelector<HTMLElement>('h1[tabindex]');
    onNo();
    target?.focus();
  };
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
