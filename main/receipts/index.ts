/** Receipts: build a model from plain input, render it as text, HTML or ESC/POS bytes. */
export { buildReceipt, brandLabel, validateReceiptInput } from './model';
export { text } from './text';
export { html, htmlDocument, htmlFragment, escapeHtml } from './html';
export { escpos, escposLines, encodeRows, DEFAULT_ESCPOS_WIDTH } from './escpos';
export type { EscPosOptions } from './escpos';
export { layout, toPlainText, formatMoney, cleanText, RECEIPT_WIDTHS } from './layout';
export type { LayoutOptions, LineStyle, MoneyText, PrintLine, ReceiptWidth, RowStyle, StyledLine } from './layout';
export { ReceiptInputError, TEST_MODE_MARK, TEST_MODE_SHOP_BANK_MARK } from './types';
export type {
  EntryMode,
  ReceiptCopy,
  ReceiptInput,
  ReceiptModel,
  ReceiptRefund,
  ReceiptShop,
  ReceiptShare,
  ReceiptStatus,
} from './types';
