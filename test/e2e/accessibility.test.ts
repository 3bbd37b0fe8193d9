/**
 * Every screen (F1–F9, a transaction's details, Settlements) checked with axe-core in Chromium
 * against WCAG 2.1 A and AA (and axe's best practices, see AXE_OPTIONS), in the states a cashier
 * meets: empty; a payment waiting on the simulated reader or for its QR link; a decline, a refused
 * amount, a refused refund and a refused pairing on screen; a payment in Needs attention, with its
 * confirmation open; approved (receipt, capture refused and done, reports, Z report, a Z closed in
 * another zone); a dispute on Transactions, on its payment's details and in Needs attention; a tip
 * chosen on the customer display; the banner of a link paid on another screen; Settings' warnings
 * before a gateway switch and its New address for the customer display being confirmed (the display
 * on the old address then locked); Forget this card confirmed; Release part… refused; a
 * create the gateway never confirmed, with its two forms; the host gone. Once per gateway, one host
 * each (`--gateway plutopay|payplug|plural`: PayPlug's customer fields, installment plan and saved
 * card, and PayPlug behind a proxy that loses a create; Plural's split editor and Settlements), and
 * the customer display page (the URL the host prints) beside the cashier's, plus the page opened
 * without its token. Those forms and banners are also driven by keyboard alone: Tab order, Enter,
 * and where Escape (or a button that goes away) leaves the focus.
 *
 * Each test collects the violations of every state it visits and fails once with the whole list:
 * the state, axe's rule id and impact, its help text and link, and each offending element (its
 * selector, HTML and what to fix). Like the other e2e files it needs the build and Chromium, and
 * is skipped without them (a failure under CI=true):
 *
 *   npx electron-vite build --logLevel warn && npx vitest run test/e2e/accessibility.test.ts
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AxeResults, RunOptions, run as axeRun } from 'axe-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayName } from '../../common/contract';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';
import { e2eAvailable, launchBrowser, openApp, sandboxSecrets, startWebApp, type WebApp } from './harness';

const TIMEOUT = 20_000;

/** axe-core's browser bundle, injected into each page as a script of its own. */
const AXE_SOURCE = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'),
  'utf8',
);

/**
 * WCAG 2.0 and 2.1, levels A and AA: what the till is held to. Plus axe's best practices, which is
 * where it checks the page's structure WCAG's rules leave alone (a level-one heading on every page,
 * landmarks, roles an element may take): a screen-reader user moves through the till by them.
 */
const AXE_OPTIONS: RunOptions = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  resultTypes: ['violations'],
};

