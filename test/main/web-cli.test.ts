/**
 * The web CLI's gateway flags: `--gateway` picks the till's gateway (the embedded sandbox's emulator
 * of it in test mode), `--gateway-url` points it at an external one with credentials taken from the
 * environment only.
 */
import { describe, expect, it } from 'vitest';
import { launchGateway, parseWebArgs } from '../../main/web/cli';

describe('web CLI gateway flags', () => {
  it('keeps the defaults without them', () => {
    const options = parseWebArgs(['--port', '0'], '/static', { POS_DATA_DIR: '/tmp/till' });
    expect(options).toMatchObject({ gateway: null, gatewayUrl: null, dataDir: '/tmp/till' });
  });

  it('takes --gateway plutopay|payplug|plural and refuses anything else', () => {
    for (const name of ['plutopay', 'payplug', 'plural'] as const)
      expect(parseWebArgs(['--gateway', name], '/static', {}).gateway).toBe(name);
    expect(() => parseWebArgs(['--gateway', 'stripe'], '/static', {})).toThrow(/plutopay, payplug, plural/);
    expect(() => parseWebArgs(['--gateway'], '/static', {})).toThrow(/needs a value/);
  });

  it('reads an external gateway’s credentials from the environment, never from flags', () => {
    const url = 'http://127.0.0.1:4242/payplug';
    expect(launchGateway('payplug', url, { POS_SECRET_KEY: 'sk_test_abcdefgh' })).toEqual({
      name: 'payplug',
      url,
      secretKey: 'sk_test_abcdefgh',
    });
    expect(launchGateway('plutopay', url, { POS_SECRET_KEY: 'sk_test_abcdefgh' })).toMatchObject({
      name: 'plutopay',
    });
    expect(() => launchGateway('payplug', url, {})).toThrow(/POS_SECRET_KEY/);
    const plural = {
      POS_PLURAL_CLIENT_ID: 'client-1',
      POS_PLURAL_CLIENT_SECRET: 'secret-1',
      POS_PLURAL_SIGNATURE_KEY: 'abcdef0123',
    };
    expect(launchGateway('plural', url, plural)).toEqual({
      name: 'plural',
      url,
      clientId: 'client-1',
      clientSecret: 'secret-1',
      signatureKey: 'abcdef0123',
    });
    expect(() => launchGateway('plural', url, { ...plural, POS_PLURAL_CLIENT_SECRET: '' })).toThrow(
      /POS_PLURAL_CLIENT_SECRET/,
    );
  });
});
