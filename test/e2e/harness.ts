/**
 * End-to-end harness: the real host in web mode (the built app, `node out/main/web.js`) in its own
 * data directory, driven through the real renderer in Debian's Chromium with playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { CHROMIUM_PATH, hasTool } from '../support/tools';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const WEB_ENTRY = join(ROOT, 'out/main/web.js');

/** Whether the e2e suite can run here; in CI a missing browser or build is a failure, not a skip. */
export function e2eAvailable(): boolean {
  const browser = hasTool(CHROMIUM_PATH);
  if (!existsSync(WEB_ENTRY)) {
    if (process.env.CI) throw new Error('out/main/web.js is missing: `npm test` builds the app first (npm run build)');
    return false;
  }
  return browser;
}

export interface WebApp {
  url: string;
  origin: string;
  token: string;
  /** The customer display's page (its own token). */
  displayUrl: string;
  sandboxUrl: string;
  dataDir: string;
  process: ChildProcess;
  stderr: string[];
  close(): Promise<void>;
}

/**
 * `entry`: the built script to run (default `out/main/web.js`; `npm start`'s is `out/main/launch.js`).
 * `dataDir`: run on this data directory (a restart of an earlier app), which the caller removes;
 * default a new one, removed by close(). `keptPort`: no `--port`, so the app listens where it did at
 * its last start on that directory (default `--port 0`, a free port).
 */
export async function startWebApp(
  options: { args?: string[]; env?: NodeJS.ProcessEnv; entry?: string; dataDir?: string; keptPort?: boolean } = {},
): Promise<WebApp> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pos-e2e-'));
  const child = spawn(
    process.execPath,
    [
      options.entry ?? WEB_ENTRY,
      ...(options.keptPort ? [] : ['--port', '0']),
      '--data-dir',
      dataDir,
      '--no-discovery',
      '--json',
      ...(options.args ?? []),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not start in time: ${stderr.join('')}`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited (${code}): ${stderr.join('')}`));
    });
  });
  let info: { url: string; origin: string; token: string; display_url: string; sandbox_url: string };
  try {
    info = JSON.parse(line) as typeof info;
  } catch {
    // Not the JSON line --json promises first: stop the app, say what came instead.
    child.kill('SIGKILL');
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`the first line of standard output is not JSON: ${line}`);
  }
  return {
    url: info.url,
    origin: info.origin,
    token: info.token,
    displayUrl: info.display_url,
    sandboxUrl: info.sandbox_url,
    dataDir,
    process: child,
    stderr,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `scrollbars`: show scrollbars as a desktop browser does. Playwright hides them by default
 * (`--hide-scrollbars`), and a hidden scrollbar takes no width: a layout check needs them shown.
 */
export async function launchBrowser(options: { scrollbars?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...(options.scrollbars ? { ignoreDefaultArgs: ['--hide-scrollbars'] } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh page on the app, with every bridge message recorded (for the secret-leak check).
 * `bypassCSP`: let the test inject scripts of its own (axe-core, in the accessibility check) past
 * the page's Content-Security-Policy, which allows only the app's own script files. `viewport`:
 * the window's size (default 1280×800).
 */
export async function openApp(
  browser: Browser,
  app: WebApp,
  options: { bypassCSP?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; frames: string[] }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.bypassCSP ? { bypassCSP: true } : {}),
  });
  const page = await context.newPage();
  const frames: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => frames.push(String(f.payload)));
    ws.on('framesent', (f) => frames.push(String(f.payload)));
  });
  await page.goto(app.url);
  return { context, page, frames };
}

/**
 * The cashier's page (1280×800) with the test between it and the host's bridge (see tapBridge),
 * opened and showing the app (its TEST MODE badge).
 */
export async function openTappedApp(
  browser: Browser,
  app: WebApp,
  timeoutMs = 15_000,
): Promise<{ page: Page; tap: BridgeTap }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const tap = await tapBridge(page);
  await page.goto(app.url);
  await page.getByText('TEST MODE').first().waitFor({ timeout: timeoutMs });
  return { page, tap };
}

