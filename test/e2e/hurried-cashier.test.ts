/**
 * A hurried cashier and a busy counter, in Chromium against the host in web mode: keys pressed
 * while a command is still on its way, and the same till open in two tabs (the printed URL opened
 * twice). Each case was found by driving the real app so; a slow gateway is the test holding the
 * page's command on its way to the host (tapBridge), never a timer.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { PaymentView } from '../../common/contract';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';
import {
  e2eAvailable,
  launchBrowser,
  sandboxSecrets,
  openTappedApp,
  startWebApp,
  type BridgeTap,
  type WebApp,
} from './harness';

const TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable())('a hurried cashier, two tabs (Chromium, web mode)', { timeout: 60_000 }, () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let tap: BridgeTap;
  let secretKey = '';

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchBrowser();
    ({ page, tap } = await openTappedApp(browser, app, TIMEOUT));
    secretKey = (await sandboxSecrets(app))[0]!;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const amountField = (p: Page) => p.getByLabel('Amount', { exact: true });
  const paymentState = (p: Page) => p.locator('.payment-state[role=status]');
  async function stateIs(p: Page, text: RegExp) {
    await expect.poll(async () => (await paymentState(p).textContent()) ?? '', { timeout: TIMEOUT }).toMatch(text);
  }

  /** The sandbox's transactions of this amount, as PlutoPay has them. */
  async function atGateway(amount: number) {
    const response = await fetch(`${app.sandboxUrl}/v1/transactions?size=100`, {
      headers: { Authorization: `Bearer ${secretKey}` },
    });
    const { data } = (await response.json()) as { data: { amount: number; status: string; amount_refunded: number }[] };
    return data.filter((t) => t.amount === amount);
  }

  /** Every answer of the sandbox's PlutoPay delayed by `ms` (its latency fault; 0 turns it off). */
  async function slowGateway(ms: number) {
    const response = await fetch(`${app.sandboxUrl}/_sandbox/faults`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ latency_ms: ms }),
    });
    expect(response.status).toBe(200);
  }

  async function charge(p: Page, digits: string) {
    await p.keyboard.press('F1');
    await amountField(p).fill('');
    await amountField(p).pressSequentially(digits);
    await amountField(p).press('Enter');
    await stateIs(p, /Waiting for card/);
  }

  async function approve(p: Page) {
    await p.keyboard.press('F3');
    await p.getByRole('radio', { name: /Visa — approved/ }).check();
    await p.getByRole('button', { name: 'Present card' }).click();
    await p.keyboard.press('F2');
    await stateIs(p, /Approved\. The payment is complete/);
  }

  it('F1 while a charge is on its way: the next amount is typed afresh, not after the one being charged', async () => {
    await page.keyboard.press('F1');
    await amountField(page).pressSequentially('1112');
    const release = tap.holdNext('payments.create');
    await amountField(page).press('Enter');
    await page.getByRole('heading', { name: 'Process payment', level: 1 }).waitFor({ timeout: TIMEOUT });
    // Back to the form for the next customer while the gateway is still answering.
    try {
      await page.keyboard.press('F1');
      await page.keyboard.type('1113');
      expect(await amountField(page).inputValue()).toBe('$11.13');
    } finally {
      release();
    }
    await expect.poll(async () => (await atGateway(1112)).length, { timeout: TIMEOUT }).toBe(1);
    expect(await amountField(page).inputValue()).toBe('$11.13');
    await page.keyboard.press('F2');
    await stateIs(page, /Waiting for card/);
    expect(await page.locator('.payment-card__amount').textContent()).toBe('$11.12');
    await page.keyboard.press('Escape');
    await stateIs(page, /Canceled/);
  });

  it('Enter in the Currency select charges, as in the amount: it does not open the list', async () => {
    // Chromium opens a closed select on Enter: the guide's "Enter charges" did nothing from Currency.
    await page.keyboard.press('F1');
    await amountField(page).fill('');
    await amountField(page).pressSequentially('1116');
    await page.getByLabel('Currency', { exact: true }).focus();
    await page.keyboard.press('Enter');
    await stateIs(page, /Waiting for card/);
    expect(await page.locator('.payment-card__amount').textContent()).toBe('$11.16');
    await page.keyboard.press('Escape');
    await stateIs(page, /Canceled/);
  });

  it('Esc before the host has the payment: it is canceled before anything is sent, no card asked', async () => {
    await page.keyboard.press('F1');
    await amountField(page).fill('');
    await amountField(page).pressSequentially('1114');
    const release = tap.holdNext('payments.create');
    await amountField(page).press('Enter');
    await stateIs(page, /Creating the payment and sending it to/);
    try {
      await page.keyboard.press('Escape');
      await stateIs(page, /^Cancelling… The payment is cancelled as soon as the gateway has it/);
    } finally {
      release();
    }
    await stateIs(page, /^Canceled/);
    // The cancel overtook the held create: the host journaled the payment canceled and sent nothing.
    expect(await atGateway(1114)).toEqual([]);
    // Nothing is left on the reader: the next sale goes to it and waits for its own card.
    await charge(page, '1115');
    expect(await page.locator('.payment-card__amount').textContent()).toBe('$11.15');
    await page.keyboard.press('Escape');
    await stateIs(page, /Canceled/);
  });

  it('a payment refunded in one tab: the details open in the other show it, and offer no refund', async () => {
    await charge(page, '1107');
    await approve(page);
    const { page: other, tap: otherTap } = await openTappedApp(browser, app, TIMEOUT);
    try {
      for (const tab of [page, other]) {
        await tab.keyboard.press('F5');
        await tab.getByRole('button', { name: 'Search' }).click();
        await tab
          .getByRole('row')
          .filter({ hasText: '$11.07' })
          .first()
          .getByRole('button', { name: /Details for/ })
          .click();
        await tab.getByLabel('Refund amount').waitFor({ timeout: TIMEOUT });
      }
      // The other tab's refund of the same $11.07 is on its way (a slow network) while this one refunds.
      const release = otherTap.holdNext('payments.refund');
      try {
        await other.getByLabel('Refund amount').press('Enter');
        await page.getByLabel('Refund amount').press('Enter');
        await page.getByText('Refunded $11.07.').waitFor({ timeout: TIMEOUT });
        const status = other
          .locator('dl.details dt', { hasText: /^Status$/ })
          .locator('xpath=following-sibling::dd[1]');
        await expect.poll(async () => (await status.textContent()) ?? '', { timeout: TIMEOUT }).toBe('Refunded');
        await expect.poll(() => other.getByLabel('Refund amount').count(), { timeout: TIMEOUT }).toBe(0);
      } finally {
        release();
      }
      // Its refusal outlives the form it was pressed in.
      await other
        .getByRole('alert')
        .filter({ hasText: 'Not refunded: $11.07 — this payment is refunded already.' })
        .waitFor({ timeout: TIMEOUT });
      // Where the form was, the details say why nothing more is offered.
      await other.getByText('Nothing is left to refund: $11.07 was refunded already.').waitFor({ timeout: TIMEOUT });
      expect(await atGateway(1107)).toEqual([expect.objectContaining({ status: 'refunded', amount_refunded: 1107 })]);
    } finally {
      await other.close();
    }
  });

  it('an authorisation captured from one tab while the other’s capture is on its way: the other says so', async () => {
    const { page: other, tap: otherTap } = await openTappedApp(browser, app, TIMEOUT);
    try {
      await page.keyboard.press('F1');
      await page.getByLabel(/Manual/).check();
      await charge(page, '5000');
      await page.keyboard.press('F3');
      await page.getByRole('radio', { name: /Visa — approved/ }).check();
      await page.getByRole('button', { name: 'Present card' }).click();
      await page.keyboard.press('F2');
      await stateIs(page, /Authorised/);
      const item = (tab: Page) => tab.getByRole('group', { name: /\$50\.00/ });
      for (const [tab, digits] of [
        [page, '3000'],
        [other, '4000'],
      ] as const) {
        await tab.keyboard.press('F4');
        await item(tab).getByLabel('Capture amount').fill('');
        await item(tab).getByLabel('Capture amount').pressSequentially(digits);
      }
      // The other tab's capture of $40.00 is on its way (a slow network) while this tab captures $30.00.
      const release = otherTap.holdNext('payments.capture');
      try {
        await item(other).getByLabel('Capture amount').press('Enter');
        await item(page).getByLabel('Capture amount').press('Enter');
        await page.getByText('Captured $30.00 of $50.00').waitFor({ timeout: TIMEOUT });
      } finally {
        release();
      }
      // The authorisation has left the other tab's list, and its $40.00 was not captured: it says so.
      const said = other.getByRole('alert').filter({ hasText: /\S/ });
      await expect
        .poll(
          async () =>
            (await said
              .first()
              .textContent()
              .catch(() => '')) ?? '',
          { timeout: TIMEOUT },
        )
        .toMatch(/^Not captured: \$40\.00 \(Order .*\)\. /);
      await expect
        .poll(() => other.getByRole('region', { name: 'Authorisations not shown' }).count(), { timeout: TIMEOUT })
        .toBe(0);
      expect(await atGateway(5000)).toEqual([expect.objectContaining({ status: 'succeeded', amount_captured: 3000 })]);
      await page.keyboard.press('F1');
      await page.getByLabel(/Automatic/).check();
    } finally {
      await other.close();
    }
  });

  it('Esc before the page has heard of the payment, then a reload at once: canceled, never on the reader', async () => {
    const { page: hurried, tap: hurriedTap } = await openTappedApp(browser, app, TIMEOUT);
    try {
      await hurried.keyboard.press('F1');
      await amountField(hurried).pressSequentially('1118');
      // The page cannot hear of the payment: its create is held on the way to the host.
      const releaseCreate = hurriedTap.holdNext('payments.create');
      const releaseCancel = hurriedTap.holdNext('payments.cancelCreate');
      await amountField(hurried).press('Enter');
      await stateIs(hurried, /Creating the payment and sending it to/);
      await hurried.keyboard.press('Escape');
      await stateIs(hurried, /^Cancelling… /);
      // Both go on to the host in the page's order, the cancel right behind its create, and the page
      // starts again at once: whatever it knew of the cancel is gone with it. The gateway is slow to
      // answer the create, so the cancel reaches the host while the create is on its way, as it does
      // when the cashier is quicker than the gateway (without it, on a loaded machine the cancel
      // arrived after the payment was on the reader, one CI run in many).
      await slowGateway(500);
      const cancelSent = hurriedTap.nextSent('payments.cancelCreate');
      releaseCreate();
      releaseCancel();
      await cancelSent;
      await hurried.reload();
      await hurried.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
      // The cashier, who pressed Esc and never saw it end, is told what became of the sale.
      await hurried.getByRole('heading', { name: 'Process payment', level: 1 }).waitFor({ timeout: TIMEOUT });
      await stateIs(hurried, /^Canceled\. No money was taken\./);
      expect(await hurried.locator('.payment-card__amount').textContent()).toBe('$11.18');
      const ofThisSale = async () => (await hostPayments(app)).filter((p) => p.amount === 1118);
      await expect
        .poll(async () => (await ofThisSale()).map((p) => p.status), { timeout: TIMEOUT })
        .toEqual(['canceled']);
      expect((await ofThisSale())[0]).toMatchObject({ readerId: null, cancelAsked: false });
      expect((await atGateway(1118)).filter((t) => t.status !== 'canceled')).toEqual([]);
      await slowGateway(0);
      // Nothing waits on the reader: the next sale goes to it and waits for its own card.
      await charge(hurried, '1119');
      expect(await hurried.locator('.payment-card__amount').textContent()).toBe('$11.19');
      await hurried.keyboard.press('Escape');
      await stateIs(hurried, /Canceled/);
    } finally {
      await slowGateway(0);
      await hurried.close();
    }
  });
});

