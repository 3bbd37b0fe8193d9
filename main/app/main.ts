/**
 * The Electron shell: one hardened window showing the renderer from the app:// protocol, the host
 * running in this (main) process, and IPC carrying exactly the contract. Everything with logic is
 * elsewhere (host in main/host, rules in ./security.ts) so it runs and is tested in plain Node.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, protocol, screen, session } from 'electron';
import { CUSTOMER_DISPLAY_COMMANDS } from '../../common/contract/views';
import { createAppHost, readerPortsFromEnv } from '../host/app-host';
import type { Host } from '../host/host';
import { bringForward, CASHIER_WINDOW } from './cashier-window';
import { SafeStorageSecretStore } from './secure-store';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  appFileHeaders,
  DISPLAY_ENTRY_URL,
  customerScreen,
  isDisplayCommand,
  guardNavigation,
  NAVIGATION_EVENTS,
  isTrustedSender,
  permissionDecision,
  resolveAppFile,
  secureWebPreferences,
  windowOpenDecision,
} from './security';
import { errorText } from '../core/errors';

const rendererDir = fileURLToPath(new URL('../renderer/', import.meta.url));
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) {
  // One app per counter: a second launch focuses the first instead of fighting over the readers.
  app.quit();
} else {
  let window: BrowserWindow | null = null;
  /** The customer display: a second window on the secondary screen, when there is one. */
  let displayWindow: BrowserWindow | null = null;
  let host: Host | null = null;

  /** Opens (or moves) the customer display on the first screen that is not the cashier's. */
  const placeCustomerDisplay = async (): Promise<void> => {
    const target = customerScreen(screen.getAllDisplays(), screen.getPrimaryDisplay().id);
    if (!target) {
      displayWindow?.close();
      return;
    }
    if (displayWindow && !displayWindow.isDestroyed()) {
      displayWindow.setBounds(target.bounds);
      return;
    }
    displayWindow = new BrowserWindow({
      ...target.bounds,
      show: false,
      frame: false,
      fullscreen: true,
      title: 'Customer display',
      webPreferences: secureWebPreferences(preloadPath),
    });
    displayWindow.once('ready-to-show', () => displayWindow?.showInactive());
    displayWindow.on('closed', () => {
      displayWindow = null;
      host?.customerDisplay({ connected: 0 });
    });
    host?.customerDisplay({ url: null, connected: 1 });
    await displayWindow.loadURL(DISPLAY_ENTRY_URL);
  };

  app.on('second-instance', () => bringForward(window));

  app.on('web-contents-created', (_event, contents) => {
    // Every frame's navigations, not only the top frame's (will-navigate alone missed an iframe's).
    for (const name of NAVIGATION_EVENTS) contents.on(name as 'will-frame-navigate', guardNavigation);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => windowOpenDecision());
  });

  app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) =>
      callback(permissionDecision(permission)),
    );
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => permissionDecision(permission));

    protocol.handle(APP_SCHEME, async (request) => {
      const file = resolveAppFile(request.url, rendererDir);
      if (!file) return new Response('Not found', { status: 404 });
      try {
        const body = await readFile(file);
        return new Response(body, { headers: appFileHeaders(file) });
      } catch {
        return new Response('Not found', { status: 404 });
      }
    });

    const dataDir = app.getPath('userData');
    // Keys are sealed with the OS keychain; where there is none, storing is refused (with the reason)
    // rather than pretending. The embedded sandbox needs no stored key, so test mode still works.
    const unsafe = SafeStorageSecretStore.unavailableReason();
    try {
      host = await createAppHost({
        dataDir,
        secrets: new SafeStorageSecretStore(join(dataDir, 'secrets.sealed')),
        readerPorts: readerPortsFromEnv(process.env),
        // The readers' notes (a port that could not be listed…): the developer log once it exists.
        log: (line) => (host ? host.devlog.add('reader', line) : console.warn(line)),
      });
    } catch (error) {
      dialog.showErrorBox('POS Terminal Companion could not start', errorText(error));
      app.quit();
      return;
    }
    if (unsafe) host.devlog.add('error', `Keys cannot be stored on this machine: ${unsafe}`);

    ipcMain.handle('pos:invoke', (event, name: unknown, input: unknown) => {
      const unauthorized = (message: string) => ({ ok: false, error: { code: 'unauthorized', message } });
      if (!isTrustedSender(event.senderFrame?.url, event.senderFrame === event.sender.mainFrame)) {
        return unauthorized('Commands are only accepted from the app window.');
      }
      // The customer display's window: the customer's choices only.
      if (displayWindow && !displayWindow.isDestroyed() && event.sender === displayWindow.webContents) {
        if (!isDisplayCommand(name, CUSTOMER_DISPLAY_COMMANDS))
          return unauthorized('The customer display cannot do that.');
        return host!.dispatch(name as string, input);
      }
      if (!window || event.sender !== window.webContents)
        return unauthorized('Commands are only accepted from the app window.');
      return host!.dispatch(typeof name === 'string' ? name : '', input);
    });
    host.subscribe((hostEvent) => {
      if (window && !window.isDestroyed()) window.webContents.send('pos:event', hostEvent);
      // The display hears only what it shows.
      if (hostEvent.type === 'display' && displayWindow && !displayWindow.isDestroyed())
        displayWindow.webContents.send('pos:event', hostEvent);
    });

    window = new BrowserWindow({
      ...CASHIER_WINDOW,
      show: false,
      title: 'POS Terminal Companion',
      webPreferences: secureWebPreferences(preloadPath),
    });
    window.once('ready-to-show', () => window?.show());
    // Closing the cashier's window closes the app, customer display included.
    window.on('closed', () => {
      window = null;
      displayWindow?.close();
    });
    await window.loadURL(APP_ENTRY_URL);
    await placeCustomerDisplay();
    screen.on('display-added', () => void placeCustomerDisplay());
    screen.on('display-removed', () => void placeCustomerDisplay());
  });

  // The customer display alone does not keep the app running.
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (event) => {
    if (!host) return;
    event.preventDefault();
    const closing = host;
    host = null;
    void closing.close().finally(() => app.exit(0));
  });
}
