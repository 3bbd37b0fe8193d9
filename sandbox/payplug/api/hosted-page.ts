/**
 * The payment page at a payment's payment_url: plain HTML forms, no scripts, nothing loaded from
 * anywhere (the server sends a CSP that forbids it). Every value rendered goes through escapeHtml.
 * Form actions are paths, not URLs, so the page works from whatever address a phone reached it at.
 */
import { PAYPLUG_TEST_CARDS } from '../../../common/test-cards';
import { escapeHtml, hostedPage, messageContent, type HostedPageLook } from '../../core/html';

const LOOK: HostedPageLook = {
  gateway: 'PayPlug',
  background: '#eef2f7',
  ink: '#1b2a41',
  extraStyle: '\ninput[type=checkbox]{width:auto;margin-right:.5rem}\n.row{display:flex;gap:.8rem}.row>div{flex:1}',
};

export interface PaymentPageModel {
  /** The page's path (the form posts back to it; cancel is `${path}/cancel`). */
  path: string;
  live: boolean;
  amount: string;
  description: string | null;
  deferred: boolean;
  installment: string | null;
  /** Customer fields the merchant did not give, asked here. */
  ask: ReadonlyArray<'first_name' | 'last_name' | 'email'>;
  saveCard: 'required' | 'optional' | 'none';
  returnUrl: string | null;
  form: { card_number: string; exp_month: string; exp_year: string; cvc: string; save_card: boolean } & Partial<
    Record<'first_name' | 'last_name' | 'email', string>
  >;
  error: string | null;
}

const ASK_LABELS = { first_name: 'First name', last_name: 'Last name', email: 'Email' } as const;

/** The longest customer field the page takes, as the API's `customer` does (UTF-16 units). */
export const ASK_MAX_LENGTH = { first_name: 100, last_name: 100, email: 255 } as const;

function input(name: string, label: string, value: string, extra = ''): string {
  return `<label for="${name}">${label}</label><input id="${name}" name="${name}" value="${escapeHtml(value)}"${extra}>`;
}

export function paymentPage(m: PaymentPageModel): string {
  const fields = m.ask.map((name) =>
    input(
      name,
      ASK_LABELS[name],
      m.form[name] ?? '',
      `${name === 'email' ? ' type="email" autocomplete="email"' : ''} maxlength="${ASK_MAX_LENGTH[name]}"`,
    ),
  );
  fields.push(
    input('card_number', 'Card number', m.form.card_number, ' inputmode="numeric" autocomplete="cc-number" required'),
  );
  fields.push(
    `<div class="row"><div>${input('exp_month', 'Month (MM)', m.form.exp_month, ' inputmode="numeric" autocomplete="cc-exp-month" required')}</div>` +
      `<div>${input('exp_year', 'Year (YYYY)', m.form.exp_year, ' inputmode="numeric" autocomplete="cc-exp-year" required')}</div>` +
      `<div>${input('cvc', 'CVC', m.form.cvc, ' inputmode="numeric" autocomplete="cc-csc" required')}</div></div>`,
  );
  if (m.saveCard !== 'none') {
    const checked = m.form.save_card || m.saveCard === 'required' ? ' checked' : '';
    const required = m.saveCard === 'required' ? ' required' : '';
    fields.push(
      `<label><input type="checkbox" name="save_card" value="1"${checked}${required}>Save my card for later payments${m.saveCard === 'required' ? ' (required)' : ''}</label>`,
    );
  }
  const cards = PAYPLUG_TEST_CARDS.map(
    (card) =>
      `<li><code>${escapeHtml(card.number.replace(/(\d{4})(?=\d)/g, '$1 '))}</code> ${escapeHtml(card.label)}</li>`,
  ).join('');
  const verb = m.deferred ? 'Authorize' : 'Pay';
  return hostedPage(
    LOOK,
    m.live,
    `${verb} ${m.amount}`,
    `<h1>Sandbox Shop</h1>
${m.description ? `<p>${escapeHtml(m.description)}</p>` : ''}
${m.installment ? `<p>${escapeHtml(m.installment)}</p>` : ''}
<p class="amount">${escapeHtml(m.amount)}</p>
${m.deferred ? '<p>Your card is authorized now; the merchant charges it later.</p>' : ''}
${m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>` : ''}
${m.error && m.returnUrl ? `<p><a href="${escapeHtml(m.returnUrl)}">Back to the merchant</a></p>` : ''}
<form method="post" action="${escapeHtml(m.path)}">
${fields.join('\n')}
<button type="submit">${verb} ${escapeHtml(m.amount)}</button>
</form>
<form method="post" action="${escapeHtml(m.path)}/cancel"><button type="submit" class="secondary">Cancel payment</button></form>
<details><summary>Test cards</summary><ul>${cards}</ul><p>Any other number is declined (card_declined). Any CVC and any future expiry date are accepted.</p></details>`,
  );
}

export function messagePage(title: string, message: string, live: boolean, link: string | null = null): string {
  return hostedPage(
    LOOK,
    live,
    title,
    `${messageContent(title, message)}${link ? `<p><a href="${escapeHtml(link)}">Back to the merchant</a></p>` : ''}`,
  );
}
