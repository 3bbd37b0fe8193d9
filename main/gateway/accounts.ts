/**
 * The name of the account a gateway reads, as the records that belong to one account keep it (a
 * dispute, a payment): `sandbox` for the embedded sandbox, else the account's address and its key as
 * Settings shows it masked (`https://… sk_test_…9f3a`; Plural: its client id) — what Settings treats as
 * another account when it changes, and never a secret.
 */
import type { GatewayName } from '../../common/contract';
import { maskUrlCredentials, withoutUrlCredentials } from '../../common/url-credentials';
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

/**
 * The account name without a user name or password in its address (an older version kept such an
 * address, and named accounts by it): the name the same account has now (SettingsStore takes them out).
 */
export function accountWithoutCredentials(account: string): string {
  const space = account.indexOf(' ');
  const url = space < 0 ? account : account.slice(0, space);
  return withoutUrlCredentials(url) + (space < 0 ? '' : account.slice(space));
}

/**
 * An account name in the cashier's words: `words` names it in a sentence ("the account at https://…
 * with the key sk_test_…9f3a"), `settings` says what to put back in Settings to use it again.
 */
export function accountWords(gateway: GatewayName, account: string): { words: string; settings: string } {
  if (account === SANDBOX_ACCOUNT) return { words: 'the embedded sandbox', settings: 'the embedded sandbox' };
  const space = account.indexOf(' ');
  // Never a password, whatever an older version kept.
  const url = maskUrlCredentials(space < 0 ? account : account.slice(0, space));
  const name = space < 0 ? '' : account.slice(space + 1);
  const key = gateway === 'plural' ? `the client id ${name}` : `the key ${name}`;
  return {
    words: `the account at ${url} with ${name ? key : 'no key'}`,
    settings: name ? `the URL ${url} and ${key}` : `the URL ${url}`,
  };
}

/** What the till keeps of each gateway's credentials, in the words the cashier reads them. */
export const GATEWAY_KEYS: Record<GatewayName, string> = {
  plutopay: 'secret key',
  payplug: 'secret key',
  plural: 'client secret and signature key',
};
