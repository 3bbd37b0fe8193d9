import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { maskKey, redact } from '../../main/core/masking';
import { DevLog } from '../../main/host/devlog';

describe('redaction', () => {
  it('masks every kind of credential but keeps its prefix', () => {
    const text =
      'key sk_test_abcDEF123456 pk_live_zzzzzzzz9 token pst_test_Q1w2e3r4 link lks_9f8e7d6c webhook whsec_abc123 ' +
      'header Bearer sk_live_XYZ987654 secret pi_abc_secret_def';
    const out = redact(text);
    for (const secret of [
      'abcDEF123456',
      'zzzzzzzz9',
      'Q1w2e3r4',
      '9f8e7d6c',
      'whsec_abc123',
      'XYZ987654',
      'secret_def',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('sk_test_[redacted]');
    expect(out).toContain('lks_[redacted]');
    expect(out).toContain('Bearer [redacted]');
  });

  it("masks a URL's user name and password, wherever the URL is in the text", () => {
    // Found in a security review: a PayPlug notification URL naming its forwarder's password
    // (https://shop:…@hooks…) reached the screen and the log in clear.
    expect(redact('notification_url https://shop:SECRETPASS@hooks.example/pos refused')).toBe(
      'notification_url https://…@hooks.example/pos refused',
    );
    expect(redact('to http://TOKEN@127.0.0.1:9/x?y=1')).toBe('to http://…@127.0.0.1:9/x?y=1');
    // As a URL parser reads it, the last @ before the path ends the user part: nothing of it shows.
    expect(redact('https://a@b:SECRETPASS@hooks.example')).toBe('https://…@hooks.example');
    // An @ in a path, a query or an e-mail address is no credential.
    for (const text of ['https://api.example.com/@shop', 'https://x.example/?to=a@b.example', 'mail ops@shop.example'])
      expect(redact(text)).toBe(text);
  });

  it('masks card numbers, however grouped, to their last four, and leaves other numbers alone', () => {
    expect(redact('card 4242424242424242 declined')).toBe('card [card …4242] declined');
    expect(redact('card 4000 0566 5566 5556.')).toBe('card [card …5556].');
    expect(redact('card 5555-5555-5555-4444')).toBe('card [card …4444]');
    expect(redact('amex 378282246310005')).toBe('amex [card …0005]');
    // A timestamp in ms, a number failing Luhn's check, ids and amounts are not card numbers.
    for (const text of ['at 1718000000000', '4242424242424241', 'pay_4242424242424242', 'amount 250000 cents'])
      expect(redact(text)).toBe(text);
  });

  it('shows keys masked to their last four characters, and nothing of a short one', () => {
    expect(maskKey('sk_test_1234567890abcd')).toBe('sk_test_…abcd');
    expect(maskKey(null)).toBeNull();
    // Of a short secret the last four would be most of it (found by a tester: "abcd" shown whole).
    for (const short of ['abcd', 'Zq9', 'e', 'abcdefghijk', 'whsec_abcdefgh'])
      expect(maskKey(short)).toBe(short.startsWith('whsec_') ? 'whsec_…' : '…');
    expect(maskKey('abcdefghijkl')).toBe('…ijkl');
  });

  it('keeps only a known prefix: the start of a secret with an underscore is not one', () => {
    // A Plural client secret has no prefix; any lower-case letters before an underscore were shown.
    expect(maskKey('plutoniumvault_x1y2z3w4')).toBe('…z3w4');
    expect(maskKey('abc_defgh')).toBe('…');
    expect(maskKey('whsec_1234567890abcd')).toBe('whsec_…abcd');
    expect(maskKey('pk_live_1234567890abcd')).toBe('pk_live_…abcd');
  });

  it('redacts what is logged and keeps a bounded history', () => {
    const log = new DevLog(new FakeClock(), 3);
    const seen: string[] = [];
    log.onEntry((e) => seen.push(e.summary));
    for (let i = 0; i < 5; i++) log.add('request', `call ${i} with sk_test_secret${i}abc`);
    expect(log.list(10).map((e) => e.id)).toEqual([3, 4, 5]);
    expect(seen.join(' ')).not.toMatch(/secret\dabc/);
  });
});
