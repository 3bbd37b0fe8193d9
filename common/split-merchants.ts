/**
 * The merchants a till shares split payments with (gateways with split settlement: Plural): the rule
 * for a merchant's id with the gateway — the one home of it, for the contract, the split editor and
 * Settings — and the names the shop gives them in Settings, shown beside the ids wherever the
 * cashier meets a share ("Stall 7 — Noodles (1324)"). A name is the till's own: nothing is sent.
 */

/** A merchant's id with the gateway (Plural's split merchant id): 1–50 letters, digits, . _ -. */
export const SPLIT_MERCHANT_ID = /^[A-Za-z0-9_.-]{1,50}$/;

/** The id rule in the contract's words (a field's issue: the screens make a sentence of it). */
export const SPLIT_MERCHANT_ID_RULE = 'merchant id: 1–50 letters, digits, . _ -';

/** The id rule as the cashier reads it. */
export const SPLIT_MERCHANT_ID_TEXT = 'The merchant id must be 1–50 letters, digits, . _ or -.';

/** As many merchants as Settings keeps: a food court or a mall till, not a marketplace. */
export const MAX_SPLIT_MERCHANTS = 100;

/** A merchant's name as Settings keeps it ("Stall 7 — Noodles"). */
export const MAX_SPLIT_MERCHANT_NAME = 40;

/** One merchant the till shares payments with: its id with the gateway and the shop's name for it. */
export interface SplitMerchant {
  readonly id: string;
  readonly name: string;
}

/** The index of the first merchant whose id came before (ids are compared as typed, trimmed), or -1. */
export function repeatedMerchant(merchants: readonly { readonly id: string }[]): number {
  const ids = merchants.map((merchant) => merchant.id.trim());
  return ids.findIndex((id, index) => ids.indexOf(id) !== index);
}

/** The name Settings gives a merchant id, or null when the till does not know it. */
export function merchantName(merchants: readonly SplitMerchant[] | undefined, id: string): string | null {
  return merchants?.find((merchant) => merchant.id === id)?.name ?? null;
}

/** A merchant as the cashier reads it: "Stall 7 — Noodles (1324)", or the bare id when the till has no name for it. */
export function merchantLabel(merchants: readonly SplitMerchant[] | undefined, id: string): string {
  const name = merchantName(merchants, id);
  return name ? `${name} (${id})` : id;
}
