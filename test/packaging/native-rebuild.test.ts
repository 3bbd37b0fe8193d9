/**
 * Packaging rebuilds for Electron's ABI only the native module that needs it (better-sqlite3), through
 * the beforePack hook; usb and serialport ship Node-API prebuilds and are never rebuilt (issue 9,
 * item 12). Nothing here downloads anything: the hook runs with an injected rebuild, and the real
 * @electron/rebuild step, which needs Electron's headers or a published Electron build, is left to a
 * machine that can fetch them (docs/packaging.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { resolveFunction } from 'app-builder-lib/out/util/resolve';
import { DebugLogger } from 'builder-util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ELECTRON_ABI_MODULES,
  NODE_API_MODULES,
  bindingKind,
  planRebuild,
  rebuildForElectron,
  type PackContext,
  type RebuildPlan,
} from '../../packaging/rebuild-native.mjs';

const root = join(import.meta.dirname, '..', '..');
const nodeModules = join(root, 'node_modules');
const HOOK = './packaging/rebuild-native.mjs';
const ARCHS = { ia32: 0, x64: 1, armv7l: 2, arm64: 3 } as const;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function context(over: { platform?: string; arch?: number; appDir?: string } = {}): PackContext {
  const appDir = over.appDir ?? '/src/app';
  return {
    electronPlatformName: over.platform ?? 'linux',
    arch: over.arch ?? ARCHS.x64,
    packager: { projectDir: appDir, info: { appDir, framework: { version: '40.10.2' } } },
  };
}

/** A project folder holding what @electron/rebuild leaves in better-sqlite3 after a build. */
function fakeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rebuild-native-'));
  dirs.push(dir);
  return dir;
}

function writeBuild(appDir: string, meta: string, binary: Buffer): void {
  const release = join(appDir, 'node_modules', 'better-sqlite3', 'build', 'Release');
  mkdirSync(release, { recursive: true });
  writeFileSync(join(release, '.forge-meta'), meta);
  writeFileSync(join(release, 'better_sqlite3.node'), binary);
}

/** Bytes naming the symbol an ABI-specific addon built for `abi` exports (as in a real binary). */
const abiBinary = (abi: number) => Buffer.from(`\x7fELF\0\0node_register_module_v${abi}\0\0`, 'latin1');

describe('the beforePack hook plans one rebuild: better-sqlite3', () => {
  it('rebuilds better-sqlite3 alone, for the Electron that electron-builder packs', () => {
    expect(Object.keys(ELECTRON_ABI_MODULES)).toEqual(['better-sqlite3']);
    expect(planRebuild(context({ appDir: '/src/app' }))).toEqual({
      buildPath: '/src/app',
      projectRootPath: '/src/app',
      electronVersion: '40.10.2',
      platform: 'linux',
      arch: 'x64',
      onlyModules: ['better-sqlite3'],
      force: true,
      buildFromSource: false,
      disablePreGypCopy: true,
      mode: 'sequential',
    });
  });

  it('never selects usb or serialport, for any platform and arch', () => {
    expect(NODE_API_MODULES).toEqual(['usb', '@serialport/bindings-cpp']);
    const platforms = { linux: 'linux', win32: 'win32', darwin: 'darwin', mas: 'darwin' };
    for (const [electronPlatformName, platform] of Object.entries(platforms)) {
      for (const [archName, arch] of Object.entries(ARCHS)) {
        const plan = planRebuild(context({ platform: electronPlatformName, arch }));
        expect(plan).toMatchObject({ platform, arch: archName, onlyModules: ['better-sqlite3'] });
        for (const name of NODE_API_MODULES) expect(plan.onlyModules).not.toContain(name);
      }
    }
  });

  it('refuses an arch it cannot name instead of rebuilding for the wrong one', () => {
    expect(() => planRebuild(context({ arch: 4 }))).toThrow(/unsupported arch 4/);
  });
});

