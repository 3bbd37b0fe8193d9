import { wallTime } from '../../../common/timezone';

/**
 * An order reference for a draft the cashier left without one. It is made once per draft and kept
 * until the payment exists, so pressing Charge again after a lost connection reuses the same
 * reference (the host derives its idempotency key from it) instead of creating a second payment.
 *
 * It is stamped with the shop's date and time (Settings → Counter → time zone), so that a day's
 * references ("pos-20261130") are that business day's sales whatever the browser's own zone. Until
 * the settings are known (timeZone null), or with a zone this browser does not know, the browser's.
 */
export function newOrderReference(now: Date = new Date(), timeZone: string | null = null): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const wall = shopWall(now, timeZone) ?? {
    year: now.getFullYear(),
    month: now.getMonth() + 1,
    day: now.getDate(),
    hour: now.getHours(),
    minute: now.getMinutes(),
    second: now.getSeconds(),
  };
  const stamp = `${wall.year}${pad(wall.month)}${pad(wall.day)}-${pad(wall.hour)}${pad(wall.minute)}${pad(wall.second)}`;
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  const random = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `pos-${stamp}-${random}`;
}

function shopWall(now: Date, timeZone: string | null) {
  if (!timeZone) return null;
  try {
    return wallTime(now.getTime(), timeZone);
  } catch {
    return null;
  }
}

/** A charge's own name (payments.create's requestId): Esc can cancel it by this before the host reports it. */
export function newRequestId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return `req_${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export const ORDER_REFERENCE_PATTERN = /^[A-Za-z0-9._:#/-]{1,64}$/;
