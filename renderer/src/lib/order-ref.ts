/**
 * An order reference for a draft the cashier left without one. It is made once per draft and kept
 * until the payment exists, so pressing Charge again after a lost connection reuses the same
 * reference (the host derives its idempotency key from it) instead of creating a second payment.
 */
export function newOrderReference(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  const random = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `pos-${stamp}-${random}`;
}

export const ORDER_REFERENCE_PATTERN = /^[A-Za-z0-9._:#/-]{1,64}$/;
