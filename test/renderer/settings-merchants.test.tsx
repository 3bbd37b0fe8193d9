// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import type { SettingsView } from '../../common/contract';
import { fail, FakeBridge, makeSettings, makeSnapshot, ok, renderApp } from './helpers';

const STALL_7 = { id: '1324', name: 'Stall 7 — Noodles' };

function bridgeFor(over: Partial<SettingsView> = {}) {
  let settings = makeSettings({ gateway: 'plural', ...over });
  const bridge = new FakeBridge(makeSnapshot({ settings, readers: [] }));
  bridge.on('settings.update', (input) => {
    settings = { ...settings, splitMerchants: input.splitMerchants ?? settings.splitMerchants };
    return ok(settings);
  });
  return bridge;
}

const section = () => within(screen.getByRole('form', { name: 'Merchants for split payments' }));
const input = (label: string) => section().getByLabelText(label) as HTMLInputElement;

describe('Settings → Merchants for split payments', () => {
  it('is shown only while the gateway shares payments', async () => {
    const { unmount } = await renderApp(new FakeBridge(makeSnapshot()), { screen: 'settings' });
    expect(screen.queryByRole('form', { name: 'Merchants for split payments' })).toBeNull();
    unmount();
    await renderApp(bridgeFor({ splitMerchants: [STALL_7] }), { screen: 'settings' });
    expect(input('Merchant 1 id').value).toBe('1324');
    expect(input('Merchant 1 name').value).toBe('Stall 7 — Noodles');
  });

  it('adds, edits and removes merchants, and saves the list trimmed, empty rows left out', async () => {
    const bridge = bridgeFor({ splitMerchants: [STALL_7, { id: '77', name: 'Old stall' }] });
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(section().getByRole('button', { name: 'Add a merchant' }));
    // The new row's id takes the focus.
    expect(document.activeElement).toBe(input('Merchant 3 id'));
    await user.keyboard(' 1325 ');
    await user.type(input('Merchant 3 name'), 'Stall 8 — Tea');
    await user.clear(input('Merchant 1 name'));
    await user.type(input('Merchant 1 name'), 'Stall 7 — Ramen');
    await user.click(section().getByRole('button', { name: 'Remove merchant 2' }));
    expect(document.activeElement).toBe(input('Merchant 1 id'));
    await user.click(section().getByRole('button', { name: 'Add a merchant' }));
    await user.click(section().getByRole('button', { name: 'Save merchants' }));
    await waitFor(() =>
      expect(bridge.inputs('settings.update')).toEqual([
        {
          splitMerchants: [
            { id: '1324', name: 'Stall 7 — Ramen' },
            { id: '1325', name: 'Stall 8 — Tea' },
          ],
        },
      ]),
    );
    expect(await screen.findByText('Merchants saved (2).')).toBeTruthy();
    expect(section().queryByLabelText('Merchant 3 id')).toBeNull();
  });

  it('marks a bad id, a repeated id and a missing name on their fields, and sends nothing', async () => {
    const bridge = bridgeFor({ splitMerchants: [STALL_7] });
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(section().getByRole('button', { name: 'Add a merchant' }));
    await user.keyboard('stall 9');
    await user.type(input('Merchant 2 name'), 'Stall 9');
    await user.click(section().getByRole('button', { name: 'Add a merchant' }));
    await user.keyboard('1324');
    await user.click(section().getByRole('button', { name: 'Save merchants' }));
    expect(bridge.count('settings.update')).toBe(0);
    expect(input('Merchant 2 id').getAttribute('aria-invalid')).toBe('true');
    expect(section().getByText('The merchant id must be 1–50 letters, digits, . _ or -.')).toBeTruthy();
    expect(section().getByText('Merchant 1324 is already in the list: each merchant once.')).toBeTruthy();
    expect(section().getByText('Give the merchant a name, e.g. Stall 7 — Noodles.')).toBeTruthy();
    expect(input('Merchant 3 name').getAttribute('aria-invalid')).toBe('true');
    // The first field marked takes the focus.
    expect(document.activeElement).toBe(input('Merchant 2 id'));
    // A field's mark goes when it is edited; the others stay.
    await user.clear(input('Merchant 2 id'));
    await user.type(input('Merchant 2 id'), 'stall_9');
    expect(input('Merchant 2 id').getAttribute('aria-invalid')).toBeNull();
    expect(input('Merchant 3 id').getAttribute('aria-invalid')).toBe('true');
  });

  it("shows the host's refusal on the field it names", async () => {
    const bridge = bridgeFor();
    bridge.on('settings.update', () =>
      fail('validation', 'Invalid input', {
        issues: [{ path: 'splitMerchants.0.name', message: 'at most 40 characters' }],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    expect(section().getByText(/No merchants yet/)).toBeTruthy();
    await user.click(section().getByRole('button', { name: 'Add a merchant' }));
    await user.keyboard('1324');
    await user.type(input('Merchant 1 name'), 'Noodles');
    await user.click(section().getByRole('button', { name: 'Save merchants' }));
    expect(await section().findByText('Name: at most 40 characters.')).toBeTruthy();
    expect(input('Merchant 1 name').getAttribute('aria-invalid')).toBe('true');
  });
});
