/**
 * The hosted checkout page: plain HTML with two form POSTs, no scripts, nothing loaded from
 * anywhere. Every value rendered goes through escapeHtml (descriptions and emails are merchant or
 * customer input).
 */
import { TEST_AMOUNT_RULE, TEST_CARDS } from '../../../common/test-cards';
import { escapeHtml, hostedPage, messageContent, type HostedPageLook } from '../../core/html';
import { CHECKOUT_FIELD_MAX } from '../domain/checkout';

const LOOK: HostedPageLook = { gateway: 'PlutoPay', background: '#f4f5f7', ink: '#0b1437' };

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
      `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required maxlength="${CHECKOUT_FIELD_MAX.email}" value="${escapeHtml(m.email ?? '')}">`,
    );
  }
  if (m.collectName) {
    fields.push(
      `<label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name" required maxlength="${CHECKOUT_FIELD_MAX.name}" value="${escapeHtml(m.name ?? '')}">`,
    );
  }
  fields.push(
    `<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required value="${escapeHtml(m.cardNumber)}">`,
  );
  const cards = TEST_CARDS.map(
    (card) => `<li><code>${escapeHtml(card.number)}</code> ${escapeHtml(card.label)}</li>`,
  ).join('');
  return hostedPage(
    LOOK,
    m.live,
    `Pay ${m.merchant}`,
    `<h1>${escapeHtml(m.merchant)}</h1>
${m.description ? `<p>${escapeHtml(m.description)}</p>` : ''}
<p class="amount">${escapeHtml(m.amount)}</p>
${m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>` : ''}
<form method="post" action="/pay/${ref}">
${fields.join('\n')}
<button type="submit">Pay ${escapeHtml(m.amount)}</button>
</form>
<form method="post" action="/pay/${ref}/cancel"><button type="submit" class="secondary">Cancel</button></form>
<details><summary>Test cards</summary><ul>${cards}</ul><p>${escapeHtml(TEST_AMOUNT_RULE)}</p></details>`,
  );
}

export function messagePage(title: string, message: string, live: boolean): string {
  return hostedPage(LOOK, live, title, messageContent(title, message));
}