/** The page's side of the bridge, between the page and the real host (see tapBridge). */
export interface BridgeTap {
  /** Closes the page's bridge sockets now, as a dropped network would; the page reconnects. */
  drop(): void;
  /** Drops the bridge and refuses every reconnect until restore(): the host out of reach. */
  cut(): void;
  restore(): void;
  /** Answers the page's next `name` command with this error instead of passing it to the host. */
  failNext(name: string, message: string): void;
  /** How many `failNext` answers are still to be given. */
  readonly failuresLeft: number;
  /**
   * Holds the page's next `name` command on its way to the host until the returned function is
   * called: a slow gateway, without a timer.
   */
  holdNext(name: string): () => void;
  /** Resolves once the page's next `name` command has gone on to the host. */
  nextSent(name: string): Promise<void>;
}

/**
 * Puts the test between a page and the real host's bridge (playwright's routeWebSocket): every
 * frame passes through unchanged unless the test cuts the connection or fails a command. Call it
 * before the page opens the app.
 */
export async function tapBridge(page: Page): Promise<BridgeTap> {
  let cut = false;
  const open = new Set<WebSocketRoute>();
  const failures: { name: string; message: string }[] = [];
  const holds: { name: string; held: (() => void) | null; released: boolean }[] = [];
  const watches: { name: string; sent: () => void }[] = [];
  const passOn = (server: WebSocketRoute, message: string | Buffer, name: string) => {
    server.send(message);
    const watch = watches.findIndex((w) => w.name === name);
    if (watch >= 0) watches.splice(watch, 1)[0]!.sent();
  };
  await page.routeWebSocket(/\/bridge$/, (ws) => {
    if (cut) {
      ws.close({ code: 4000, reason: 'cut by the test' });
      return;
    }
    open.add(ws);
    const server = ws.connectToServer();
    ws.onClose((code, reason) => {
      open.delete(ws);
      server.close({ code, reason });
    });
    server.onClose((code, reason) => {
      open.delete(ws);
      ws.close({ code, reason });
    });
    server.onMessage((message) => ws.send(message));
    ws.onMessage((message) => {
      const invoke = JSON.parse(String(message)) as { id: number; name: string };
      const hold = holds.find((h) => h.name === invoke.name && h.held === null && !h.released);
      if (hold) {
        hold.held = () => passOn(server, message, invoke.name);
        return;
      }
      const failure = failures.findIndex((f) => f.name === invoke.name);
      if (failure < 0) return passOn(server, message, invoke.name);
      const text = failures.splice(failure, 1)[0]!.message;
      ws.send(
        JSON.stringify({
          type: 'result',
          id: invoke.id,
          result: { ok: false, error: { code: 'internal', message: text } },
        }),
      );
    });
  });
  const drop = () => {
    for (const ws of [...open]) void ws.close({ code: 4000, reason: 'dropped by the test' });
    open.clear();
  };
  return {
    drop,
    cut() {
      cut = true;
      drop();
    },
    restore() {
      cut = false;
    },
    failNext(name, message) {
      failures.push({ name, message });
    },
    get failuresLeft() {
      return failures.length;
    },
    holdNext(name) {
      const hold: (typeof holds)[number] = { name, held: null, released: false };
      holds.push(hold);
      return () => {
        hold.released = true;
        hold.held?.();
      };
    },
    nextSent(name) {
      return new Promise((sent) => watches.push({ name, sent }));
    },
  };
}

/**
 * Every credential of the embedded sandbox, read from its database, PlutoPay's secret key first:
 * what must never reach the page. (PayPlug's key and Plural's client secret, signature key and
 * tokens are in their emulators' tables.)
 */
export async function sandboxSecrets(app: WebApp): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${app.dataDir}/sandbox.db`, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const values: { table: string; value: string }[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        const secretRow = name === 'plural_meta' && /secret|signature/.test(String(row.key));
        for (const value of Object.values(row)) {
          if (typeof value !== 'string') continue;
          if (/^(sk|pk)_test_|^whsec_/.test(value) || (secretRow && value.length >= 16))
            values.push({ table: name, value });
        }
      }
      if (name === 'plural_tokens')
        for (const row of db.prepare('SELECT * FROM plural_tokens').all() as Record<string, unknown>[])
          for (const value of Object.values(row))
            if (typeof value === 'string' && value.length >= 20) values.push({ table: name, value });
    }
    const first = (v: { table: string; value: string }) =>
      v.value.startsWith('sk_') && !/^(payplug|plural)_/.test(v.table);
    return values.sort((a, b) => Number(first(b)) - Number(first(a))).map((v) => v.value);
  } finally {
    db.close();
  }
}