describe('the beforePack hook runs the plan and checks what it built', () => {
  it('passes exactly the plan to the rebuild and accepts a binary for the ABI it was built for', async () => {
    const appDir = fakeProject();
    const calls: RebuildPlan[] = [];
    const lines: string[] = [];
    const plan = await rebuildForElectron(context({ appDir }), {
      rebuild: async (p) => {
        calls.push(p);
        writeBuild(appDir, 'linux--x64--143', abiBinary(143)); // what @electron/rebuild leaves behind
      },
      log: (line) => lines.push(line),
    });
    expect(calls).toEqual([plan]);
    expect(plan.onlyModules).toEqual(['better-sqlite3']);
    expect(lines.join('\n')).toMatch(/rebuilding better-sqlite3 for Electron 40\.10\.2 \(linux-x64\)/);
    expect(lines.join('\n')).toMatch(/better-sqlite3 built for Electron's ABI 143/);
  });

  it("fails when the rebuilt binary is for another ABI (node-gyp given Node's headers)", async () => {
    const appDir = fakeProject();
    // This machine's own better-sqlite3: built for the Node running the tests.
    const nodeBuild = readFileSync(join(nodeModules, 'better-sqlite3', ELECTRON_ABI_MODULES['better-sqlite3']!));
    const nodeAbi = bindingKind(nodeBuild);
    expect(nodeAbi.kind).toBe('abi');
    const run = rebuildForElectron(context({ appDir }), {
      rebuild: async () => writeBuild(appDir, 'linux--x64--143', nodeBuild),
      log: () => undefined,
    });
    await expect(run).rejects.toThrow(/is ABI \d+, but Electron needs ABI 143 .*nodedir/);
  });

  it('fails when the rebuild left no record of a build', async () => {
    const appDir = fakeProject();
    const run = rebuildForElectron(context({ appDir }), { rebuild: async () => undefined, log: () => undefined });
    await expect(run).rejects.toThrow(/no build\/Release\/\.forge-meta/);
  });

  it('passes a failed rebuild on to electron-builder', async () => {
    const appDir = fakeProject();
    const run = rebuildForElectron(context({ appDir }), {
      rebuild: async () => {
        throw new Error("node-gyp failed to rebuild 'better-sqlite3'");
      },
      log: () => undefined,
    });
    await expect(run).rejects.toThrow(/node-gyp failed to rebuild/);
  });
});

describe('usb and serialport ship Node-API prebuilds, so they need no rebuild', () => {
  const modules = NODE_API_MODULES.map((name) => ({ name, dir: join(nodeModules, ...name.split('/')) }));

  it.each(modules)('$name declares Node-API and ships N-API binaries for Linux, macOS and Windows', ({ dir }) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      binary?: { napi_versions?: number[] };
    };
    expect(pkg.binary?.napi_versions?.length).toBeGreaterThan(0);
    for (const target of ['linux-x64', 'darwin-x64+arm64', 'win32-x64']) {
      const files = readdirSync(join(dir, 'prebuilds', target)).filter((f) => f.endsWith('.node'));
      expect(files.length, target).toBeGreaterThan(0);
      for (const file of files) {
        expect(bindingKind(readFileSync(join(dir, 'prebuilds', target, file))), `${target}/${file}`).toEqual({
          kind: 'napi',
        });
      }
    }
  });

  it.each(modules)("$name loads this platform's prebuild in plain Node", ({ name, dir }) => {
    // A child process: loading usb starts libusb, which the test worker need not carry.
    const script = `
      const { createRequire } = require('node:module');
      const req = createRequire(${JSON.stringify(join(dir, 'package.json'))});
      const binding = req('node-gyp-build').path(${JSON.stringify(dir)});
      require(binding);
      require(${JSON.stringify(name)});
      process.stdout.write(binding);`;
    const binding = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    // The binary node-gyp-build picks (what the app loads) is the shipped prebuild, not a local build.
    expect(relative(dir, binding).split(sep)[0]).toBe('prebuilds');
    const [platform, archs = ''] = dirname(relative(join(dir, 'prebuilds'), binding)).split('-');
    expect(platform).toBe(process.platform);
    expect(archs.split('+')).toContain(process.arch); // darwin's is one universal binary: x64+arm64
    expect(bindingKind(readFileSync(binding))).toEqual({ kind: 'napi' });
  });

  it('better-sqlite3, by contrast, is bound to one ABI: the reason it alone is rebuilt', () => {
    const file = join(nodeModules, 'better-sqlite3', ELECTRON_ABI_MODULES['better-sqlite3']!);
    expect(existsSync(file)).toBe(true);
    expect(bindingKind(readFileSync(file)).kind).toBe('abi');
  });
});

describe('electron-builder.yml, as electron-builder reads it', () => {
  const load = async () => {
    const config = await getConfig(root, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    return config;
  };

  it('hands the rebuild to the beforePack hook, which electron-builder can load', async () => {
    const config = await load();
    expect(config.npmRebuild).toBe(false);
    expect(config.beforePack).toBe(HOOK);
    // A beforeBuild hook that resolves false would also keep node_modules out of the app.
    expect(config.beforeBuild ?? null).toBeNull();
    const hook = await resolveFunction<unknown>(undefined, HOOK, 'beforePack', root);
    expect(typeof hook).toBe('function');
    expect((hook as { name: string }).name).toBe('beforePack');
  });

  it('keeps every package electron-builder would depend on, libsecret above all, in the .deb', async () => {
    // A depends list replaces electron-builder's own (found by a reviewer: libsecret-1-0 was lost,
    // so safeStorage had no keyring on a minimal till and no key could be stored).
    const config = await load();
    const fpm = (await import('app-builder-lib/out/targets/FpmTarget')) as unknown as {
      default: { prototype: { getDefaultDepends(target: string): string[] } };
    };
    const defaults = fpm.default.prototype.getDefaultDepends.call(null, 'deb');
    expect(defaults).toContain('libsecret-1-0');
    expect(config.deb?.depends).toEqual(expect.arrayContaining(defaults));
  });

  it('keeps all three native modules unpacked from the asar', async () => {
    const config = await load();
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining([
        '**/*.node',
        '**/node_modules/better-sqlite3/**',
        '**/node_modules/@serialport/bindings-cpp/**',
        '**/node_modules/usb/**',
      ]),
    );
  });
});