describe.skipIf(!e2eAvailable())('a cancel asked before a reload (Chromium, web mode)', { timeout: 60_000 }, () => {
  // The gateway is reached through a proxy, so its answer to the create can be held (a slow gateway)
  // until the test lets it go, while the page is reloaded.
  let sandbox: RunningSandbox;
  let proxy: RewritingProxy;
  let app: WebApp;
  let browser: Browser;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
    proxy = await startRewritingProxy(sandbox.url);
    app = await startWebApp({ args: ['--gateway-url', proxy.url], env: { POS_SECRET_KEY: sandbox.secret_key } });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await proxy?.close();
    await sandbox?.close();
  });

  const paymentState = (p: Page) => p.locator('.payment-state[role=status]');
  async function stateIs(p: Page, text: RegExp) {
    await expect.poll(async () => (await paymentState(p).textContent()) ?? '', { timeout: TIMEOUT }).toMatch(text);
  }

  it('Esc while the payment is being created, then a reload: the page shows it being cancelled, then canceled', async () => {
    const { page, tap } = await openTappedApp(browser, app, TIMEOUT);
    let letGo = () => {};
    const landed = new Promise<void>((resolve) => (letGo = resolve));
    let reached = () => {};
    const atTheGateway = new Promise<void>((resolve) => (reached = resolve));
    proxy.delayMs = (method, path) => {
      if (method !== 'POST' || path !== '/v1/terminal/create-payment') return 0;
      reached();
      return landed;
    };
    try {
      await page.keyboard.press('F1');
      await page.getByLabel('Amount', { exact: true }).pressSequentially('1116');
      await page.getByLabel('Amount', { exact: true }).press('Enter');
      // The host has journaled the payment and is creating it at the gateway, which has not answered.
      await atTheGateway;
      // By the payment's id, or by the charge's request id if the page has not heard of it yet.
      const cancelSent = Promise.race([tap.nextSent('payments.cancel'), tap.nextSent('payments.cancelCreate')]);
      await page.keyboard.press('Escape');
      await cancelSent;
      await stateIs(page, /^Cancelling… /);
      // The renderer starts again before the gateway answers: what it shows is the host's.
      await page.reload();
      await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
      await page.keyboard.press('F2');
      await stateIs(page, /^Cancelling… The payment is cancelled as soon as the gateway has it/);
      expect(await page.locator('.payment-card__amount').textContent()).toBe('$11.16');
    } finally {
      letGo();
    }
    await stateIs(page, /^Canceled/);
    const response = await fetch(`${sandbox.url}/v1/transactions?size=100`, {
      headers: { Authorization: `Bearer ${sandbox.secret_key}` },
    });
    const { data } = (await response.json()) as { data: { amount: number; status: string }[] };
    expect(data.filter((t) => t.amount === 1116)).toEqual([expect.objectContaining({ status: 'canceled' })]);
    await page.close();
  });
});

/** The payments the app's host has (its journal), asked over its bridge as a second page of the till would. */
async function hostPayments(app: WebApp): Promise<PaymentView[]> {
  const name = 'payments.list';
  const ws = new WebSocket(
    `ws://127.0.0.1:${new URL(app.origin).port}/bridge`,
    ['pos-bridge.v1', `token.${app.token}`],
    {
      origin: app.origin,
    },
  );
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answer = new Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>((resolve) =>
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; id?: number; result?: never };
        if (message.type === 'result' && message.id === 1) resolve(message.result!);
      }),
    );
    ws.send(JSON.stringify({ type: 'invoke', id: 1, name, input: { filter: 'all', limit: 50 } }));
    const result = await answer;
    if (!result.ok) throw new Error(`${name}: ${result.error?.message}`);
    return result.value as PaymentView[];
  } finally {
    ws.close();
  }
}
