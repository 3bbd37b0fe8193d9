/**
 * The hosted checkout page: plain HTML with two form POSTs, no scripts, nothing loaded from
 * anywhere. Every value rendered goes through escapeHtml (descriptions and emails are merchant or
 * customer input).
 */
import { TEST_CARDS } from '../../../common/test-cards';
import { escapeHtml } from '../../core/html';

export { escapeHtml };

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#0b1437;margin:0}
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 4px #0002}
.badge{display:inline-block;background:#fff3cd;color:#664d03;border-radius:6px;padding:.2rem .6rem;font-size:.8rem;font-weight:600}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0 1.5rem}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;font-size:1rem;padding:.7rem;border:1.5px solid #cfd7df;border-radius:8px}
button{width:100%;min-height:48px;margin-top:1.2rem;font-size:1rem;font-weight:600;border:0;border-radius:8px;background:#0b1437;color:#fff;cursor:pointer}
button.secondary{background:transparent;color:#0b1437;border:1.5px solid #cfd7df}
.error{background:#f8d7da;color:#58151c;border-radius:8px;padding:.7rem}
details{margin-top:1.5rem;font-size:.9rem}code{font-size:.85rem}`;

function layout(title: string, live: boolean, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<p class="badge">PlutoPay sandbox · ${live ? 'live mode (emulated: test cards are declined)' : 'test mode'}</p>
${content}
</main></body></html>`;
}

export interface PageModel {
  /** The sandbox runs as a live account (`--mode live`, every card declined): the badge says so. */
  live: boolean;
  reference: string;
  merchant: string;
  description: string | null;
  amount: string;
  collectEmail: boolean;
  collectName: boolean;
  email: string | null;
  name: string | null;
  cardNumber: string;
  error: string | null;
}

export function checkoutPage(m: PageModel): string {
  const ref = encodeURIComponent(m.reference);
  const fields: string[] = [];
  if (m.collectEmail) {
    fields.push(
      `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(m.email ?? '')}">`,
    );
  }
  if (m.collectName) {
    fields.push(
      `<label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name" required value="${escapeHtml(m.name ?? '')}">`,
    );
  }
  fields.push(
    `<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required value="${escapeHtml(m.cardNumber)}">`,
  );
  const cards = TEST_CARDS.map(
    (card) => `<li><code>${escapeHtml(card.number)}</code> ${escapeHtml(card.label)}</li>`,
  ).join('');
  return layout(
    `Pay ${m.merchant}`,
    m.live,
    `<h1>${escapeHtml(m.merchant)}</h1>
${m.description ? `<p>${escapeHtml(m.description)}</p>` : ''}
<p class="amount">${escapeHtml(m.amount)}</p>
${m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>` : ''}
<form method="post" action="/pay/${ref}">
${fields.join('\n')}
<button type="submit">Pay ${escapeHtml(m.amount)}</button>
</form>
<form method="post" action="/pay/${ref}/cancel"><button type="submit" class="secondary">Cancel</button></form>
<details><summary>Test cards</summary><ul>${cards}</ul><p>With an approving card, an amount ending in .01, .05, .55, .65 or .75 declines.</p></details>`,
  );
}

export function messagePage(title: string, message: string, live: boolean): string {
  return layout(title, live, `<h1>${escapeHtml(title)}</h1><p role="status">${escapeHtml(message)}</p>`);
}
