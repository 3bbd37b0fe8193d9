/** The names of the accounts records keep (main/gateway/accounts.ts): never a password. */
import { describe, expect, it } from 'vitest';
import { accountWithoutCredentials, accountWords } from '../../main/gateway/accounts';

describe('account names', () => {
  it('an address an older version kept with a password names the account without it', () => {
    expect(accountWithoutCredentials('https://shop:SECRETPASS@gw.example/api sk_test_…9f3a')).toBe(
      'https://gw.example/api sk_test_…9f3a',
    );
    // Plural's client id after the address may hold an @: only the address is read.
    expect(accountWithoutCredentials('https://plural.example ops@shop')).toBe('https://plural.example ops@shop');
    expect(accountWithoutCredentials('sandbox')).toBe('sandbox');
  });

  it("says an account in the cashier's words without the password its address may hold", () => {
    const { words, settings } = accountWords('plutopay', 'https://shop:SECRETPASS@gw.example/api sk_test_…9f3a');
    expect(words).toBe('the account at https://…@gw.example/api with the key sk_test_…9f3a');
    expect(settings).not.toContain('SECRETPASS');
  });
});
