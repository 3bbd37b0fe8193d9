// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { settingsChanges } from '../../renderer/src/screens/Settings';
import { FakeBridge, makeSettings, makeSnapshot, ok, renderApp } from './helpers';

const UAT = 'https://pluraluat.v2.pinepg.in';
const LIVE = 'https://api.pluralpay.in';

function pluralBridge(over: Parameters<typeof makeSettings>[0] = {}) {
  const settings = makeSettings({
    gateway: 'plural',
    embeddedSandbox: false,
    plural: { apiBaseUrl: UAT, clientId: 'client-1', clientSecret: 'sec…t9f3', signatureKey: null },
    ...over,
  });
  const bridge = new FakeBridge(makeSnapshot({ settings, readers: [] }));
  bridge.on('settings.update', () => ok(settings));
  return bridge;
}

describe('Settings for Plural', () => {
  it('picks the environment, keeps the secrets write-only, and sends only what changed', async () => {
    const bridge = pluralBridge();
    const { user } = await renderApp(bridge, { screen: 'settings' });
    expect((screen.getByRole('radio', { name: /^UAT/ }) as HTMLInputElement).checked).toBe(true);
    const url = screen.getByLabelText('Plural API URL') as HTMLInputElement;
    expect(url.value).toBe(UAT);
    expect(url.readOnly).toBe(true);
    const secret = screen.getByLabelText('Client secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    expect(screen.getByText('Stored: sec…t9f3. Type a new key to replace it.')).toBeTruthy();
    expect((screen.getByLabelText('Signature key') as HTMLInputElement).type).toBe('password');

    await user.click(screen.getByRole('radio', { name: /^Another address/ }));
    expect(url.readOnly).toBe(false);
    await user.type(url, 'http://127.0.0.1:4010/plural');
    await user.type(screen.getByLabelText('Signature key'), 'a1b2c3d4e5f60718');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(bridge.inputs('settings.update')).toEqual([
        { pluralApiBaseUrl: 'http://127.0.0.1:4010/plural', pluralSignatureKey: 'a1b2c3d4e5f60718' },
      ]),
    );
    expect((screen.getByLabelText('Signature key') as HTMLInputElement).value).toBe('');
  });

  it("asks for no webhook signing secret: Plural's notifications are signed with its signature key", async () => {
    const { user } = await renderApp(pluralBridge(), { screen: 'settings' });
    await user.click(screen.getByRole('checkbox', { name: /notifications forwarded to this computer/ }));
    expect(screen.getByLabelText('Webhook port')).toBeTruthy();
    expect(screen.queryByLabelText('Webhook signing secret')).toBeNull();
  });

  it('refuses UAT or plain http for Plural in live mode before sending anything', () => {
    const current = makeSettings({ gateway: 'plural', mode: 'test' });
    const form = (apiBaseUrl: string) => ({
      mode: 'live' as const,
      apiBaseUrl: current.apiBaseUrl,
      embeddedSandbox: false,
      autoPresentSeconds: '0',
      secretKey: '',
      publishableKey: '',
      gateway: 'plural' as const,
      plural: { apiBaseUrl, clientId: 'c', clientSecret: '', signatureKey: '' },
    });
    const clear = { secretKey: false, publishableKey: false };
    expect(settingsChanges(current, form('http://plural.example'), clear)).toEqual({
      error: 'Plural in live mode: the API URL must start with https://.',
      path: 'pluralApiBaseUrl',
    });
    expect(settingsChanges(current, form(UAT), clear)).toMatchObject({ path: 'pluralApiBaseUrl' });
    expect(settingsChanges(current, form(`${UAT}/`), clear)).toMatchObject({ path: 'pluralApiBaseUrl' });
    expect(settingsChanges(current, form(LIVE), clear)).toMatchObject({ mode: 'live', pluralApiBaseUrl: LIVE });
  });
});
