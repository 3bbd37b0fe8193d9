import { useEffect, useRef, useState, type RefObject } from 'react';

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
