/**
 * The name of the account a gateway reads, as the records that belong to one account keep it (a
 * dispute): `sandbox` for the embedded sandbox, else the account's address and its key as
 * Settings shows it masked (`https://… sk_test_…9f3a`; Plural: its client id) — what Settings treats as
 * another account when it changes, and never a secret.
 */
import { maskKey } from '../core/masking';
import type { GatewayConfig } from './registry';

/** The embedded sandbox's account name. */
export const SANDBOX_ACCOUNT = 'sandbox';

/** An account typed in Settings, by what names it there and is no secret. */
export function accountNameOf(config: GatewayConfig): string {
  return config.name === 'plural'
    ? `${config.baseUrl} ${config.clientId}`
    : `${config.baseUrl} ${maskKey(config.secretKey) ?? ''}`;
}

