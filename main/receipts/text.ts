/** Plain-text receipts at 32, 42 or 48 columns (the screen preview, e-mail, a text printer). */
import type { ReceiptWidth } from './layout';
import { layout, toPlainText } from './layout';
import type { ReceiptModel } from './types';

export function text(model: ReceiptModel, width: ReceiptWidth): string {
  return toPlainText(layout(model.lines, width, { locale: model.locale }));
}
