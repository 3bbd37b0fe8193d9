import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// ---- Import boundaries ---------------------------------------------------------------------------
// Which layer may import which:
//
//   renderer/ → common/ only. Values from common/contract/views only; common/contract (the index)
//               and common/contract/commands (zod schemas) as `import type` only. No main/,
//               drivers/, sandbox/, Node built-ins or Node-only packages, electron, zod.
//   drivers/  → common/ only (no main/, renderer/, sandbox/).
//   sandbox/  → common/ only (no main/, renderer/, drivers/).
//   main/     → drivers/ and common/; sandbox/ only from main/host/app-host.ts, which embeds it in
//               test mode; never renderer/.
//   common/   → nothing Node-specific and no other layer. One exception: common/paths.ts (the
//               per-user data directory, needed by main/ and sandbox/ alike) uses node:os and
//               node:path, and only those; the renderer may not import it. common/npm-parent.ts
//               (stopping with npm, needed by the web host, the sandbox and pos-reader alike)
//               imports nothing but reads Node's `process`: the renderer may not import it either.
//   electron  → only in main/app/.        test/ → imported by tests only.
//   main/gateway/<name>/ (a gateway's wire format) → reached only by main/gateway/registry.ts,
//               through the folder's index; never by another gateway's folder.
//   test/ and the root config files may import anything.
//
// Each folder has one block, and the blocks' files do not overlap: for a file matched by two
// blocks, the later one's options would replace the earlier one's, not add to them. Every message
// names its rule ([boundaries/…]) and the allowed direction. test/lint/boundaries.test.ts lints a
// deliberate violation in each folder and a compliant file.
//
// Specifiers are matched as written: a layer is reached by a relative path that climbs out (`../`,
// `../../`…) and names a top-level folder. No folder inside the layers carries one of those names;
// the only module that does is renderer/src/main.tsx, the entry point, which nothing imports (from
// a subfolder of renderer/src, `../main` would be reported as main/). Dynamic import() and require()
// are not checked.

const SOURCES = '**/*.{ts,tsx,mts,cts,js,mjs,cjs}';

/** A relative specifier that climbs (`../`, `../../`…) into the top-level `path`, then `tail`. */
const layer = (path, tail = '(/|$)') => `^(\\.\\./)+${path}${tail}`;

/** Node's built-in modules, `node:`-prefixed or bare (`fs`, `fs/promises`…), except `node:<allowed>`. */
function nodeBuiltins(allowed = []) {
  const prefixed = allowed.length > 0 ? `node:(?!(${allowed.join('|')})$)` : 'node:';
  return `^(${prefixed}|(${builtinModules.join('|')})(/|$))`;
}

/** npm packages that only run in Node (native addons, server sockets): as Node-specific as node:fs. */
const NODE_ONLY_PACKAGES = '^(better-sqlite3|serialport|@serialport/[^/]+|usb|ws)(/|$)';

const ELECTRON = {
  regex: '^electron(/|$)',
  caseSensitive: true,
  message: '[boundaries/electron] electron is imported only in main/app/; everything else runs in plain Node.',
};

const NO_TEST_CODE = {
  regex: layer('test'),
  caseSensitive: true,
  message: '[boundaries/test-code] test/ is imported by tests only; production code never imports it.',
};

/** Patterns for one folder's rule: each [regex, why] reports "[boundaries/<rule>] <direction>; <why>." */
function restrict(rule, direction, entries, extra = {}) {
  return entries.map(([regex, why]) => ({
    regex,
    caseSensitive: true,
    message: `[boundaries/${rule}] ${direction}; ${why}.`,
    ...extra,
  }));
}

function boundary(files, ignores, patterns) {
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
    },
  };
}

