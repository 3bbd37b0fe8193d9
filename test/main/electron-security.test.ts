import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUSTOMER_DISPLAY_COMMANDS } from '../../common/contract/views';
import {
  APP_ENTRY_URL,
  appFileHeaders,
  DISPLAY_ENTRY_URL,
  ELECTRON_CSP,
  customerScreen,
  guardNavigation,
  isDisplayCommand,
  isAllowedNavigation,
  isTrustedSender,
  NAVIGATION_EVENTS,
  permissionDecision,
  resolveAppFile,
  secureWebPreferences,
  windowOpenDecision,
} from '../../main/app/security';

describe('Electron hardening (tested without the runtime)', () => {
  it('isolates and sandboxes the renderer with no Node', () => {
    const prefs = secureWebPreferences('/app/out/preload/index.cjs');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('allows navigation only within app://renderer', () => {
    expect(isAllowedNavigation(APP_ENTRY_URL)).toBe(true);
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'app://other/index.html',
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(isAllowedNavigation(url)).toBe(false);
    }
  });

  it("guards every frame's navigations, not only the top frame's", () => {
    // will-navigate fires for the top frame only: an iframe led elsewhere was never asked about.
    expect(NAVIGATION_EVENTS).toEqual(
      expect.arrayContaining(['will-navigate', 'will-frame-navigate', 'will-redirect']),
    );
    const navigate = (url: string) => {
      let prevented = false;
      guardNavigation({ url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    expect(navigate(APP_ENTRY_URL)).toBe(false);
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    // main.ts hands each of them to the guard (it cannot run here without Electron).
    const main = readFileSync(new URL('../../main/app/main.ts', import.meta.url), 'utf8');
    expect(main).toMatch(/for \(const name of NAVIGATION_EVENTS\) contents\.on\(name[^,]*, guardNavigation\)/);
  });

  it('denies new windows and every permission', () => {
    expect(windowOpenDecision()).toEqual({ action: 'deny' });
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'serial',
      'usb',
      'hid',
      'clipboard-read',
      'openExternal',
    ]) {
      expect(permissionDecision(permission)).toBe(false);
    }
  });

  it('accepts commands only from the main frame of our own page', () => {
    expect(isTrustedSender(APP_ENTRY_URL, true)).toBe(true);
    expect(isTrustedSender(APP_ENTRY_URL, false)).toBe(false);
    expect(isTrustedSender('https://evil.example/', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });

  it('serves files only from inside the renderer folder', () => {
    expect(resolveAppFile('app://renderer/index.html', '/srv/r')).toBe('/srv/r/index.html');
    expect(resolveAppFile('app://renderer/', '/srv/r')).toBe('/srv/r/index.html');
    expect(resolveAppFile('app://renderer/assets/a.js', '/srv/r')).toBe('/srv/r/assets/a.js');
    // The URL parser resolves dot segments first; whatever it yields stays inside the folder.
    expect(resolveAppFile('app://renderer/%2e%2e/secret', '/srv/r')).toBe('/srv/r/secret');
    expect(resolveAppFile('app://renderer/..%2f..%2fetc/passwd', '/srv/r')).toBeNull();
    expect(resolveAppFile('app://other/index.html', '/srv/r')).toBeNull();
    expect(resolveAppFile('file:///srv/r/index.html', '/srv/r')).toBeNull();
  });

  it("serves its bundled files with their type and web mode's defensive headers", () => {
    // Found by a review: app:// answers carried only the type and the policy, while web mode's
    // (and the receiver's) also forbid sniffing, framing and referrers.
    const headers = appFileHeaders('/srv/r/assets/index-1a2b.js');
    expect(headers).toMatchObject({
      'Content-Type': expect.stringContaining('javascript'),
      'Content-Security-Policy': ELECTRON_CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    expect(appFileHeaders('/srv/r/index.html')['Content-Type']).toContain('text/html');
    expect(appFileHeaders('/srv/r/blob.unknown')['Content-Type']).toBe('application/octet-stream');
  });

  it('has a strict CSP: no inline or remote script, no network from the page', () => {
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toContain('unsafe-inline');
    expect(ELECTRON_CSP).not.toContain('unsafe-eval');
    expect(ELECTRON_CSP).toContain("connect-src 'none'");
    expect(ELECTRON_CSP).toContain("object-src 'none'");
  });

  it('sets the security fuses in electron-builder.yml', () => {
    const config = readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8');
    for (const fuse of [
      'runAsNode: false',
      'enableNodeOptionsEnvironmentVariable: false',
      'enableNodeCliInspectArguments: false',
      'enableEmbeddedAsarIntegrityValidation: true',
      'onlyLoadAppFromAsar: true',
      'grantFileProtocolExtraPrivileges: false',
    ]) {
      expect(config).toContain(fuse);
    }
  });

  it('keeps every electron import inside main/app', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(
      'grep',
      [
        '-rlE',
        'from [\'"]electron[\'"]|require\\([\'"]electron[\'"]\\)',
        'main',
        'drivers',
        'renderer',
        'sandbox',
        'common',
      ],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter(Boolean);
    expect(out.every((file) => file.startsWith('main/app/'))).toBe(true);
    expect(out.length).toBeGreaterThan(0);
  });

  it("puts the customer display on the first screen that is not the cashier's, and lets it choose only", () => {
    const primary = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } };
    const second = { id: 7, bounds: { x: 1920, y: 0, width: 1024, height: 768 } };
    expect(customerScreen([primary], 1)).toBeNull();
    expect(customerScreen([primary, second], 1)).toBe(second);
    expect(customerScreen([second, primary], 1)).toBe(second);
    expect(DISPLAY_ENTRY_URL).toBe(`${APP_ENTRY_URL}#display`);
    expect(isAllowedNavigation(DISPLAY_ENTRY_URL)).toBe(true);
    expect(isDisplayCommand('customer.chooseTip', CUSTOMER_DISPLAY_COMMANDS)).toBe(true);
    expect(isDisplayCommand('display.snapshot', CUSTOMER_DISPLAY_COMMANDS)).toBe(true);
    for (const name of ['session.snapshot', 'payments.create', 'settings.update', 'payments.refund', 42, null])
      expect(isDisplayCommand(name, CUSTOMER_DISPLAY_COMMANDS)).toBe(false);
  });
});
