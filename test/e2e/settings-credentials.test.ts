/**
 * Addresses that name a user and a password, in Chromium against the host in web mode: a gateway
 * address an older version kept with them (refused when saved now) loses them at start, and Settings
 * says so; a PayPlug notification URL keeps them, for PayPlug, but the page only ever sees them masked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eAvailable, launchBrowser, openApp, startWebApp, type WebApp } from './harness';

const TIMEOUT = 15_000;

describe.skipIf(!e2eAvailable())('a user name and password in an address (Chromium, web mode)', () => {
  let dataDir: string;
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let frames: string[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pos-e2e-credentials-'));
    // What an older version kept: the till's settings, written as it wrote them.
    const first = await startWebApp({ dataDir });
    await first.close();
    const journal = new Database(join(dataDir, 'journal.db'));
    const set = journal.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
    set.run('gateway', JSON.stringify('payplug'));
    set.run('apiBaseUrl', JSON.stringify('https://shop:SEEDEDPASS@gw.example/api'));
    set.run('payplugNotificationUrl', JSON.stringify('https://hook:SEEDEDPASS@hooks.example/pos'));
    journal.close();
    app = await startWebApp({ dataDir });
    browser = await launchBrowser();
    ({ page, frames } = await openApp(browser, app));
    await page.getByText('TEST MODE').first().waitFor({ timeout: TIMEOUT });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('Settings says what was taken out, shows the notification URL masked, and the page never gets them', async () => {
    await page.keyboard.press('F7');
    await page
      .getByText(/^The PlutoPay address held a user name or password .* now https:\/\/gw\.example\/api\./)
      .waitFor({ timeout: TIMEOUT });
    expect(await page.getByLabel('Notification URL (optional)').inputValue()).toBe('https://…@hooks.example/pos');

    // Saved with another path, masked as shown: PayPlug still gets the URL with them, the page never.
    await page.getByLabel('Notification URL (optional)').fill('https://…@hooks.example/till');
    await page.getByRole('button', { name: /^Save/ }).click();
    await page.getByText('Settings saved.').waitFor({ timeout: TIMEOUT });
    expect(await page.getByLabel('Notification URL (optional)').inputValue()).toBe('https://…@hooks.example/till');
    const journal = new Database(join(dataDir, 'journal.db'), { readonly: true });
    const kept = journal.prepare(`SELECT value FROM settings WHERE key = 'payplugNotificationUrl'`).get() as {
      value: string;
    };
    journal.close();
    expect(JSON.parse(kept.value)).toBe('https://hook:SEEDEDPASS@hooks.example/till');
    expect(frames.join('\n')).not.toContain('SEEDEDPASS');
    expect(app.stderr.join('')).not.toContain('SEEDEDPASS');
  });
});