/** One line per rule broken in a state, then one per element (at most 5): enough to find and fix it. */
function describeViolations(state: string, violations: AxeResults['violations']): string[] {
  return violations.map((v) => {
    const nodes = v.nodes.slice(0, 5).map((n) => {
      const summary = (n.failureSummary ?? '').replace(/\s+/g, ' ').trim();
      return `\n      at ${n.target.join(' >> ')}: ${n.html.slice(0, 200)}\n         ${summary.slice(0, 300)}`;
    });
    const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more` : '';
    return `[${state}] ${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${v.helpUrl}${nodes.join('')}${more}`;
  });
}

/** axe's verdict on the page as it is now, as lines for the assertion message. */
async function audit(page: Page, state: string): Promise<string[]> {
  // The page keeps axe across screens (the app never reloads): inject it once per page.
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async (options) => {
    const { axe } = window as unknown as { axe: { run: typeof axeRun } };
    return (await axe.run(document, options)).violations;
  }, AXE_OPTIONS);
  return describeViolations(state, violations);
}

function expectNoViolations(found: string[]) {
  expect(found, `${found.length} accessibility violation(s):\n${found.join('\n')}\n`).toEqual([]);
}

describe.skipIf(!e2eAvailable())(
  'accessibility of every screen (axe-core, WCAG 2.1 AA, Chromium)',
  { timeout: 120_000 },
  () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await launchBrowser();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    /**
     * One host on `gateway`, its cashier page and its customer display page, for a describe block.
     * `launch`: more flags and environment for the host (an external gateway behind a proxy).
     */
    function till(gateway: GatewayName, launch?: () => Promise<{ args: string[]; env: NodeJS.ProcessEnv }>) {
      const t = {} as { app: WebApp; page: Page; display: Page; openDisplay: () => Promise<void> };

      beforeAll(async () => {
        const more = (await launch?.()) ?? { args: [], env: {} };
        t.app = await startWebApp({ args: ['--gateway', gateway, ...more.args], env: more.env });
        const opened = await openApp(browser, t.app, { bypassCSP: true });
        t.page = opened.page;
        t.openDisplay = async () => {
          t.display = await opened.context.newPage();
          await t.display.goto(t.app.displayUrl);
          await t.page.getByText('Customer display: connected').waitFor({ timeout: TIMEOUT });
          await t.display.locator('h1').first().waitFor({ timeout: TIMEOUT });
        };
        await t.page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
        await t.page
          .locator('.gateway-name')
          .filter({ hasText: new RegExp(gateway, 'i') })
          .waitFor({ timeout: TIMEOUT });
      }, 60_000);

      afterEach(async (context) => {
        if (context.task.result?.state === 'fail')
          await t.page?.screenshot({
            path: `${process.env.E2E_SHOTS ?? '/tmp'}/a11y-${gateway}-${context.task.name.slice(0, 40)}.png`,
          });
      });

      afterAll(async () => {
        await t.app?.close();
      });

      return t;
    }

    async function textOf(locator: Locator, text: RegExp) {
      await expect.poll(async () => (await locator.first().textContent()) ?? '', { timeout: TIMEOUT }).toMatch(text);
    }

    /** Opens a screen by its key and waits for its heading. */
    async function screen(page: Page, key: string, heading: RegExp) {
      await page.keyboard.press(key);
      await page.locator('main h1').filter({ hasText: heading }).first().waitFor({ timeout: TIMEOUT });
    }

    const SCREENS: [key: string, heading: RegExp, name: string][] = [
      ['F1', /Create/i, 'Create'],
      ['F2', /Process/i, 'Process'],
      ['F3', /Simulate/i, 'Simulate'],
      ['F4', /Capture/i, 'Capture'],
      ['F5', /Transactions/i, 'Transactions'],
      ['F6', /Readers/i, 'Readers'],
      ['F7', /Settings/i, 'Settings'],
      ['F8', /attention/i, 'Needs attention'],
      ['F9', /Reports/i, 'Reports'],
    ];

    async function everyScreen(page: Page, state: string, found: string[]) {
      for (const [key, heading, name] of SCREENS) {
        await screen(page, key, heading);
        found.push(...(await audit(page, `${key} ${name}, ${state}`)));
      }
    }

    /** The amount typed on Create payment, with the capture chosen (Enter charges). */
    async function typeAmount(page: Page, digits: string, manual = false) {
      await screen(page, 'F1', /Create/i);
      const amount = page.getByLabel('Amount', { exact: true });
      await amount.fill('');
      await amount.pressSequentially(digits);
      await page.getByLabel(manual ? /Manual/ : /Automatic/).check();
      return amount;
    }

    const paymentState = (page: Page) => page.locator('.payment-state[role=status]');

    describe('PlutoPay (a simulated reader)', () => {
      const t = till('plutopay');

      async function charge(digits: string, manual = false) {
        const amount = await typeAmount(t.page, digits, manual);
        await amount.press('Enter');
        await textOf(paymentState(t.page), /Waiting for card/);
      }

      async function presentCard(label: RegExp) {
        await screen(t.page, 'F3', /Simulate/i);
        await t.page.getByRole('radio', { name: label }).check();
        await t.page.getByRole('button', { name: 'Present card' }).click();
        await screen(t.page, 'F2', /Process/i);
      }

      it('every screen and the customer display, with nothing done yet', async () => {
        const found: string[] = [];
        // No customer display open yet: the header says so.
        await everyScreen(t.page, 'empty', found);
        await t.openDisplay();
        found.push(...(await audit(t.display, 'customer display, idle')));
        await screen(t.page, 'F1', /Create/i);
        found.push(...(await audit(t.page, 'F1 Create, customer display connected')));
        // A pairing refused (no registration code typed).
        await screen(t.page, 'F6', /Readers/i);
        await t.page.getByRole('button', { name: 'Pair reader' }).click();
        await t.page.getByText('Not paired.').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F6 Readers, pairing refused')));
        // The app opened without its token (a bookmark, a new tab).
        const stray = await t.page.context().newPage();
        await stray.goto(t.app.origin + '/');
        await stray.getByRole('heading', { name: /Open the app from the link/ }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(stray, 'page without its token')));
        await stray.close();
        expectNoViolations(found);
      });

      it('a refused amount on Create payment', async () => {
        const found: string[] = [];
        const amount = await typeAmount(t.page, '0');
        await amount.press('Enter');
        await t.page.locator('main [aria-invalid="true"]').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F1 Create, amount refused')));
        expectNoViolations(found);
      });

      it('a payment waiting on the simulated reader, then declined', async () => {
        const found: string[] = [];
        await charge('1250');
        found.push(...(await audit(t.page, 'F2 Process, waiting for card')));
        // The decline's live region is on the page, empty, before the decline: screen readers
        // announce a change inside a region already there (and axe passes on the empty ones).
        expect(await t.page.locator('main [role=alert]:empty').count()).toBeGreaterThan(0);
        await textOf(t.display.locator('body'), /12\.50/);
        found.push(...(await audit(t.display, 'customer display, waiting for card')));
        await screen(t.page, 'F3', /Simulate/i);
        found.push(...(await audit(t.page, 'F3 Simulate, reader waiting')));
        await screen(t.page, 'F6', /Readers/i);
        found.push(...(await audit(t.page, 'F6 Readers, reader busy')));
        await presentCard(/Insufficient funds/);
        await textOf(t.page.getByRole('alert').filter({ hasText: /\S/ }), /Not enough funds/);
        found.push(...(await audit(t.page, 'F2 Process, declined')));
        found.push(...(await audit(t.display, 'customer display, declined')));
        // A switch of gateway chosen (not saved) with this payment unfinished: the warning is said.
        await screen(t.page, 'F7', /Settings/i);
        const plutopay = t.page.getByRole('radio', { name: /PlutoPay/ });
        await plutopay.focus();
        await t.page.keyboard.press('ArrowDown');
        await textOf(t.page.getByRole('status').filter({ hasText: /not finished/ }), /^1 payment with PlutoPay is not/);
        found.push(...(await audit(t.page, 'F7 Settings, a switch with a payment unfinished')));
        await t.page.keyboard.press('ArrowUp');
        expect(await plutopay.isChecked()).toBe(true);
        await screen(t.page, 'F2', /Process/i);
        expectNoViolations(found);
      });

      it('the payment approved: Process, its details, Capture, Reports', async () => {
        const found: string[] = [];
        await t.page.getByRole('button', { name: 'Try another card' }).click();
        await textOf(paymentState(t.page), /Waiting for card/);
        await presentCard(/Visa — approved/);
        await textOf(paymentState(t.page), /Approved/);
        found.push(...(await audit(t.page, 'F2 Process, approved')));
        await t.page.getByRole('button', { name: 'Show receipt' }).click();
        await t.page.locator('.receipt-preview').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F2 Process, approved, receipt shown')));
        await textOf(t.display.locator('body'), /Approved|Thank/i);
        found.push(...(await audit(t.display, 'customer display, approved')));

        // An authorisation waiting for its capture.
        await charge('5000', true);
        await presentCard(/Mastercard — approved/);
        await textOf(paymentState(t.page), /Authorised/);
        await screen(t.page, 'F4', /Capture/i);
        await t.page.locator('.auth-item').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F4 Capture, one authorisation')));
        await t.page.getByRole('button', { name: 'Cancel authorisation' }).first().click();
        await t.page.getByRole('button', { name: 'Yes, cancel the authorisation' }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F4 Capture, confirming a cancel')));
        await t.page.getByRole('button', { name: 'Keep it' }).click();
        // Its capture from the keyboard: no amount is refused on the field, then Enter takes the whole.
        const captureAmount = t.page.getByLabel('Capture amount').first();
        await captureAmount.fill('');
        await captureAmount.press('Enter');
        await t.page.locator('main [aria-invalid="true"]').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F4 Capture, no amount to capture')));
        await captureAmount.pressSequentially('5000');
        await captureAmount.press('Enter');
        await textOf(t.page.getByRole('status').filter({ hasText: /^Captured/ }), /^Captured \$50\.00 \(/);
        found.push(...(await audit(t.page, 'F4 Capture, captured')));
        // The item went with its capture: the focus is back in the screen, not on the page.
        expect(await t.page.evaluate(() => document.querySelector('main')!.contains(document.activeElement))).toBe(
          true,
        );

        await screen(t.page, 'F5', /Transactions/i);
        const row = t.page.getByRole('row').filter({ hasText: '$12.50' }).first();
        await row.waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transactions, two payments')));
        await row.getByRole('button', { name: /Details for/ }).click();
        await t.page.getByLabel('Refund amount').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transaction details')));
        const refund = t.page.getByLabel('Refund amount');
        await refund.fill('');
        await refund.pressSequentially('999999');
        await t.page.getByRole('button', { name: /^Refund/ }).click();
        await t.page.locator('main [aria-invalid="true"]').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transaction details, refund refused')));
        await t.page.keyboard.press('Escape');

        await screen(t.page, 'F9', /Reports/i);
        await t.page
          .getByRole('table', { name: /Totals/ })
          .first()
          .waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F9 Reports, X report')));
        await t.page.getByRole('button', { name: 'Reconcile' }).click();
        await t.page
          .getByRole('table', { name: 'Differences' })
          .or(t.page.getByText(/Everything agrees|Nothing was compared|matched\./))
          .first()
          .waitFor({
            timeout: TIMEOUT,
          });
        found.push(...(await audit(t.page, 'F9 Reports, reconciled')));
        const close = t.page.getByRole('form', { name: /Close the day/ });
        await close.getByLabel('Closed by').fill('Ada');
        await close.getByRole('button', { name: 'Close the day' }).click();
        await t.page.getByRole('region', { name: 'Z report 1' }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F9 Reports, Z report')));
        // The shop moved to another zone: the Z closed before says its times with their UTC offset.
        await screen(t.page, 'F7', /Settings/i);
        const counter = t.page.getByRole('form', { name: 'Counter' });
        const zone = counter.getByLabel('Time zone');
        const zoneBefore = await zone.inputValue();
        await zone.fill(zoneBefore === 'Pacific/Auckland' ? 'America/Lima' : 'Pacific/Auckland');
        await counter.getByRole('button', { name: 'Apply counter settings' }).click();
        await counter.getByText('Counter settings saved.').waitFor({ timeout: TIMEOUT });
        await screen(t.page, 'F9', /Reports/i);
        await textOf(t.page.getByRole('cell').filter({ hasText: /by Ada/ }), /UTC[+-−]\d\d:\d\d by Ada/);
        found.push(...(await audit(t.page, 'F9 Reports, a Z closed in another zone')));
        await t.page.getByRole('button', { name: 'Open Z report 1' }).press('Enter');
        await textOf(t.page.getByRole('region', { name: 'Z report 1' }), /UTC[+-−]\d\d:\d\d/);
        found.push(...(await audit(t.page, 'F9 Reports, a Z of another zone opened')));
        await screen(t.page, 'F8', /attention/i);
        found.push(...(await audit(t.page, 'F8 Needs attention, after payments')));
        expectNoViolations(found);
      });

      it('a tip chosen on the customer display', async () => {
        const found: string[] = [];
        await screen(t.page, 'F7', /Settings/i);
        const form = t.page.getByRole('form', { name: 'Counter' });
        await form.getByRole('checkbox', { name: /Ask for a tip/ }).check();
        await form.getByRole('button', { name: 'Apply counter settings' }).click();
        await form.getByText('Counter settings saved.').waitFor({ timeout: TIMEOUT });
        const amount = await typeAmount(t.page, '1800');
        found.push(...(await audit(t.page, 'F1 Create, tipping on')));
        await amount.press('Enter');
        await t.page.getByText(/Waiting for the customer to choose a tip/).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F2 Process, waiting for a tip')));
        await t.display.getByRole('button', { name: 'No tip' }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.display, 'customer display, choosing a tip')));
        await t.display.getByRole('button', { name: /Other/ }).click();
        await t.display.locator('#display-custom-tip').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.display, 'customer display, typing a tip')));
        await t.display.getByRole('button', { name: 'No tip' }).click();
        await textOf(paymentState(t.page), /Waiting for card/);
        await t.page.keyboard.press('Escape');
        await textOf(paymentState(t.page), /Canceled/);
        found.push(...(await audit(t.page, 'F2 Process, canceled')));
        expectNoViolations(found);
      });

      it('Needs attention with an item in it, its confirmation open, then settled', async () => {
        // F8 used to be checked only empty. An outcome only the terminal's ticket can tell: a refund
        // on the simulated reader, set to charge through the shop's own bank, unplugged while
        // crediting the card (nothing asks a terminal again: the item stays until the cashier says).
        const found: string[] = [];
        await screen(t.page, 'F6', /Readers/i);
        const reader = t.page.getByRole('article', { name: /Simulated reader 1/ });
        // The box shows what the host holds: ticking it asks first.
        await reader.getByRole('checkbox', { name: /charges through its own bank/ }).click();
        found.push(...(await audit(t.page, 'F6 Readers, confirming the own bank')));
        await reader.getByRole('button', { name: /^Yes: .* charges through the shop's own bank$/ }).click();
        await t.page.getByText(/now charges through the shop's own bank/).waitFor({ timeout: TIMEOUT });

        // Tipping is still on from the test before: the customer takes none.
        const amount = await typeAmount(t.page, '3300');
        await amount.press('Enter');
        await t.display.getByRole('button', { name: 'No tip' }).click();
        await textOf(paymentState(t.page), /Waiting for card/);
        await presentCard(/Visa — approved/);
        await textOf(paymentState(t.page), /Approved/);

        await screen(t.page, 'F3', /Simulate/i);
        await t.page.getByLabel('Fault', { exact: true }).selectOption('disconnect_mid_payment');
        await t.page.getByRole('button', { name: 'Set fault' }).click();
        await t.page.getByText(/will disconnect in the middle/).waitFor({ timeout: TIMEOUT });
        await screen(t.page, 'F5', /Transactions/i);
        await t.page.getByLabel('Charged by').selectOption('terminal');
        await t.page.getByRole('button', { name: 'Search', exact: true }).click();
        const row = t.page.getByRole('row').filter({ hasText: '$33.00' }).first();
        await row.getByRole('button', { name: /Details for/ }).click();
        await t.page.getByRole('button', { name: /^Refund/ }).click();
        await t.page.getByText(/did not say whether it credited the card/).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transaction details, refund outcome unknown')));
        await t.page.getByRole('button', { name: 'Needs attention (1)' }).waitFor({ timeout: TIMEOUT });
        await t.page.keyboard.press('Escape');

        await screen(t.page, 'F8', /attention/i);
        const item = t.page.getByRole('article', { name: /\$33\.00/ });
        await item.getByRole('button', { name: 'The card was not credited' }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F8 Needs attention, a refund outcome unknown')));
        await item.getByRole('button', { name: 'The card was credited $33.00' }).click();
        await item.getByRole('button', { name: 'Yes: the terminal ticket shows the credit' }).waitFor();
        found.push(...(await audit(t.page, 'F8 Needs attention, confirming "credited"')));
        await item.getByRole('button', { name: 'Back' }).click();
        // Backed out, the focus is back on the button that opened it (not on the page, not a title).
        const credited = item.getByRole('button', { name: 'The card was credited $33.00' });
        await expect
          .poll(() => credited.evaluate((el) => el === document.activeElement), { timeout: TIMEOUT })
          .toBe(true);
        await item.getByRole('button', { name: 'Check again' }).click();
        // The item's live regions are on the page, empty, before the answer: the one with the answer.
        await item.locator('[role=status]:not(:empty), [role=alert]:not(:empty)').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F8 Needs attention, checked again')));
        await item.getByRole('button', { name: 'The card was not credited' }).click();
        await item.getByRole('button', { name: 'Yes: the terminal ticket shows no credit' }).click();
        await t.page.getByText('Nothing needs attention.').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F8 Needs attention, settled')));
        expectNoViolations(found);
      });

      it('a chargeback: Transactions, its payment details and Needs attention', async () => {
        // The customer's bank disputes the $12.50 sale of an earlier test (the sandbox's admin route
        // stands for the bank).
        const found: string[] = [];
        const [secretKey] = await sandboxSecrets(t.app);
        const api = async (method: string, path: string, body?: unknown) => {
          const response = await fetch(t.app.sandboxUrl + path, {
            method,
            headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
            ...(body ? { body: JSON.stringify(body) } : {}),
          });
          expect(response.status).toBeLessThan(300);
          return (await response.json()) as Record<string, unknown>;
        };
        const listed = (await api('GET', '/v1/transactions?size=20')) as {
          data: { id: string; amount: number; status: string }[];
        };
        const sale = listed.data.find((tx) => tx.amount === 1250 && tx.status === 'succeeded')!;
        const dispute = await api('POST', '/_sandbox/disputes', { transaction_id: sale.id, reason: 'fraudulent' });
        const reference = String(dispute.reference);

        await screen(t.page, 'F5', /Transactions/i);
        await t.page.getByRole('button', { name: 'Search', exact: true }).click();
        const disputes = t.page.getByRole('region', { name: 'Disputes' });
        await textOf(disputes.getByRole('row').filter({ hasText: reference }), /\$12\.50.*Needs a response/);
        found.push(...(await audit(t.page, 'F5 Transactions, a dispute open')));
        await disputes.getByRole('button', { name: `Payment of dispute ${reference}` }).click();
        await t.page.getByRole('table', { name: /^Disputes of / }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transaction details, disputed')));
        await t.page.keyboard.press('Escape');

        await screen(t.page, 'F8', /attention/i);
        const item = t.page.getByRole('article', { name: /\$12\.50/ });
        await textOf(item, /The customer's bank disputes \$12\.50 of this payment/);
        found.push(...(await audit(t.page, 'F8 Needs attention, a dispute open')));
        expectNoViolations(found);
      });

      it('a new address for the customer display: confirming, backed out of, then the display locked', async () => {
        const found: string[] = [];
        await screen(t.page, 'F7', /Settings/i);
        const opener = t.page.getByRole('button', { name: 'New address for the customer display' });
        await opener.focus();
        await t.page.keyboard.press('Enter');
        const yes = t.page.getByRole('button', { name: 'Yes, make a new address' });
        await yes.waitFor({ timeout: TIMEOUT });
        expect(await yes.evaluate((el) => el === document.activeElement)).toBe(true);
        found.push(...(await audit(t.page, 'F7 Settings, confirming a new display address')));
        // Escape backs out onto the button that opened it: a keyboard cashier keeps their place.
        await t.page.keyboard.press('Escape');
        await opener.waitFor({ timeout: TIMEOUT });
        expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
        await t.page.keyboard.press('Enter');
        await yes.waitFor({ timeout: TIMEOUT });
        await t.page.keyboard.press('Enter');
        await t.page.getByText('New address made: the old one no longer works.').waitFor({ timeout: TIMEOUT });
        // The display open on the old address is locked, and says why.
        await t.display.getByRole('heading', { name: 'This screen is not connected' }).waitFor({ timeout: TIMEOUT });
        await textOf(t.display.getByRole('status'), /Its address no longer works/);
        found.push(...(await audit(t.display, 'customer display, its address no longer works')));
        expectNoViolations(found);
      });

      it('the host gone: the reconnecting banner', async () => {
        await t.app.close();
        await t.page.getByText('Reconnecting to the host…').waitFor({ timeout: TIMEOUT });
        expectNoViolations(await audit(t.page, 'F2 Process, host unreachable'));
      });
    });

    describe('PayPlug (payment links, customer fields)', () => {
      const t = till('payplug');

      it('every screen, with nothing done yet, and the customer fields', async () => {
        const found: string[] = [];
        await everyScreen(t.page, 'PayPlug, empty', found);
        await t.openDisplay();
        await screen(t.page, 'F1', /Create/i);
        await t.page.getByLabel('Email', { exact: true }).waitFor();
        await t.page.getByLabel('Pay', { exact: true }).selectOption('3');
        found.push(...(await audit(t.page, 'F1 Create, PayPlug installments chosen')));
        await t.page.getByLabel('Pay', { exact: true }).selectOption('1');
        expectNoViolations(found);
      });

      it('a refused amount, then a payment link waiting with its QR, then paid', async () => {
        const found: string[] = [];
        const refused = await typeAmount(t.page, '0');
        await refused.press('Enter');
        await t.page.locator('main [aria-invalid="true"]').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F1 Create, PayPlug amount refused')));

        const amount = await typeAmount(t.page, '2500');
        await amount.press('Enter');
        await textOf(paymentState(t.page), /Waiting for the customer to pay by link/);
        await t.page.locator('img.pay-link__qr').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F2 Process, PayPlug QR link waiting')));
        await textOf(t.display.locator('body'), /25\.00/);
        found.push(...(await audit(t.display, 'customer display, PayPlug link waiting')));
        await screen(t.page, 'F3', /Simulate/i);
        found.push(...(await audit(t.page, 'F3 Simulate, PayPlug link waiting')));
        await t.page.getByRole('button', { name: 'Pay the link' }).click();
        // Paid while the cashier is on Simulate: told in a banner, then dismissed from the keyboard.
        const banner = t.page.locator('.banner--link[role=status]');
        await textOf(banner, /^€25\.00 paid by link — \S+\. F2 to see it\./);
        found.push(...(await audit(t.page, 'F3 Simulate, PayPlug link paid banner')));
        const dismiss = banner.getByRole('button', { name: 'Dismiss' });
        await dismiss.focus();
        await t.page.keyboard.press('Shift+Tab');
        expect(
          await banner.getByRole('button', { name: 'Open (F2)' }).evaluate((el) => el === document.activeElement),
        ).toBe(true);
        await t.page.keyboard.press('Tab');
        await t.page.keyboard.press('Enter');
        expect(await t.page.locator('.banner--link').count()).toBe(0);
        // The button went with the banner: the focus goes back into the screen, not onto the page.
        await expect
          .poll(() => t.page.evaluate(() => document.querySelector('main')!.contains(document.activeElement)))
          .toBe(true);
        found.push(...(await audit(t.page, 'F3 Simulate, PayPlug banner dismissed')));
        await screen(t.page, 'F2', /Process/i);
        await textOf(paymentState(t.page), /Approved/);
        found.push(...(await audit(t.page, 'F2 Process, PayPlug approved')));

        await screen(t.page, 'F5', /Transactions/i);
        const row = t.page.getByRole('row').filter({ hasText: '€25.00' }).first();
        await row.waitFor({ timeout: TIMEOUT });
        await row.getByRole('button', { name: /Details for/ }).click();
        await t.page.getByLabel(/Refund amount/).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transaction details, PayPlug')));
        await t.page.keyboard.press('Escape');
        expectNoViolations(found);
      });

      it('an installment plan with its schedule', async () => {
        const found: string[] = [];
        const amount = await typeAmount(t.page, '30000');
        await t.page.getByLabel('Email', { exact: true }).fill('grace@example.com');
        await t.page.getByLabel('First name').fill('Grace');
        await t.page.getByLabel('Last name').fill('Hopper');
        await t.page.getByLabel('Pay', { exact: true }).selectOption('3');
        await amount.press('Enter');
        await t.page.locator('table.schedule').waitFor({ timeout: TIMEOUT });
        await t.page.locator('img.pay-link__qr').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F2 Process, PayPlug installment plan')));
        found.push(...(await audit(t.display, 'customer display, PayPlug installment plan')));
        // A switch of gateway chosen (not saved) with the plan running: both warnings are said.
        await screen(t.page, 'F7', /Settings/i);
        const payplugRadio = t.page.getByRole('radio', { name: /PayPlug/ });
        await payplugRadio.focus();
        await t.page.keyboard.press('ArrowUp');
        await textOf(
          t.page.getByRole('status').filter({ hasText: /still running/ }),
          /^1 installment plan with PayPlug/,
        );
        await textOf(t.page.getByRole('status').filter({ hasText: /not finished/ }), /PayPlug (is|are) not finished/);
        found.push(...(await audit(t.page, 'F7 Settings, a switch with a plan running')));
        await t.page.keyboard.press('ArrowDown');
        expect(await payplugRadio.isChecked()).toBe(true);
        // F2 opens the plan again (its screen is titled by the plan, not Process payment).
        await t.page.keyboard.press('F2');
        await t.page.locator('table.schedule').waitFor({ timeout: TIMEOUT });
        await t.page.getByRole('button', { name: 'Abort plan' }).click();
        await t.page.getByRole('button', { name: 'Yes, abort the plan' }).waitFor();
        found.push(...(await audit(t.page, 'F2 Process, PayPlug plan abort being confirmed')));
        await t.page.getByRole('button', { name: 'Yes, abort the plan' }).click();
        await textOf(t.page.locator('.payment-state'), /aborted/);
        found.push(...(await audit(t.page, 'F2 Process, PayPlug plan aborted')));
        expectNoViolations(found);
      });

      it('a saved card found on Create payment, and its Forget confirmed', async () => {
        const found: string[] = [];
        const customer = async () => {
          await t.page.getByLabel('Email', { exact: true }).fill('ada@example.com');
          await t.page.getByLabel('First name').fill('Ada');
          await t.page.getByLabel('Last name').fill('Lovelace');
        };
        const amount = await typeAmount(t.page, '2000');
        await customer();
        await t.page.getByLabel(/Offer the customer to save their card/).check();
        await amount.press('Enter');
        await t.page.locator('img.pay-link__qr').waitFor({ timeout: TIMEOUT });
        await screen(t.page, 'F3', /Simulate/i);
        await t.page.getByLabel(/The customer ticks .save my card./).check();
        await t.page.getByRole('button', { name: 'Pay the link' }).click();
        await textOf(t.page.getByRole('status').filter({ hasText: 'payment page' }), /used on the payment page/);

        await typeAmount(t.page, '1500');
        await customer();
        await t.page.getByRole('button', { name: 'Find saved cards' }).press('Enter');
        await textOf(t.page.getByRole('status').filter({ hasText: 'saved card for' }), /^1 saved card for ada@/);
        found.push(...(await audit(t.page, 'F1 Create, a saved card found')));
        const forget = t.page.getByRole('button', { name: 'Forget this card' });
        await forget.press('Enter');
        const yes = t.page.getByRole('button', { name: /^Yes, forget the visa •••• 4242$/i });
        await yes.waitFor({ timeout: TIMEOUT });
        expect(await yes.evaluate((el) => el === document.activeElement)).toBe(true);
        found.push(...(await audit(t.page, 'F1 Create, confirming Forget this card')));
        // Escape backs out: the card stays, the focus back on Forget this card, where Enter only asks again.
        await t.page.keyboard.press('Escape');
        await forget.waitFor({ timeout: TIMEOUT });
        expect(await forget.evaluate((el) => el === document.activeElement)).toBe(true);
        await t.page.keyboard.press('Enter');
        await yes.waitFor({ timeout: TIMEOUT });
        expect(await yes.evaluate((el) => el === document.activeElement)).toBe(true);
        await t.page.keyboard.press('Enter');
        await textOf(t.page.getByRole('status').filter({ hasText: 'saved card for' }), /^No saved card for ada@/);
        expect(await t.page.evaluate(() => document.querySelector('main')!.contains(document.activeElement))).toBe(
          true,
        );
        found.push(...(await audit(t.page, 'F1 Create, the saved card forgotten')));
        expectNoViolations(found);
      });
    });

    describe('PayPlug behind a proxy that loses a create (Needs attention)', () => {
      let sandbox: RunningSandbox;
      let proxy: RewritingProxy;
      const t = till('payplug', async () => {
        sandbox = await startSandbox({ port: 0, db: ':memory:' });
        proxy = await startRewritingProxy(sandbox.url);
        return {
          args: ['--gateway-url', `${proxy.url}/payplug`],
          env: { POS_SECRET_KEY: sandbox.payplug.secret_key },
        };
      });

      afterAll(async () => {
        await proxy?.close();
        await sandbox?.close();
      });

      it('a create the gateway never confirmed: its two answers, refused, backed out of and recorded', async () => {
        const found: string[] = [];
        // The create's answer is lost, and so is every answer to the lookup: the till cannot find it.
        proxy.dropAnswer = (method, path) => path === '/payplug/v1/payments' && (method === 'POST' || method === 'GET');
        const amount = await typeAmount(t.page, '1234');
        await amount.press('Enter');
        await t.page.getByRole('button', { name: 'Needs attention (1)' }).waitFor({ timeout: TIMEOUT });
        await screen(t.page, 'F8', /attention/i);
        const item = t.page.getByRole('article', { name: /€12\.34/ });
        const made = item.getByRole('button', { name: 'It was made: enter its id' });
        await made.waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F8 Needs attention, a create never confirmed')));

        // "It was made" from the keyboard: its form opens on its first field.
        await made.focus();
        await t.page.keyboard.press('Enter');
        const form = item.getByRole('form', { name: 'The payment was made' });
        const id = form.getByLabel("Its id on the gateway's dashboard");
        await expect.poll(() => id.evaluate((el) => el === document.activeElement)).toBe(true);
        found.push(...(await audit(t.page, 'F8 Needs attention, "it was made" form')));
        // Tab goes field, field, Record, Back.
        const order: string[] = [];
        for (let i = 0; i < 3; i++) {
          await t.page.keyboard.press('Tab');
          order.push(
            await t.page.evaluate(() => document.activeElement?.textContent || document.activeElement?.id || ''),
          );
        }
        expect(order).toEqual([expect.stringMatching(/-by$/), 'Record: it was made', 'Back']);
        // Recorded empty: said on the first field, which takes the focus.
        await form.getByRole('button', { name: 'Record: it was made' }).press('Enter');
        await expect.poll(() => id.getAttribute('aria-invalid')).toBe('true');
        expect(await id.evaluate((el) => el === document.activeElement)).toBe(true);
        found.push(...(await audit(t.page, 'F8 Needs attention, "it was made" refused empty')));
        // Escape backs out: nothing recorded, the focus back on the button that opened the form.
        await t.page.keyboard.press('Escape');
        expect(await form.count()).toBe(0);
        await expect.poll(() => made.evaluate((el) => el === document.activeElement)).toBe(true);

        // "It was not made", typed and recorded from the keyboard.
        await item.getByRole('button', { name: 'It was not made' }).press('Enter');
        const notMade = item.getByRole('form', { name: 'The payment was not made' });
        const by = notMade.getByLabel('Checked by');
        await expect.poll(() => by.evaluate((el) => el === document.activeElement)).toBe(true);
        found.push(...(await audit(t.page, 'F8 Needs attention, "it was not made" form')));
        await t.page.keyboard.type('Sam');
        await t.page.keyboard.press('Tab');
        await t.page.keyboard.type('No payment of €12.34 on the dashboard');
        await t.page.keyboard.press('Enter');
        await t.page.getByText('Nothing needs attention.').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F8 Needs attention, a create settled as not made')));
        expectNoViolations(found);
      });
    });

    describe('Plural (split editor, Settlements)', () => {
      const t = till('plural');

      it('every screen, with nothing done yet, and the split editor open', async () => {
        const found: string[] = [];
        await everyScreen(t.page, 'Plural, empty', found);
        await t.openDisplay();
        await typeAmount(t.page, '50000');
        await t.page.getByRole('button', { name: 'Split between merchants' }).click();
        await t.page.keyboard.type('1324');
        await t.page.getByLabel('Share 1 on hold').check();
        await t.page.getByLabel('Share 1 on hold').press('Insert');
        await t.page.keyboard.type('1233');
        await t.page.locator('#split-remainder').waitFor();
        found.push(...(await audit(t.page, 'F1 Create, Plural split editor')));
        expectNoViolations(found);
      });

      it('a split payment paid by link, then Settlements and its details', async () => {
        const found: string[] = [];
        // The second share is still empty: the shares are refused, and say so.
        await t.page.getByRole('button', { name: 'Charge' }).click();
        await t.page.locator('main [aria-invalid="true"]').first().waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F1 Create, Plural shares refused')));
        const share = t.page.getByLabel('Share 1 amount');
        await share.fill('');
        await share.pressSequentially('30000');
        const second = t.page.getByLabel('Share 2 amount');
        await second.fill('');
        await second.pressSequentially('20000');
        await t.page.getByRole('button', { name: 'Charge' }).click();
        await textOf(paymentState(t.page), /Waiting for the customer to pay by link/);
        await t.page.locator('img.pay-link__qr').waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F2 Process, Plural QR link waiting')));
        found.push(...(await audit(t.display, 'customer display, Plural link waiting')));
        await screen(t.page, 'F3', /Simulate/i);
        await t.page.getByRole('button', { name: 'Pay the link' }).click();
        // Paid while the cashier is on Simulate: told in a banner; its Open (F2) from the keyboard.
        const banner = t.page.locator('.banner--link[role=status]');
        await textOf(banner, /^₹500\.00 paid by link — \S+\. F2 to see it\./);
        found.push(...(await audit(t.page, 'F3 Simulate, Plural link paid banner')));
        await banner.getByRole('button', { name: 'Open (F2)' }).focus();
        await t.page.keyboard.press('Enter');
        await t.page
          .locator('main h1')
          .filter({ hasText: /Process/i })
          .first()
          .waitFor({ timeout: TIMEOUT });
        await textOf(paymentState(t.page), /Approved/);
        expect(await t.page.locator('.banner--link').count()).toBe(0);
        // The banner's button went with it: the focus is in the screen it opened.
        await expect
          .poll(() => t.page.evaluate(() => document.querySelector('main')!.contains(document.activeElement)))
          .toBe(true);
        found.push(...(await audit(t.page, 'F2 Process, Plural approved')));

        await screen(t.page, 'F5', /Transactions/i);
        await t.page.getByRole('tab', { name: 'Settlements' }).click();
        const item = t.page.locator('li.settlement', { hasText: '₹500.00' }).first();
        await item.waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Settlements, one held share')));
        const part = item.getByRole('button', { name: 'Release part…' });
        await part.focus();
        await t.page.keyboard.press('Enter');
        const release = t.page.getByLabel('Amount to release to 1324');
        await release.waitFor();
        found.push(...(await audit(t.page, 'F5 Settlements, releasing part')));
        // Nothing typed: refused on the field, which keeps the focus.
        await t.page.keyboard.press('Enter');
        await expect.poll(() => release.getAttribute('aria-invalid'), { timeout: TIMEOUT }).toBe('true');
        expect(await release.evaluate((el) => el === document.activeElement)).toBe(true);
        found.push(...(await audit(t.page, 'F5 Settlements, part to release refused')));
        // Escape closes it, its refusal with it, and the focus is back on the button that opened it.
        await t.page.keyboard.press('Escape');
        expect(await part.evaluate((el) => el === document.activeElement)).toBe(true);
        expect(await part.getAttribute('aria-expanded')).toBe('false');
        expect(await item.locator('[aria-invalid="true"]').count()).toBe(0);
        found.push(...(await audit(t.page, 'F5 Settlements, part closed')));

        await t.page.getByRole('tab', { name: 'Transactions' }).click();
        const row = t.page.getByRole('row').filter({ hasText: '₹500.00' }).first();
        await row.waitFor({ timeout: TIMEOUT });
        await row.getByRole('button', { name: /Details/ }).click();
        await t.page.getByRole('table', { name: /Shares of/ }).waitFor({ timeout: TIMEOUT });
        found.push(...(await audit(t.page, 'F5 Transaction details, Plural shares')));
        await t.page.keyboard.press('Escape');
        expectNoViolations(found);
      });
    });
  },
);