const RENDERER = 'renderer/ imports only from common/';
const rendererBoundary = boundary(
  [`renderer/${SOURCES}`],
  [],
  [
    ...restrict('renderer', RENDERER, [
      [layer('main'), 'main/ is the host, which the UI reaches through the contract (window.pos), not by import'],
      [layer('drivers'), 'drivers/ run in the host, behind the contract'],
      [layer('sandbox'), 'sandbox/ runs in the host, behind the contract'],
      [nodeBuiltins(), 'the renderer is a sandboxed web page, without Node built-ins'],
      [NODE_ONLY_PACKAGES, 'this package needs Node, which the sandboxed renderer does not have'],
      [layer('common/paths'), 'common/paths.ts uses Node (its documented exception), so it is not for the UI'],
      [layer('common/npm-parent'), "common/npm-parent.ts reads Node's process, so it is not for the UI"],
      ['^zod(/|$)', 'zod stays out of the UI bundle (types from common/contract, values from its views)'],
    ]),
    ...restrict(
      'renderer',
      RENDERER,
      [
        [
          layer('common/contract', '(/index|/commands)?$'),
          'values come only from common/contract/views; common/contract and common/contract/commands (zod schemas) are `import type` only, so zod never reaches the UI bundle',
        ],
      ],
      { allowTypeImports: true },
    ),
    ELECTRON,
    NO_TEST_CODE,
  ],
);

const DRIVERS = 'drivers/ import only from common/ (and npm packages)';
const driversBoundary = boundary(
  [`drivers/${SOURCES}`],
  [],
  [
    ...restrict('drivers', DRIVERS, [
      [layer('main'), 'the host (main/) uses the drivers, never the other way round'],
      [layer('renderer'), 'the UI is reached through the host, never from a driver'],
      [layer('sandbox'), 'a driver talks to a device, not to the gateway emulator'],
    ]),
    ELECTRON,
    NO_TEST_CODE,
  ],
);

const SANDBOX = 'sandbox/ imports only from common/ (and npm packages)';
const sandboxBoundary = boundary(
  [`sandbox/${SOURCES}`],
  [],
  [
    ...restrict('sandbox', SANDBOX, [
      [layer('main'), 'the emulated gateway must not depend on the app that calls it'],
      [layer('renderer'), 'the emulated gateway must not depend on the app that calls it'],
      [layer('drivers'), 'the emulated gateway meets readers only through its own reader link'],
    ]),
    ELECTRON,
    NO_TEST_CODE,
  ],
);

const MAIN = 'main/ imports from drivers/ and common/, and from sandbox/ only in main/host/app-host.ts';
const MAIN_RENDERER = [layer('renderer'), 'the UI talks to the host through the contract in common/contract'];
const MAIN_SANDBOX = [layer('sandbox'), 'only main/host/app-host.ts embeds the sandbox (test mode)'];
// A gateway's wire format (schemas, client, mapping) stays in its folder: the rest of the host
// speaks the port (main/gateway/port.ts). Only the registry reaches a gateway, and only through
// the folder's index (its factory); one gateway folder never reaches into another.
const GATEWAYS = ['plutopay', 'payplug', 'plural'];
const GATEWAY_FOLDERS = GATEWAYS.map((name) => `main/gateway/${name}/**`);
const WIRE = 'a gateway is reached through the port; its wire format stays in main/gateway/<name>/';
const WIRE_ANYWHERE = restrict('gateway-wire', WIRE, [
  [`^\\.{1,2}/(.*/)?(${GATEWAYS.join('|')})(/|$)`, 'only main/gateway/registry.ts creates a gateway'],
]);
const WIRE_REGISTRY = restrict('gateway-wire', WIRE, [
  [`^\\./(${GATEWAYS.join('|')})/(?!index$)`, "the registry takes a gateway's factory from its folder's index"],
]);
const WIRE_SIBLINGS = restrict('gateway-wire', WIRE, [
  [`^(\\.\\./)+(gateway/)?(${GATEWAYS.join('|')})(/|$)`, "one gateway does not use another's code"],
]);
const MAIN_PATTERNS = [...restrict('main', MAIN, [MAIN_RENDERER, MAIN_SANDBOX]), ELECTRON, NO_TEST_CODE];
const mainBoundaries = [
  boundary(
    [`main/${SOURCES}`],
    ['main/app/**', 'main/host/app-host.ts', 'main/gateway/registry.ts', ...GATEWAY_FOLDERS],
    [...MAIN_PATTERNS, ...WIRE_ANYWHERE],
  ),
  boundary(['main/gateway/registry.ts'], [], [...MAIN_PATTERNS, ...WIRE_REGISTRY]),
  boundary(GATEWAY_FOLDERS, [], [...MAIN_PATTERNS, ...WIRE_SIBLINGS]),
  // The Electron shell: the one place electron may be imported.
  boundary(
    [`main/app/${SOURCES}`],
    [],
    [...restrict('main', MAIN, [MAIN_RENDERER, MAIN_SANDBOX]), NO_TEST_CODE, ...WIRE_ANYWHERE],
  ),
  // The host's assembly, which starts the embedded sandbox in test mode.
  boundary(
    ['main/host/app-host.ts'],
    [],
    [...restrict('main', MAIN, [MAIN_RENDERER]), ELECTRON, NO_TEST_CODE, ...WIRE_ANYWHERE],
  ),
];

