/**
 * A payment created in the app and processed on a Concert terminal: the terminal is the emulator
 * on one end of a socat pty pair, the app (web mode, real serialport binding) watches the other
 * end. Pairing, charging and a refusal all go through the UI.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveEmulator, type EmulatorScript, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
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

  /** The pty's links live here, so the port can come back under the same path (on a new /dev/pts node). */
  let links: string;
  const plugIn = async (script: Partial<EmulatorScript>) => {
    pty = await createPtyPair({ linkA: join(links, 'terminal'), linkB: join(links, 'ecr') });
    terminal = serveEmulator(await openSerialTransport(pty.a), { script: { delayMs: 300, ...script } });
  };

  beforeAll(async () => {
    links = mkdtempSync(join(tmpdir(), 'concert-e2e-'));
    await plugIn({ outcome: 'approve' });
    // A second port named by mistake: a regular file, which no driver can claim.
    writeFileSync(join(links, 'not-a-port'), '');
    app = await startWebApp({ args: ['--reader-port', pty.b, '--reader-port', join(links, 'not-a-port')] });
    browser = await launchBrowser();
    page = (await openApp(browser, app)).page;
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await terminal?.stop();
    await pty?.stop();
    rmSync(links, { force: true, recursive: true });
  });

  async function textOf(selector: string, text: RegExp) {
    await expect
      .poll(async () => (await page.locator(selector).first().textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(text);
  }

  it('shows the terminal as found on its port, pairs it, and it comes online', async () => {
    await page.keyboard.press('F6');
    // The named port that is not a serial port is there too, saying so, with nothing to pair.
    const wrong = page.getByRole('article', { name: /not-a-port · Serial port, no reader recognised/ });
    await expect
      .poll(async () => (await wrong.getByRole('status').textContent({ timeout: TIMEOUT })) ?? '', { timeout: TIMEOUT })
      .toMatch(/^No reader: concert probe failed: cannot open .*not-a-port: not a serial port/);
    expect(await wrong.getByRole('button', { name: 'Pair' }).count()).toBe(0);
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

  it('a terminal unplugged mid-payment leaves the payment unknown with advice, and is never asked again', async () => {
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'never' };
    const before = terminal.emulator.requests.length;
    await page.keyboard.press('F1');
    const amount = page.getByLabel('Amount', { exact: true });
    await amount.fill('');
    await amount.pressSequentially('4321');
    await amount.press('Enter');
    // The terminal has taken the request (ACKed): from here on it may charge the card.
    await page.keyboard.press('F6');
    const reader = page
      .getByRole('article', { name: /Concert|Ingenico/ })
      .filter({ has: page.getByRole('button', { name: 'Reconnect' }) });
    await expect.poll(async () => (await reader.textContent()) ?? '', { timeout: TIMEOUT }).toMatch(/waiting for card/);
    expect(terminal.emulator.requests.length).toBe(before + 1);
    // Taken by the terminal: only its own keys stop it now. The till says so and offers no Cancel,
    // rather than a Cancel refused as "the card is being authorised" (found in a defect hunt).
    await page.keyboard.press('F2');
    await textOf('.key-hints', /has the payment: the till can no longer cancel it\. .*cancel on the reader itself/);
    expect(await page.getByRole('button', { name: 'Cancel payment' }).isDisabled()).toBe(true);
    await page.keyboard.press('F6');

    // The cable is pulled: socat goes, and the port with it.
    await terminal.stop();
    await pty.stop();
    await expect
      .poll(async () => (await reader.textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/€43\.21 — outcome not known: the reader may have charged the card\. .*Needs attention \(F8\)/);
    // The Process screen says not to charge again, and does not ask for another reader to send it to.
    await page.keyboard.press('F2');
    await textOf('.payment-state[role=status]', /Outcome not known yet[\s\S]*Do not charge again/);
    expect(await page.locator('main').textContent()).not.toMatch(/Pick an online reader/);
    await page.keyboard.press('F8');
    await textOf('main', /€43\.21[\s\S]*The reader was unplugged or lost power[\s\S]*may have been charged/);
    expect(await page.locator('main').textContent()).not.toMatch(/port closed|file descriptor/);

    // Plugged back in: the same path, a new pty behind it (the kernel may reuse the number). The terminal comes back online and is
    // not asked for the held payment again (it may have charged it).
    await plugIn({ outcome: 'approve' });
    await page.keyboard.press('F6');
    await expect
      .poll(async () => (await reader.getByRole('status').textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/^Online/);
    await expect
      .poll(async () => (await reader.textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/outcome not known/);
    expect(terminal.emulator.requests).toEqual([]);

    // The cashier reads the terminal's ticket and settles it: the reader is free, and says so.
    await page.keyboard.press('F8');
    await page.getByRole('button', { name: 'The card was charged' }).click();
    await page.getByRole('button', { name: /^Yes/ }).click();
    await textOf('main', /Nothing needs attention/);
    await page.keyboard.press('F6');
    await expect
      .poll(async () => (await reader.textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/No current action/);
    await expect
      .poll(async () => (await reader.textContent()) ?? '', { timeout: TIMEOUT })
      .toMatch(/No current action/);
    expect(await reader.textContent()).not.toMatch(/outcome not known/);
  });
});
