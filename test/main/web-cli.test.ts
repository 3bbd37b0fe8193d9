/**
 * The web CLI's gateway flags: `--gateway` picks the till's gateway (the embedded sandbox's emulator
 * of it in test mode), `--gateway-url` points it at an external one with credentials taken from the
 * environment only.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../main/store/data-dir-lock';
import { watchNpmParent } from '../../common/npm-parent';
import { underNpmShell } from '../support/npm-shell';
import { launchGateway, parseWebArgs, runWebMode, WEB_USAGE } from '../../main/web/cli';
import { createHost } from '../../main/host/host';
import { readerPortsFromEnv } from '../../main/host/app-host';

describe('web CLI gateway flags', () => {
  it('keeps the defaults without them', () => {
    const options = parseWebArgs(['--port', '0'], '/static', { POS_DATA_DIR: '/tmp/till' });
    expect(options).toMatchObject({ gateway: null, gatewayUrl: null, dataDir: '/tmp/till' });
  });

  it('watches the ports POS_READER_PORTS names (as the desktop app does), then those given with --reader-port', () => {
    const env = { POS_DATA_DIR: '/tmp/till', POS_READER_PORTS: ' /dev/pts/7 , ,/dev/pts/8,' };
    expect(readerPortsFromEnv(env)).toEqual(['/dev/pts/7', '/dev/pts/8']);
    expect(parseWebArgs(['--reader-port', '/dev/ttyS0'], '/static', env).readerPorts).toEqual([
      '/dev/pts/7',
      '/dev/pts/8',
      '/dev/ttyS0',
    ]);
    expect(readerPortsFromEnv({})).toEqual([]);
  });

  it('takes a shorter settle window from POS_TEST_SETTLE_WINDOW_MS only (tests), within PayPlug’s own', () => {
    expect(parseWebArgs([], '/static', {}).settleWindowMs).toBeNull();
    expect(parseWebArgs([], '/static', { POS_TEST_SETTLE_WINDOW_MS: '4000' }).settleWindowMs).toBe(4_000);
    for (const bad of ['-1', '4s', '1e3', '120001'])
      expect(() => parseWebArgs([], '/static', { POS_TEST_SETTLE_WINDOW_MS: bad })).toThrow(
        /POS_TEST_SETTLE_WINDOW_MS must be a whole number of ms from 0 to 120000/,
      );
    expect(WEB_USAGE).toMatch(/POS_TEST_SETTLE_WINDOW_MS=N/);
  });

  it('takes --gateway plutopay|payplug|plural and refuses anything else', () => {
    for (const name of ['plutopay', 'payplug', 'plural'] as const)
      expect(parseWebArgs(['--gateway', name], '/static', {}).gateway).toBe(name);
    expect(() => parseWebArgs(['--gateway', 'stripe'], '/static', {})).toThrow(/plutopay, payplug, plural/);
    expect(() => parseWebArgs(['--gateway'], '/static', {})).toThrow(/needs a value/);
  });

  it('--help asks for the usage, which names every flag; a wrong flag or URL says what is wrong', () => {
    expect(parseWebArgs(['--help'], '/static', {}).help).toBe(true);
    expect(parseWebArgs(['-h'], '/static', {}).help).toBe(true);
    expect(parseWebArgs([], '/static', {}).help).toBe(false);
    // Every flag the usage lists is one the parser takes.
    const flags = [...WEB_USAGE.matchAll(/^ {2}(--[a-z-]+)( [A-Z]+)?/gm)].map((m) => [m[1]!, m[2] ? 'x' : null]);
    expect(flags.map(([flag]) => flag)).toEqual([
      '--port',
      '--data-dir',
      '--reader-port',
      '--no-discovery',
      '--gateway',
      '--gateway-url',
      '--json',
      '--static-dir',
      '--help',
    ]);
    const values: Record<string, string> = {
      '--port': '0',
      '--gateway': 'plural',
      '--gateway-url': 'http://127.0.0.1:1',
    };
    for (const [flag, takesValue] of flags)
      expect(() => parseWebArgs(takesValue ? [flag!, values[flag!] ?? '/x'] : [flag!], '/static', {})).not.toThrow();
    expect(() => parseWebArgs(['--verbose'], '/static', {})).toThrow(/^unknown option --verbose$/);
    // An empty port (an unset variable) would quietly listen anywhere: refused, like any non-number.
    for (const bad of ['', ' ', '0x50', '1e3', '-1', '65536', '1.5'])
      expect(() => parseWebArgs(['--port', bad], '/static', {})).toThrow(
        '--port must be a whole number from 0 to 65535',
      );
    // An empty data directory (an unset variable) would keep nothing on disk: refused.
    for (const empty of ['', '  '])
      expect(() => parseWebArgs(['--data-dir', empty], '/static', {})).toThrow(/--data-dir needs a directory/);
    expect(() => parseWebArgs(['--gateway-url', '127.0.0.1:4242'], '/static', {})).toThrow(
      '--gateway-url must be an http(s) URL such as http://127.0.0.1:4242, not "127.0.0.1:4242"',
    );
    expect(() => parseWebArgs(['--gateway-url', 'not a url'], '/static', {})).toThrow(/--gateway-url must be/);
  });

  it('never takes the next option as a value (an unset variable), and names the bad value', () => {
    // `--data-dir $DIR --json` with DIR unset used to run the till in a directory named "--json".
    for (const flag of ['--port', '--data-dir', '--reader-port', '--static-dir', '--gateway', '--gateway-url'])
      expect(() => parseWebArgs([flag, '--json'], '/static', {})).toThrow(
        `${flag} needs a value, got the option --json (an unset variable?); use ${flag}=VALUE if it really starts with --`,
      );
    expect(() => parseWebArgs(['--port', 'abc'], '/static', {})).toThrow(
      '--port must be a whole number from 0 to 65535, got "abc"',
    );
    expect(() => parseWebArgs(['--gateway', 'stripe'], '/static', {})).toThrow(
      '--gateway must be one of plutopay, payplug, plural, got "stripe"',
    );
    // --flag=value, as the sandbox takes it.
    expect(
      parseWebArgs(['--port=8080', '--data-dir=--odd', '--gateway=payplug', '--reader-port=/dev/pts/7'], '/static', {}),
    ).toMatchObject({ port: 8080, dataDir: '--odd', gateway: 'payplug', readerPorts: ['/dev/pts/7'] });
    expect(() => parseWebArgs(['--json=yes'], '/static', {})).toThrow('--json takes no value, got "--json=yes"');
    expect(() => parseWebArgs(['--verbose=1'], '/static', {})).toThrow(/^unknown option --verbose=1$/);
  });

  it('a port in use says so and what to do, and leaves the data directory free', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'web-cli-'));
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const staticDir = join(dataDir, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    try {
      const options = parseWebArgs(['--port', String(port), '--data-dir', dataDir, '--no-discovery'], staticDir, {});
      await expect(runWebMode(options)).rejects.toThrow(
        `port ${port} on 127.0.0.1 is in use; choose another with --port N, or --port 0 for a free one`,
      );
      lockDataDir(dataDir).release();
    } finally {
      blocker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a --static-dir without a built screen stops the start, before the till runs', async () => {
    // It used to start and print its URL, and the browser got "Not found" from it.
    const dataDir = mkdtempSync(join(tmpdir(), 'web-cli-'));
    try {
      for (const staticDir of [join(dataDir, 'missing'), dataDir]) {
        const options = parseWebArgs(['--port', '0', '--data-dir', join(dataDir, 'till'), '--no-discovery'], '/x', {});
        await expect(runWebMode({ ...options, staticDir })).rejects.toThrow(
          `${staticDir} holds no built screen (index.html): build the app first (npm run build), or give --static-dir the directory of a built renderer`,
        );
      }
      // Nothing was started: the data directory was not even made.
      expect(existsSync(join(dataDir, 'till'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reads an external gateway’s credentials from the environment, never from flags', () => {
    const url = 'http://127.0.0.1:4242/payplug';
    expect(launchGateway('payplug', url, { POS_SECRET_KEY: 'sk_test_abcdefgh' })).toEqual({
      name: 'payplug',
      url,
      secretKey: 'sk_test_abcdefgh',
    });
    expect(launchGateway('plutopay', url, { POS_SECRET_KEY: 'sk_test_abcdefgh' })).toMatchObject({
      name: 'plutopay',
    });
    expect(() => launchGateway('payplug', url, {})).toThrow(/POS_SECRET_KEY/);
    const plural = {
      POS_PLURAL_CLIENT_ID: 'client-1',
      POS_PLURAL_CLIENT_SECRET: 'secret-1',
      POS_PLURAL_SIGNATURE_KEY: 'abcdef0123',
    };
    expect(launchGateway('plural', url, plural)).toEqual({
      name: 'plural',
      url,
      clientId: 'client-1',
      clientSecret: 'secret-1',
      signatureKey: 'abcdef0123',
    });
    expect(() => launchGateway('plural', url, { ...plural, POS_PLURAL_CLIENT_SECRET: '' })).toThrow(
      /POS_PLURAL_CLIENT_SECRET/,
    );
  });

  it('checks the credentials from the environment as Settings checks typed ones', async () => {
    // Found by an attack on the till: the launch's credentials went into Settings unchecked, so a
    // Plural client secret of 3 characters (which the developer log cannot mask by value) or a
    // malformed key was stored and used.
    const url = 'http://127.0.0.1:9/plural';
    const signatureKey = '0123456789abcdef0123456789abcdef';
    await expect(
      createHost({
        dataDir: null,
        gateway: { name: 'plural', url, clientId: 'client-1', clientSecret: 'abc', signatureKey },
      }),
    ).rejects.toThrow(/pluralClientSecret: client secret: at least 8 characters/);
    await expect(
      createHost({ dataDir: null, gateway: { name: 'payplug', url, secretKey: 'sk_test_abc def!' } }),
    ).rejects.toThrow(/payplugSecretKey/);
    await expect(
      createHost({ dataDir: null, gateway: { name: 'plutopay', url: `${url}?x=1`, secretKey: 'sk_test_abcdefgh' } }),
    ).rejects.toThrow(/apiBaseUrl/);
  });
});

const WEB_JS = join(__dirname, '../../out/main/web.js');

describe.skipIf(!existsSync(WEB_JS))('web mode’s output', () => {
  it('a reader that stops reading its output does not stop the till', async () => {
    // `npm run web | head -1`: the next write got EPIPE, an unhandled 'error' event, and the host died
    // mid-start with a stack trace.
    const dataDir = mkdtempSync(join(tmpdir(), 'web-cli-pipe-'));
    const child = spawn(process.execPath, [WEB_JS, '--port', '0', '--no-discovery', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.destroy();
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Up and holding its data directory, a while after it printed (to no one).
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && existsSync(join(dataDir, 'sandbox.db.lock')) === false)
        await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(child.exitCode, stderr).toBeNull();
      expect(() => lockDataDir(dataDir)).toThrow(/already running/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).not.toMatch(/EPIPE/);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('web mode started by npm', () => {
  it('watches its parent only under npm, and says when it is gone', async () => {
    let gone = 0;
    // Not under npm: run directly (or with nohup), it outlives its parent.
    watchNpmParent(() => gone++, {}, 2 ** 22 + 1, 5);
    const stop = watchNpmParent(() => gone++, { npm_lifecycle_event: 'web' }, process.ppid, 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(gone).toBe(0);
    stop();
    // A pid above the kernel's maximum is never a running process.
    watchNpmParent(() => gone++, { npm_lifecycle_event: 'web' }, 2 ** 22 + 1, 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(gone).toBe(1);
  });

  it.skipIf(process.platform === 'win32' || !existsSync(WEB_JS))(
    'stops cleanly when npm’s shell goes away (SIGTERM to npm alone), freeing the data directory',
    async () => {
      // npm passes a SIGTERM to its shell, which dies without passing it on: the host used to run on,
      // orphaned, and the next start on the directory was refused.
      const dataDir = mkdtempSync(join(tmpdir(), 'web-cli-npm-'));
      const run = await underNpmShell(
        `"${process.execPath}" "${WEB_JS}" --port 0 --no-discovery --json --data-dir "${dataDir}"`,
        'web',
      );
      try {
        expect(JSON.parse(run.firstLine)).toMatchObject({ gateway: 'plutopay' });
        await run.npmGone();
        expect(run.stderr()).toContain('web mode: npm, which started it, has stopped; closing.');
        // The journal is closed and the directory free for the next start.
        lockDataDir(dataDir).release();
        expect(existsSync(join(dataDir, 'journal.db-wal'))).toBe(false);
      } finally {
        run.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    20_000,
  );
});
