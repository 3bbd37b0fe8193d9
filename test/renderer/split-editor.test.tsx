// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';
import type { SettingsView } from '../../common/contract';
import { fail, FakeBridge, makePayment, makeSettings, makeSnapshot, ok, renderApp } from './helpers';

function pluralBridge(tipping = false, splitMerchants: SettingsView['splitMerchants'] = []) {
  const settings = makeSettings({ gateway: 'plural', splitMerchants });
  const counter = {
    ...settings.counter,
    tipping: { enabled: tipping, presets: [10, 15, 20] },
    // A customer display showing: the tip would be the customer's to choose.
    customerDisplay: { url: 'http://127.0.0.1:1/#display=ab', connected: tipping ? 1 : 0 },
  };
  const bridge = new FakeBridge(makeSnapshot({ settings: { ...settings, counter }, readers: [] }));
  bridge.on('payments.create', (input) =>
    ok(
      makePayment({
        id: 'pay_split00001',
        gateway: 'plural',
        channel: 'link',
        amount: input.amount,
        currency: 'INR',
        payUrl: 'http://127.0.0.1:4010/plural/checkout/tok',
      }),
    ),
  );
  return bridge;
}

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
const remainder = () => document.getElementById('split-remainder')!;
const charge = () => screen.getByRole('button', { name: 'Charge' }) as HTMLButtonElement;

