/**
 * A payment created in the app and processed on a Concert terminal: the terminal is the emulator
 * on one end of a socat pty pair, the app (web mode, real serialport binding) watches the other
 * end. Pairing, charging and a refusal all go through the UI.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveEmulator, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { hasTool } from '../support/tools';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable() || !hasTool('socat'))('a Concert terminal on a serial port, end to end', () => {
  let pty: PtyPair;
  let terminal: ServedEmulator;
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    pty = await createPtyPair();
    terminal = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'approve', delayMs: 300 } });
    app = await startWebApp({ args: ['--reader-port', pty.b] });
    browser = await launchBrowser();
    page = (await openApp(browser, app)).page;
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await terminal?.stop();
    await pty?.stop();
  });

  async function textOf(selector: string, text: RegExp) {
    await expect
      .poll(async () => (await page.locator(selector).first().textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(text);
  }

  it('shows the terminal as found on its port, pairs it, and it comes online', async () => {
    await page.keyboard.press('F6');
    const found = page.getByRole('article').filter({ hasText: pty.b });
    await found.getByRole('button', { name: 'Pair' }).click({ timeout: TIMEOUT });
    const paired = page
      .getByRole('article', { name: /Concert|Ingenico/ })
      .filter({ has: page.getByRole('button', { name: 'Reconnect' }) });
    await expect
      .poll(async () => (await paired.getByRole('status').textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/^Online/);
    // This counter has only the terminal: the simulated reader goes.
    const simulated = page.getByRole('article', { name: /Simulated reader 1/ });
    await simulated.getByRole('button', { name: 'Forget' }).click();
    await simulated.getByRole('button', { name: /Yes, forget/ }).click();
    await expect
      .poll(() => page.getByRole('article', { name: /Simulated reader 1/ }).count(), { timeout: TIMEOUT })
      .toBe(0);
  });

  it('charges on the terminal: the Concert request carries the amount and currency, and the approval comes back', async () => {
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('1250');
    await page.getByLabel('Currency').selectOption('EUR');
    await amount.press('Enter');
    await textOf('.payment-state[role=status]', /Approved\. The payment is complete/);
    const request = terminal.emulator.requests.at(-1);
    expect(request).toMatchObject({ amount: 1250, currencyNumeric: '978' });
  });

  it('a refusal on the terminal is a decline the cashier can retry', async () => {
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'refuse' };
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('800');
    await amount.press('Enter');
    await textOf('[role=alert]:not(:empty)', /Declined/);
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'approve' };
    await page.getByRole('button', { name: 'Try another card' }).click();
    await textOf('.payment-state[role=status]', /Approved/);
  });
});
