import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type RefObject } from 'react';
import { flushSync } from 'react-dom';

/** The current time, refreshed every intervalMs (for "12 min ago"). */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * Runs handler for a key pressed anywhere on the page (Esc on the Process screen, …), unless
 * something else already handled it. The latest handler is always used.
 */
export function useKey(key: string, handler: (event: KeyboardEvent) => void, enabled = true): void {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    if (!enabled) return;
    const listener = (event: KeyboardEvent) => {
      if (event.key !== key || event.defaultPrevented || event.isComposing) return;
      latest.current(event);
    };
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, [key, enabled]);
}

/**
 * A form's onKeyDown: Enter in one of its selects submits the form as Enter in its text fields does
 * (through its first submit button, nothing while that is disabled), instead of opening the list:
 * Chromium opens a closed select on Enter, so Enter in Currency charged nothing (found by a tester).
 * Alt+Down, F4 and Space still open the list; Enter in an open list is the browser's own.
 */
export function enterInSelectSubmits(event: ReactKeyboardEvent<HTMLFormElement>): void {
  const target = event.target;
  if (event.key !== 'Enter' || event.defaultPrevented || event.nativeEvent.isComposing) return;
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (!(target instanceof HTMLSelectElement) || target.multiple) return;
  event.preventDefault();
  const form = event.currentTarget;
  const button = Array.from(form.elements).find(
    (element): element is HTMLButtonElement | HTMLInputElement =>
      (element instanceof HTMLButtonElement || element instanceof HTMLInputElement) && element.type === 'submit',
  );
  if (button?.disabled) return;
  form.requestSubmit(button);
}

/**
 * A ref whose element takes the focus when it appears: the confirmation that replaces the button
 * the cashier just pressed, so Enter confirms and Tab goes on from there.
 */
export function useFocusOnMount<T extends HTMLElement>(): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

/**
 * The ref of a form whose refusal puts the cursor in the first field it marks (`aria-invalid`), so
 * a keyboard-only cashier types the fix at once: call `refused()` where a submit sets the error.
 * Only then: an error that changes as the cashier edits leaves the focus where it is.
 */
export function useFocusFirstInvalid(error: unknown): {
  form: RefObject<HTMLFormElement | null>;
  refused: () => void;
} {
  const form = useRef<HTMLFormElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (!error || !asked.current) return;
    asked.current = false;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error]);
  return { form, refused: () => (asked.current = true) };
}

/**
 * For what opens in place of the button pressed for it (a confirmation, an inline form): backing out
 * gives the focus back to that button, drawn again where it was, so a keyboard cashier keeps their
 * place (found by a tester: it went to the screen's or the item's title). Call the hook in the
 * component that opens: it reads what has the focus as it is first drawn, before it takes the
 * opener's place. `back(close, fallback)` draws the screen without it at once (`close`, in
 * flushSync) and focuses the opener; when that is gone, ambiguous or disabled, `fallback()` (read
 * before closing: somewhere Enter does nothing). The one home of this rule: ConfirmChoice and Needs
 * attention's forms use it.
 */
export function useBackToOpener(): (close: () => void, fallback: () => HTMLElement | null) => void {
  const [opener] = useState(focusedNow);
  return (close, fallback) => {
    const otherwise = fallback();
    // Drawn now, so the opener is back in the page to be focused.
    flushSync(close);
    (openerAgain(opener) ?? otherwise)?.focus();
  };
}

/** What had the focus as a confirmation opened (the button pressed for it), and the elements around it. */
interface Opener {
  element: HTMLElement;
  around: HTMLElement[];
}

function focusedNow(): Opener | null {
  const element = document.activeElement;
  if (!(element instanceof HTMLElement) || element === document.body) return null;
  const around: HTMLElement[] = [];
  for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) around.push(up);
  return { element, around };
}

/**
 * The opener once the confirmation is gone: itself if still in the page, else the one element of its
 * kind and words drawn again in the nearest of its surroundings still there (the button a
 * confirmation replaced is a new element). Null when gone, ambiguous or disabled.
 */
function openerAgain(opener: Opener | null): HTMLElement | null {
  if (!opener) return null;
  const { element } = opener;
  let found: HTMLElement | null = element.isConnected ? element : null;
  if (!found) {
    const place = opener.around.find((up) => up.isConnected);
    const same = place
      ? [...place.querySelectorAll<HTMLElement>(element.tagName)].filter((e) => e.textContent === element.textContent)
      : [];
    found = same.length === 1 ? same[0]! : null;
  }
  if (!found || found.matches(':disabled') || found.getAttribute('aria-disabled') === 'true') return null;
  return found;
}
