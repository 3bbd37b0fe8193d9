/**
 * The Electron window's security rules as plain functions and data, so they are tested in Node
 * without the Electron runtime (this file must not import 'electron').
 */
import { extname, isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { securityHeaders } from '../core/security-headers';
import { CONTENT_TYPES, contentSecurityPolicy } from '../web/renderer-content';

export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
/** The customer display: the same renderer, told by its fragment to show the customer's screen. */
export const DISPLAY_ENTRY_URL = `${APP_ORIGIN}/index.html#display`;

/** Same policy as web mode, minus WebSocket: the Electron renderer talks to the host over IPC. */
export const ELECTRON_CSP = contentSecurityPolicy("'none'");

/**
 * The headers of a bundled file served on app://: its type and the same defensive headers web mode
 * sends (nosniff, no framing, no referrer, same-origin opener and resources), with Electron's policy.
 */
export function appFileHeaders(file: string): Record<string, string> {
  return {
    ...securityHeaders(ELECTRON_CSP),
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
  };
}

/** The BrowserWindow's webPreferences: isolated, sandboxed, no Node, nothing optional switched on. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    enableBlinkFeatures: '',
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: process.env.POS_DEVTOOLS === '1',
  } as const;
}

/** True only for our own bundled pages. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** will-navigate / will-redirect: stay on our own pages; everything else is refused. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/**
 * The events that ask whether a navigation may go ahead, each guarded by guardNavigation:
 * will-navigate fires for the top frame only, so a frame inside the page led elsewhere (a framed
 * app:// page, or one the CSP missed) is caught by will-frame-navigate, and a server's redirect of
 * either by will-redirect. Electron passes each listener the navigation's details (its URL) first.
 */
export const NAVIGATION_EVENTS = ['will-navigate', 'will-frame-navigate', 'will-redirect'] as const;

/** A navigation's listener: our own pages only, in any frame. */
export function guardNavigation(details: { url: string; preventDefault(): void }): void {
  if (!isAllowedNavigation(details.url)) details.preventDefault();
}

/** setWindowOpenHandler: no new windows, ever. */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/** setPermissionRequestHandler / setPermissionCheckHandler: the cashier UI needs no permission. */
export function permissionDecision(_permission: string): boolean {
  return false;
}

/** IPC guard: only our top frame on our own origin may send commands. */
export function isTrustedSender(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  return isMainFrame && frameUrl !== undefined && isAppUrl(frameUrl);
}

/** The commands the customer display's window may send (every other one is refused). */
export function isDisplayCommand(name: unknown, allowed: readonly string[]): boolean {
  return typeof name === 'string' && allowed.includes(name);
}

export interface ScreenInfo {
  id: number;
  bounds: { x: number; y: number; width: number; height: number };
}

/**
 * The screen the customer display goes on: the first one that is not the cashier's (primary)
 * screen, or null when there is only one (then the cashier types the tip, and no window opens).
 */
export function customerScreen(screens: readonly ScreenInfo[], primaryId: number): ScreenInfo | null {
  return screens.find((screen) => screen.id !== primaryId) ?? null;
}

/**
 * Maps an app:// URL to a file inside the renderer folder, or null (outside it, or malformed).
 * The custom protocol is the only way files reach the window: no file:// access at all.
 */
export function resolveAppFile(url: string, rendererDir: string): string | null {
  let pathname: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const root = resolve(rendererDir);
  const file = normalize(resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`));
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return null;
  return file;
}
