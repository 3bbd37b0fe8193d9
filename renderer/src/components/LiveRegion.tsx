import { useEffect, useState, type ReactNode } from 'react';

/**
 * How long a `heardOnOpen` region is on the page, empty, before it shows what it was drawn with.
 * A frame is not enough (the region and its text can reach the screen reader in one update); this
 * is what screen-reader announcers commonly wait.
 */
export const LIVE_REGION_SETTLE_MS = 100;

/**
 * Where a message appears ("Recorded: …", "Reader list refreshed.", a command's error): a live
 * region that stays on the page, empty, until there is something to say, and whose text then
 * changes in place. Many screen readers announce only a change inside a live region that was
 * already there: one drawn with its text already in it is often read by none. So a screen draws its
 * message's LiveRegion whatever the message, never `{message ? <p role="status">… : null}`.
 *
 * A panel may open with its message already there: Create payment back with the gateway's
 * refusal, Process payment with "the host has the payment", a transaction's details read while
 * the gateway is offline. Its region would reach the page with its text, heard by none: such a
 * region is `heardOnOpen`, and shows what it was drawn with only once it has been on the page,
 * empty, for LIVE_REGION_SETTLE_MS. (A screen's state line, drawn with the screen, is not: the
 * cashier opened that screen, its title has the focus.)
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
  heardOnOpen = false,
}: {
  /** The message; null, undefined, false or '' leaves the region empty. */
  children?: ReactNode;
  alert?: boolean;
  as?: 'p' | 'div';
  className?: string | undefined;
  id?: string | undefined;
  /** A message the region may be drawn with (its panel opening on it): see above. */
  heardOnOpen?: boolean;
}) {
  const said = children !== null && children !== undefined && children !== false && children !== '';
  // Drawn empty, it is on the page before its first message: that message is a change, announced.
  const [settled, setSettled] = useState(!said || !heardOnOpen);
  useEffect(() => {
    if (settled) return;
    const timer = setTimeout(() => setSettled(true), LIVE_REGION_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [settled]);
  const shown = settled && said;
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
