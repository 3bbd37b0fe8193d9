/**
 * Steps the browser tests share, as a cashier takes them: waiting for what the page says, and a sale
 * by link charged from the keyboard.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** How long a status may take to show: a gateway's round trip and the page's render, on a busy machine. */
export const STATUS_TIMEOUT = 20_000;

/** Waits until the first element `locator` finds reads `text`. */
export async function textOf(locator: Locator, text: RegExp, timeout = STATUS_TIMEOUT): Promise<void> {
  await expect.poll(async () => (await locator.first().textContent()) ?? '', { timeout }).toMatch(text);
}

/** The Process screen's line saying where the payment is. */
export const paymentState = (page: Page): Locator => page.locator('.payment-state[role=status]');

/** Create payment (F1) from the keyboard: the amount, the capture, Enter; the order it made. */
export async function chargeByLink(page: Page, digits: string, manual: boolean): Promise<string> {
  await page.keyboard.press('F1');
  const amount = page.getByLabel('Amount', { exact: true });
  await amount.fill('');
  await amount.pressSequentially(digits);
  await page.getByLabel(manual ? /Manual/ : /Automatic/).check();
  await amount.press('Enter');
  await textOf(paymentState(page), /Waiting for the customer to pay by link/);
  const meta = (await page.locator('.payment-card').first().textContent()) ?? '';
  return /Order (\S+)/.exec(meta)![1]!;
}