const COMMON = 'common/ imports no other layer and nothing Node-specific';
const COMMON_LAYERS = [
  [layer('main'), 'main/ imports common/, not the other way round'],
  [layer('drivers'), 'drivers/ import common/, not the other way round'],
  [layer('renderer'), 'renderer/ imports common/, not the other way round'],
  [layer('sandbox'), 'sandbox/ imports common/, not the other way round'],
  [NODE_ONLY_PACKAGES, 'this package needs Node, and common/ also runs in the renderer'],
];
const COMMON_NODE = [nodeBuiltins(), 'Node built-ins are not there when common/ runs in the renderer'];
// What lets the renderer import the rest of common/ by value: only the contract's schemas (and the
// index that re-exports them) use zod, and the rest of common/ takes them as types only.
const COMMON_ZOD_FREE = restrict(
  'common',
  'zod and the command schemas are imported by value only in common/contract/commands.ts and common/contract/index.ts',
  [
    [
      '^(zod(/.*)?|\\.|\\./index|(\\.{1,2}/)+(contract/)?(commands|contract|contract/index))$',
      'the rest of common/ (views included) takes them as `import type`, so the renderer can import it without bundling zod',
    ],
  ],
  { allowTypeImports: true },
);
const CONTRACT_SCHEMAS = ['common/contract/commands.ts', 'common/contract/index.ts'];
const commonBoundaries = [
  boundary(
    [`common/${SOURCES}`],
    ['common/paths.ts', ...CONTRACT_SCHEMAS],
    [...restrict('common', COMMON, [...COMMON_LAYERS, COMMON_NODE]), ...COMMON_ZOD_FREE, ELECTRON, NO_TEST_CODE],
  ),
  // The documented exception: the data directory is under the user's home, in the platform's
  // way, so paths.ts may use node:os and node:path (and nothing else Node-specific). The renderer
  // rule keeps the UI from importing it.
  boundary(
    ['common/paths.ts'],
    [],
    [
      ...restrict('common', COMMON, [
        ...COMMON_LAYERS,
        [nodeBuiltins(['os', 'path']), 'common/paths.ts may use node:os and node:path, nothing else from Node'],
      ]),
      ...COMMON_ZOD_FREE,
      ELECTRON,
      NO_TEST_CODE,
    ],
  ),
  // The contract's zod schemas and the index that re-exports them.
  boundary(
    CONTRACT_SCHEMAS,
    [],
    [...restrict('common', COMMON, [...COMMON_LAYERS, COMMON_NODE]), ELECTRON, NO_TEST_CODE],
  ),
];

export default tseslint.config(
  // .bench/ holds the benchmarks' scratch output (builds, bundles, databases): not source.
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}', 'test/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  rendererBoundary,
  driversBoundary,
  sandboxBoundary,
  ...mainBoundaries,
  ...commonBoundaries,
);
