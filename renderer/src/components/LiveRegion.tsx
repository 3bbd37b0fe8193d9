import type { ReactNode } from 'react';

/**
 * Where a message appears ("Recorded: …", "Reader list refreshed.", a command's error): a live
 * region that stays on the page, empty, until there is something to say, and whose text then
 * changes in place. Many screen readers announce only a change inside a live region that was
 * already there: one drawn with its text already in it is often read by none. So a screen draws its
 * message's LiveRegion whatever the message, never `{message ? <p role="status">… : null}`.
 *
 * Polite (role="status") for what the cashier is told; `alert` (role="alert", assertive: it cuts in)
 * only for an error that stops what the cashier was doing. Empty, it takes no room (no margin, and
 * `className` — the box's look — applies only while there is a message), so the layout is as if
 * it were not there.
 */
export function LiveRegion({
  children,
  alert = false,
  as: Tag = 'p',
  className,
  id,
}: {
  /** The message; null, undefined, false or '' leaves the region empty. */
  children?: ReactNode;
  alert?: boolean;
  as?: 'p' | 'div';
  className?: string | undefined;
  id?: string | undefined;
}) {
  const shown = children !== null && children !== undefined && children !== false && children !== '';
  return (
    <Tag
      id={id}
      role={alert ? 'alert' : 'status'}
      className={shown && className ? `live-region ${className}` : 'live-region'}
    >
      {shown ? children : null}
    </Tag>
  );
}
