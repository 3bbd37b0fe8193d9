// electron-builder's `beforePack` hook (electron-builder.yml): rebuilds for Electron's ABI the native
// modules that need it, and only those, before electron-builder copies node_modules into the app.
//
// better-sqlite3 is built against V8 and Node's C++ API: its binary loads only in the runtime whose ABI
// (NODE_MODULE_VERSION) it was built for, so the app needs a build for Electron's. usb and
// @serialport/bindings-cpp are Node-API modules that ship prebuilt binaries (prebuilds/), which load in
// Node and Electron alike. electron-builder's own rebuild (npmRebuild) compiles those two from source
// anyway, because @electron/rebuild does not recognise their prebuilds' file names (linux-x64 ones are
// libc-tagged, darwin's is one universal binary), and that needs a compiler and, for usb, libudev's
// headers. So npmRebuild is off and this hook rebuilds better-sqlite3 alone. See docs/packaging.md.
//
// It runs inside electron-builder, which loads it as it is: plain JavaScript, no build step.
// Types for the tests: rebuild-native.d.mts.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Native modules built against the runtime's ABI, each with the binary it loads (under its folder). */
export const ELECTRON_ABI_MODULES = Object.freeze({ 'better-sqlite3': 'build/Release/better_sqlite3.node' });

/** Node-API modules whose prebuilt binaries ship as they are: never rebuilt. */
export const NODE_API_MODULES = Object.freeze(['usb', '@serialport/bindings-cpp']);

// electron-builder's Arch enum, by value; 4 (universal) never reaches beforePack: a universal macOS app
// is packed once per arch and then merged.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64'];

/** The options the hook passes to @electron/rebuild's rebuild() for one platform and arch. */
export function planRebuild(context) {
  const arch = ARCH_NAMES[context.arch];
  if (arch === undefined) throw new Error(`rebuild-native: unsupported arch ${String(context.arch)}`);
  const { packager, electronPlatformName } = context;
  return {
    buildPath: packager.info.appDir,
    projectRootPath: packager.projectDir,
    electronVersion: packager.info.framework.version,
    platform: electronPlatformName === 'mas' ? 'darwin' : electronPlatformName,
    arch,
    onlyModules: Object.keys(ELECTRON_ABI_MODULES),
    // Always rebuild: a marker left by an earlier Electron build survives `npm rebuild better-sqlite3`
    // (which puts a build for Node back), and @electron/rebuild would then skip the module.
    force: true,
    // Let prebuild-install fetch better-sqlite3's published build for this Electron first; compile
    // (node-gyp, Electron's headers) only when there is none.
    buildFromSource: false,
    disablePreGypCopy: true,
    mode: 'sequential',
  };
}

/**
 * What a native module's binary was built for, read from the symbols it names: an ABI-specific module
 * exports node_register_module_v<ABI>; a Node-API one registers through napi_register_module_v1 or
 * napi_module_register (the names are plain strings in ELF, Mach-O and PE files alike).
 */
export function bindingKind(binary) {
  const text = binary.toString('latin1');
  const abi = /node_register_module_v(\d+)/.exec(text);
  if (abi) return { kind: 'abi', abi: Number(abi[1]) };
  if (/napi_register_module_v1|napi_module_register/.test(text)) return { kind: 'napi' };
  return { kind: 'unknown' };
}

/**
 * Fails unless the module's binary declares the ABI @electron/rebuild built it for (recorded in
 * build/Release/.forge-meta as platform--arch--ABI). It catches a build silently made against other
 * headers, e.g. when npm's `nodedir` points node-gyp at the local Node's.
 */
export async function verifyElectronBuild(buildPath, name) {
  const dir = path.join(buildPath, 'node_modules', name);
  const binaryPath = path.join(dir, ELECTRON_ABI_MODULES[name]);
  let meta;
  try {
    meta = (await readFile(path.join(dir, 'build', 'Release', '.forge-meta'), 'utf8')).trim();
  } catch {
    throw new Error(`rebuild-native: ${name} has no build/Release/.forge-meta: @electron/rebuild did not build it`);
  }
  const expected = Number(meta.split('--').at(-1));
  const found = bindingKind(await readFile(binaryPath));
  if (found.kind !== 'abi' || found.abi !== expected) {
    const got = found.kind === 'abi' ? `ABI ${found.abi}` : `a ${found.kind} binary`;
    throw new Error(
      `rebuild-native: ${binaryPath} is ${got}, but Electron needs ABI ${expected} (${meta}). ` +
        'Was it compiled against other headers? Check that npm config `nodedir` is unset ' +
        '(`npm config get nodedir`); see docs/packaging.md, Troubleshooting.',
    );
  }
  return expected;
}

// The @electron/rebuild that electron-builder itself uses (a dependency of app-builder-lib).
async function electronRebuild(options) {
  const require = createRequire(import.meta.url);
  const builderLib = require.resolve('app-builder-lib/package.json');
  const entry = createRequire(builderLib).resolve('@electron/rebuild');
  const { rebuild } = await import(pathToFileURL(entry).href);
  await rebuild(options);
}

/** Rebuilds (through `rebuild`, @electron/rebuild's by default) and verifies; returns the plan it ran. */
export async function rebuildForElectron(context, { rebuild = electronRebuild, log = console.log } = {}) {
  const plan = planRebuild(context);
  log(
    `  • rebuilding ${plan.onlyModules.join(', ')} for Electron ${plan.electronVersion} ` +
      `(${plan.platform}-${plan.arch}); ${NODE_API_MODULES.join(' and ')} keep their Node-API prebuilds`,
  );
  await rebuild(plan);
  for (const name of plan.onlyModules) {
    const abi = await verifyElectronBuild(plan.buildPath, name);
    log(`  • ${name} built for Electron's ABI ${abi}`);
  }
  return plan;
}

export async function beforePack(context) {
  await rebuildForElectron(context);
}

export default beforePack;
