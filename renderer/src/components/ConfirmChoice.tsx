import type { KeyboardEvent } from 'react';
import { useFocusOnMount } from '../lib/hooks';

/**
 * A confirmation shown in place of the button just pressed ("Yes, cancel the authorisation" /
 * "Keep it"), with the focus on the confirming button: Enter confirms, Tab reaches the way back,
 * Escape takes it (and nothing else: the screen's own Escape does not run).
 */
export function ConfirmChoice({
  yes,
  no,
  busy,
  describedBy,
  onYes,
  onNo,
}: {
  yes: string;
  no: string;
  busy: boolean;
  /** The id of what the choice needs read with it (a warning), heard when the focus lands on "Yes". */
  describedBy?: string | undefined;
  onYes(): void;
  onNo(): void;
}) {
  const confirm = useFocusOnMount<HTMLButtonElement>();
  // Found by a tester: Escape left the focus on "Yes", so the next Enter confirmed.
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    // The buttons go away: the focus goes to the screen's title, where Enter does nothing.
    const title = event.currentTarget.closest('main')?.querySelector<HTMLElement>('h1[tabindex]');
    onNo();
    title?.focus();
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
      <button type="button" onClick={onNo} onKeyDown={onKeyDown} aria-keyshortcuts="Escape">
        {no}
      </button>
    </>
  );
}
