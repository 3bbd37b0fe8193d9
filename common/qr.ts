/**
 * QR codes as SVG markup (sharp at any size, on the cashier's screen and the customer display):
 * a thin wrapper over uqr, the one encoder the app uses. Pure: no DOM, no Node.
 */
import { renderSVG } from 'uqr';

export interface QrOptions {
  /** Error correction: M (15 %) by default, enough for a screen that may be glared or smudged. */
  ecc?: 'L' | 'M' | 'Q' | 'H';
  /** Quiet zone, in modules (4 by the standard). */
  border?: number;
  pixelSize?: number;
}

/** The QR code for `text` as an <svg> element's markup; RangeError for empty or over-long text. */
export function qrSvg(text: string, options: QrOptions = {}): string {
  if (text.length === 0) throw new RangeError('a QR code needs some text');
  if (text.length > 2_000) throw new RangeError('too long for a QR code a phone can read at the counter');
  return renderSVG(text, {
    ecc: options.ecc ?? 'M',
    border: options.border ?? 4,
    pixelSize: options.pixelSize ?? 4,
  });
}
