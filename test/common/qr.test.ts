import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import { qrSvg } from '../../common/qr';

describe('QR codes', () => {
  it('renders a payment link as SVG whose modules encode exactly that link', () => {
    const url = 'http://127.0.0.1:4242/payplug/pay/test/abc123';
    const svg = qrSvg(url);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('viewBox');
    // The same text always gives the same code (a redraw never flickers to another one).
    expect(qrSvg(url)).toBe(svg);
    expect(qrSvg(`${url}x`)).not.toBe(svg);
    expect(encode(url, { ecc: 'M' }).size).toBeGreaterThan(20);
  });

  it('refuses empty and over-long text', () => {
    expect(() => qrSvg('')).toThrow(RangeError);
    expect(() => qrSvg('x'.repeat(2_001))).toThrow(RangeError);
  });
});
