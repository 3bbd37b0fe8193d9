/**
 * A receipt as one self-contained HTML document for the print dialog: inline CSS for 80 mm
 * paper, no script, no external resource (a Content-Security-Policy says so), every string
 * escaped. Test mode puts a black banner top and bottom and a watermark on the paper.
 */
import type { PrintLine } from './layout';
import { cleanText, formatMoney } from './layout';
import type { ReceiptModel } from './types';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const CSS = `
@page { size: 80mm auto; margin: 0; }
* { box-sizing: border-box; }
html { background: #e8e8e8; }
body { margin: 0; color: #000; font: 12px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.paper { position: relative; width: 80mm; margin: 8mm auto; padding: 4mm; background: #fff; }
.title { text-align: center; font-weight: bold; font-size: 17px; }
.center { text-align: center; }
.bold { font-weight: bold; }
.text { overflow-wrap: anywhere; }
.row { display: flex; justify-content: space-between; gap: 1em; }
.row .label { overflow-wrap: anywhere; }
.row .value { text-align: right; white-space: nowrap; }
.row.total { font-weight: bold; font-size: 16px; }
.row.bold { font-weight: bold; }
.blank { height: 1.4em; }
hr { border: 0; border-top: 1px dashed #000; margin: 1.5mm 0; }
hr.double { border-top: 3px double #000; }
pre.terminal { margin: 0; font: inherit; white-space: pre-wrap; overflow-wrap: anywhere; }
.test-banner { margin: 2mm 0; padding: 2mm; border: 2px solid #000; background: #000; color: #fff;
  text-align: center; font-weight: bold; font-size: 16px; letter-spacing: .05em;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print {
  html { background: none; }
  .paper { width: auto; margin: 0; padding: 0 2mm; }
}
`.trim();

/** Only in test mode: a diagonal watermark across the paper, on screen and on paper. */
const TEST_MODE_CSS = `
.test-mode .paper::before { content: "TEST MODE"; position: absolute; top: 45%; left: 0; right: 0;
  text-align: center; font-size: 44px; font-weight: bold; color: rgba(0, 0, 0, .12);
  transform: rotate(-30deg); pointer-events: none; }
`.trim();

function renderLines(lines: readonly PrintLine[], locale: string | undefined): string {
  const out: string[] = [];
  let terminal: string[] | null = null;
  const flushTerminal = (): void => {
    if (terminal) out.push(`<pre class="terminal">${terminal.join('\n')}</pre>`);
    terminal = null;
  };
  for (const line of lines) {
    if (line.kind === 'verbatim') {
      (terminal ??= []).push(escapeHtml(cleanText(line.text).trimEnd()));
      continue;
    }
    flushTerminal();
    switch (line.kind) {
      case 'banner':
        out.push(`<div class="test-banner" role="note">${escapeHtml(cleanText(line.text))}</div>`);
        break;
      case 'title':
        out.push(`<h1 class="title">${escapeHtml(cleanText(line.text))}</h1>`);
        break;
      case 'center':
        out.push(`<div class="center${line.bold ? ' bold' : ''}">${escapeHtml(cleanText(line.text))}</div>`);
        break;
      case 'text':
        out.push(`<div class="text">${escapeHtml(cleanText(line.text))}</div>`);
        break;
      case 'pair': {
        const value =
          typeof line.value === 'string' ? cleanText(line.value) : formatMoney(line.value, locale ? { locale } : {});
        const style = line.style && line.style !== 'normal' ? ` ${line.style}` : '';
        out.push(
          `<div class="row${style}"><span class="label">${escapeHtml(cleanText(line.label))}</span>` +
            `<span class="value">${escapeHtml(value)}</span></div>`,
        );
        break;
      }
      case 'rule':
        out.push(line.char === '=' ? '<hr class="double">' : '<hr>');
        break;
      case 'blank':
        out.push('<div class="blank"></div>');
        break;
    }
  }
  flushTerminal();
  return out.join('\n');
}

/**
 * Only the paper's markup (no document, no CSS), for a page that prints it with its own
 * stylesheet (the app's print area: its policy allows no inline style). Every string escaped.
 */
export function htmlFragment(lines: readonly PrintLine[], locale?: string): string {
  return renderLines(lines, locale);
}

/** A printable document for any PrintLines (receipts, reports). */
export function htmlDocument(title: string, lines: readonly PrintLine[], testMode: boolean, locale?: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(cleanText(title))}</title>`,
    `<style>\n${CSS}${testMode ? `\n${TEST_MODE_CSS}` : ''}\n</style>`,
    '</head>',
    `<body${testMode ? ' class="test-mode"' : ''}>`,
    '<main class="paper">',
    renderLines(lines, locale),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function html(model: ReceiptModel): string {
  return htmlDocument(model.title, model.lines, model.testMode, model.locale);
}