describe('the split editor (Create payment, a gateway that splits)', () => {
  it('is offered only when the gateway can split a payment', async () => {
    const { unmount } = await renderApp();
    expect(screen.queryByRole('group', { name: /Split between merchants/ })).toBeNull();
    unmount();
    await renderApp(pluralBridge());
    expect(screen.getByRole('group', { name: /Split between merchants/ })).toBeTruthy();
    expect(remainder().textContent).toBe('Not split: the whole payment is settled to this account.');
    expect(remainder().getAttribute('aria-live')).toBe('polite');
  });

  it("offers the merchants saved in Settings, shows the chosen one's name, and takes an id not in the list", async () => {
    const bridge = pluralBridge(false, [
      { id: '1324', name: 'Stall 7 — Noodles' },
      { id: '1325', name: 'Stall 8 — Tea' },
    ]);
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '30000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    const offered = document.getElementById(field('Share 1 merchant id').getAttribute('list')!)!;
    expect(offered.tagName).toBe('DATALIST');
    expect([...offered.querySelectorAll('option')].map((o) => [o.value, o.label])).toEqual([
      ['1324', 'Stall 7 — Noodles'],
      ['1325', 'Stall 8 — Tea'],
    ]);
    await user.keyboard('1325');
    // The name is shown beside the id and read with it.
    expect(field('Share 1 merchant id')).toHaveProperty('value', '1325');
    const name = screen.getByText('Stall 8 — Tea', { selector: 'p' });
    expect(field('Share 1 merchant id').getAttribute('aria-describedby')).toBe(name.id);
    await user.clear(field('Share 1 amount'));
    await user.type(field('Share 1 amount'), '20000');
    await user.click(screen.getByRole('button', { name: 'Add a share' }));
    // An id the till has no name for is taken as typed.
    await user.keyboard('9999');
    expect(screen.queryByText('Stall 7 — Noodles', { selector: 'p' })).toBeNull();
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]).toMatchObject({
      splits: [
        { merchantId: '1325', amount: 20000 },
        { merchantId: '9999', amount: 10000 },
      ],
    });
  });

  it('offers no list when Settings keeps no merchants', async () => {
    const { user } = await renderApp(pluralBridge());
    await user.type(field('Amount'), '30000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    expect(field('Share 1 merchant id').getAttribute('list')).toBeNull();
    expect(field('Share 1 merchant id').getAttribute('aria-describedby')).toBeNull();
  });

  it('a payment shared between merchants takes no tip: the tip choice goes while it is split', async () => {
    // Found by a tester: with tipping on and a customer display, Charge on a split payment asked the
    // customer for a tip, which the host refuses (a split payment takes no tip).
    const bridge = pluralBridge(true);
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '50000');
    expect(screen.getByRole('radio', { name: /customer chooses/ })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('1324');
    expect(screen.queryByRole('radio', { name: /customer chooses/ })).toBeNull();
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]).not.toHaveProperty('askTip');
    expect(bridge.inputs('payments.create')[0]).not.toHaveProperty('tip');
  });

  it('is driven from the keyboard: rows start with what is left, the remainder is announced, Charge waits for the sum', async () => {
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '50000');
    expect(field('Amount').value).toBe('₹500.00');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    // The first share takes the whole amount and the focus.
    expect(document.activeElement).toBe(field('Share 1 merchant id'));
    expect(field('Share 1 amount').value).toBe('₹500.00');
    expect(remainder().textContent).toBe('The shares add up to ₹500.00.');
    await user.keyboard('1324{Tab}stall-7{Tab}');
    expect(document.activeElement).toBe(field('Share 1 amount'));
    await user.keyboard('{Backspace}{Backspace}{Backspace}{Backspace}{Backspace}30000');
    expect(field('Share 1 amount').value).toBe('₹300.00');
    expect(remainder().textContent).toBe('₹200.00 left to share.');
    expect(charge().disabled).toBe(true);
    await user.keyboard('{Tab} ');
    expect(field('Share 1 on hold').checked).toBe(true);
    // Insert adds a share below, with what is left, and moves there.
    await user.keyboard('{Insert}');
    expect(document.activeElement).toBe(field('Share 2 merchant id'));
    expect(field('Share 2 amount').value).toBe('₹200.00');
    expect(remainder().textContent).toBe('The shares add up to ₹500.00 (1 held).');
    await user.keyboard('1233');
    // Alt+N adds one more; Ctrl+Delete takes it away again and the focus goes back up.
    await user.keyboard('{Alt>}n{/Alt}');
    expect(document.activeElement).toBe(field('Share 3 merchant id'));
    expect(field('Share 3 amount').value).toBe('');
    await user.keyboard('{Control>}{Delete}{/Control}');
    expect(screen.queryByLabelText('Share 3 merchant id')).toBeNull();
    expect(document.activeElement).toBe(field('Share 2 merchant id'));
    expect(charge().disabled).toBe(false);
    expect(screen.getByText(/₹500\.00 shared between 2 merchants \(1 held\)/)).toBeTruthy();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]).toMatchObject({
      amount: 50_000,
      currency: 'INR',
      splits: [
        { merchantId: '1324', settlementReference: 'stall-7', amount: 30_000, onHold: true },
        { merchantId: '1233', amount: 20_000, onHold: false },
      ],
    });
    expect(bridge.inputs('payments.create')[0]!.splits![1]).not.toHaveProperty('settlementReference');
  });

  it('reads a pasted share in major units, as the Amount field does', async () => {
    // "300" pasted into a share was read as typed digits: ₹3.00, and Insert then offered ₹497.00.
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '50000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.tripleClick(field('Share 1 amount'));
    await user.paste('300');
    expect(field('Share 1 amount').value).toBe('₹300.00');
    expect(remainder().textContent).toBe('₹200.00 left to share.');
    await user.click(screen.getByRole('button', { name: 'Add a share' }));
    await user.tripleClick(field('Share 2 amount'));
    await user.paste('12.5');
    expect(field('Share 2 amount').value).toBe('₹12.50');
    await user.tripleClick(field('Share 2 amount'));
    await user.paste('200.00');
    expect(remainder().textContent).toBe('The shares add up to ₹500.00.');
    await user.type(field('Share 1 merchant id'), 'm1');
    await user.type(field('Share 2 merchant id'), 'm2');
    // A paste that is not an amount leaves the share as it was, says why, and nothing is charged.
    await user.tripleClick(field('Share 2 amount'));
    await user.paste('₹1,87.505');
    expect(field('Share 2 amount').value).toBe('₹200.00');
    expect(screen.getByText('The share was not pasted: "₹1,87.505" is not an amount.')).toBeTruthy();
    expect(field('Share 2 amount').getAttribute('aria-invalid')).toBe('true');
    await user.click(charge());
    expect(bridge.count('payments.create')).toBe(0);
    await user.tripleClick(field('Share 2 amount'));
    await user.paste('200');
    expect(screen.queryByText(/was not pasted/)).toBeNull();
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]).toMatchObject({
      amount: 50_000,
      splits: [
        { merchantId: 'm1', amount: 30_000 },
        { merchantId: 'm2', amount: 20_000 },
      ],
    });
  });

  it('shows a share past the most a payment can be as typed, marked, never cut to that most', async () => {
    // Found by a UI hunt: "99999999999999" pasted into a share read ₹10,00,000.00 without a word (and
    // a digit typed past it was dropped), where the Amount field shows it as typed and says why.
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '100000000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('m1');
    expect(field('Share 1 amount').value).toBe('₹10,00,000.00');
    // A zero too many, typed: shown, marked, and nothing is charged.
    await user.type(field('Share 1 amount'), '0');
    expect(field('Share 1 amount').value).toBe('₹1,00,00,000.00');
    expect(screen.getByText('The share can be at most ₹10,00,000.00.')).toBeTruthy();
    expect(field('Share 1 amount').getAttribute('aria-invalid')).toBe('true');
    expect(remainder().textContent).toBe('The shares are ₹90,00,000.00 more than the amount.');
    await user.keyboard('{Enter}');
    expect(bridge.count('payments.create')).toBe(0);
    // Pasted, the same; past what a number holds exactly, the share is left as it was, marked.
    await user.tripleClick(field('Share 1 amount'));
    await user.paste('12345678');
    expect(field('Share 1 amount').value).toBe('₹1,23,45,678.00');
    expect(screen.getByText('The share can be at most ₹10,00,000.00.')).toBeTruthy();
    await user.tripleClick(field('Share 1 amount'));
    await user.paste('99999999999999');
    expect(field('Share 1 amount').value).toBe('₹1,23,45,678.00');
    expect(screen.getByText('The share can be at most ₹10,00,000.00.')).toBeTruthy();
    // Back to the amount: the mark goes, and the charge goes.
    await user.tripleClick(field('Share 1 amount'));
    await user.paste('1000000');
    expect(field('Share 1 amount').value).toBe('₹10,00,000.00');
    expect(screen.queryByText('The share can be at most ₹10,00,000.00.')).toBeNull();
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]!.splits).toEqual([
      expect.objectContaining({ merchantId: 'm1', amount: 100_000_000 }),
    ]);
  });

  it('keeps a typed minus in a share and refuses it, as every amount field does', async () => {
    // Found by using the app: "-20000" typed in a share read as ₹200.00, the shares then added up,
    // and Enter charged the merchant ₹200.00 — the minus dropped without a word.
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '50000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('1324{Tab}{Tab}');
    await user.keyboard('{Backspace}{Backspace}{Backspace}{Backspace}{Backspace}30000{Insert}1233{Tab}{Tab}');
    await user.keyboard('{Backspace}{Backspace}{Backspace}{Backspace}{Backspace}-20000');
    expect(field('Share 2 amount').value).toBe('−₹200.00');
    expect(screen.getByText('An amount cannot be negative: delete the minus sign.')).toBeTruthy();
    expect(field('Share 2 amount').getAttribute('aria-invalid')).toBe('true');
    await user.keyboard('{Enter}');
    expect(bridge.count('payments.create')).toBe(0);
    expect(document.activeElement).toBe(field('Share 2 amount'));
    // Deleted, the share is what the digits say, and the charge goes.
    await user.keyboard('{Home}{Delete}');
    expect(field('Share 2 amount').value).toBe('₹200.00');
    expect(screen.queryByText(/cannot be negative/)).toBeNull();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]!.splits![1]).toMatchObject({ merchantId: '1233', amount: 20_000 });
  });

  it('marks a share past the 20 a payment takes on its row, before anything is sent', async () => {
    // Found by using the app: a 21st share was added, the shares added up, and Enter came back with
    // "Splits: at most 20 shares." under the rows, no row marked, and the cursor sent to Amount.
    const bridge = pluralBridge();
    const { user, store } = await renderApp(bridge);
    await user.type(field('Amount'), '210000');
    act(() =>
      store.getState().setSplits(
        Array.from({ length: 21 }, (_, i) => ({
          key: i + 1,
          merchantId: `m${i + 1}`,
          settlementReference: '',
          amount: 10_000,
          onHold: false,
        })),
      ),
    );
    expect(remainder().textContent).toBe('The shares add up to ₹2,100.00.');
    await user.click(field('Share 21 merchant id'));
    await user.keyboard('{Enter}');
    expect(bridge.count('payments.create')).toBe(0);
    const last = field('Share 21 merchant id');
    expect(last.getAttribute('aria-invalid')).toBe('true');
    expect(
      screen.getByText('A payment can be shared between at most 20 merchants: put this share in another one.'),
    ).toBeTruthy();
    expect(document.activeElement).toBe(last);
    expect(field('Share 20 merchant id').getAttribute('aria-invalid')).toBeNull();
    // Removed, the 20 left are charged.
    await user.keyboard('{Control>}{Delete}{/Control}');
    await user.clear(field('Share 20 amount'));
    await user.type(field('Share 20 amount'), '20000');
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]!.splits).toHaveLength(20);
  });

  it('says what a settlement reference may hold when an accent is refused, not only its length', async () => {
    // Found by using the app: "café 7" was refused as "at most 50 plain characters", six long.
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '30000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('1324{Tab}café 7{Enter}');
    expect(bridge.count('payments.create')).toBe(0);
    const reference = field('Share 1 settlement reference');
    expect(reference.getAttribute('aria-invalid')).toBe('true');
    expect(
      screen.getByText(
        'The settlement reference can hold at most 50 characters, each a letter without accent, a digit, a space or punctuation.',
      ),
    ).toBeTruthy();
    expect(document.activeElement).toBe(reference);
  });

  it('says when the shares are too much, checks each row, and removing every row means no split', async () => {
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '10000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.click(screen.getByRole('button', { name: 'Add a share' }));
    await user.type(field('Share 2 amount'), '5000');
    expect(remainder().textContent).toBe('The shares are ₹50.00 more than the amount.');
    expect(charge().disabled).toBe(true);
    // Typing a smaller first share balances it; a bad merchant id is refused before anything is sent.
    await user.clear(field('Share 1 amount'));
    await user.type(field('Share 1 amount'), '5000');
    await user.type(field('Share 1 merchant id'), 'has space');
    await user.type(field('Share 2 merchant id'), 'm2');
    await user.click(charge());
    expect(bridge.count('payments.create')).toBe(0);
    expect(screen.getByText('The merchant id must be 1–50 letters, digits, . _ or -.')).toBeTruthy();
    expect(field('Share 1 merchant id').getAttribute('aria-invalid')).toBe('true');
    await user.click(screen.getByRole('button', { name: 'Remove share 2' }));
    await user.click(screen.getByRole('button', { name: 'Remove share 1' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]).not.toHaveProperty('splits');
  });

  it('keeps each error with its row as rows come and go, and Enter goes to the first field to fix', async () => {
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '50000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('a b{Tab}{Tab}{Backspace}{Backspace}{Backspace}{Backspace}{Backspace}49950{Insert}m2');
    expect(field('Share 2 amount').value).toBe('₹0.50');
    await user.keyboard('{Enter}');
    expect(bridge.count('payments.create')).toBe(0);
    expect(field('Share 1 merchant id').getAttribute('aria-invalid')).toBe('true');
    expect(field('Share 2 amount').getAttribute('aria-invalid')).toBe('true');
    // Enter moved the focus to the first field to fix.
    expect(document.activeElement).toBe(field('Share 1 merchant id'));
    // A share inserted between them: the second share's error moves down with it.
    await user.keyboard('{Insert}');
    expect(document.activeElement).toBe(field('Share 2 merchant id'));
    expect(field('Share 2 merchant id').getAttribute('aria-invalid')).toBeNull();
    expect(field('Share 2 amount').getAttribute('aria-invalid')).toBeNull();
    expect(field('Share 3 amount').getAttribute('aria-invalid')).toBe('true');
    await user.keyboard('{Control>}{Delete}{/Control}');
    expect(document.activeElement).toBe(field('Share 1 merchant id'));
    // The share with the bad id removed: the one left shows its own problem, not the removed one's.
    await user.keyboard('{Control>}{Delete}{/Control}');
    expect(field('Share 1 merchant id').value).toBe('m2');
    expect(field('Share 1 merchant id').getAttribute('aria-invalid')).toBeNull();
    expect(screen.queryByText('The merchant id must be 1–50 letters, digits, . _ or -.')).toBeNull();
    expect(field('Share 1 amount').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('The share must be at least ₹1.00.')).toBeTruthy();
  });

  it('refuses a merchant named on two shares, on the later row, and the mark goes once it is changed', async () => {
    // Each share is named by its merchant (releases, cancels, refunds): two for one merchant would
    // be told apart nowhere, so the till takes one share per merchant.
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '10000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('1324');
    await user.clear(field('Share 1 amount'));
    await user.type(field('Share 1 amount'), '6000');
    await user.click(screen.getByRole('button', { name: 'Add a share' }));
    await user.keyboard('1324');
    await user.click(charge());
    expect(bridge.count('payments.create')).toBe(0);
    expect(field('Share 1 merchant id').getAttribute('aria-invalid')).toBeNull();
    expect(field('Share 2 merchant id').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Merchant 1324 already has share 1: give each merchant one share.')).toBeTruthy();
    expect(document.activeElement).toBe(field('Share 2 merchant id'));
    await user.clear(field('Share 2 merchant id'));
    await user.type(field('Share 2 merchant id'), '1233');
    expect(field('Share 2 merchant id').getAttribute('aria-invalid')).toBeNull();
    await user.click(charge());
    await waitFor(() => expect(bridge.count('payments.create')).toBe(1));
    expect(bridge.inputs('payments.create')[0]!.splits!.map((s) => s.merchantId)).toEqual(['1324', '1233']);
  });

  it("shows the host's refusal of a share next to it", async () => {
    const bridge = pluralBridge();
    bridge.on('payments.create', () =>
      fail('validation', 'splits.0.amount: each share is at least ₹1.00 with Plural', {
        issues: [{ path: 'splits.0.amount', message: 'each share is at least ₹1.00 with Plural' }],
      }),
    );
    const { user } = await renderApp(bridge);
    await user.type(field('Amount'), '10000');
    await user.click(screen.getByRole('button', { name: 'Split between merchants' }));
    await user.keyboard('m1');
    await user.click(charge());
    expect(await screen.findByText('Amount: each share is at least ₹1.00 with Plural.')).toBeTruthy();
    expect(field('Share 1 amount').getAttribute('aria-describedby')).toMatch(/amount-error/);
  });
});
