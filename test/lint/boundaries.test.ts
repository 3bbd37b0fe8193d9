/**
 * The import boundaries in eslint.config.js, exercised: a deliberate violation placed (virtually,
 * through lintText's filePath) in each folder must be reported with its rule's message, compliant
 * imports must pass, and the real tree must pass.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

// Only the boundary rule runs: a snippet's unused names are not what these tests are about.
const eslint = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId === RULE });

interface Reported {
  ruleId: string | null;
  message: string;
}

async function lint(file: string, code: string): Promise<Reported[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

/** `import { probe } from '<spec>'` (or `import type`), re-exported so the snippet is a module. */
function importOf(spec: string, kind: 'value' | 'type' = 'value'): string {
  return kind === 'type'
    ? `import type { Probe } from '${spec}';\nexport type { Probe };\n`
    : `import { probe } from '${spec}';\nexport { probe };\n`;
}

const RENDERER = '[boundaries/renderer] renderer/ imports only from common/';
const DRIVERS = '[boundaries/drivers] drivers/ import only from common/ (and npm packages)';
const SANDBOX = '[boundaries/sandbox] sandbox/ imports only from common/ (and npm packages)';
const MAIN =
  '[boundaries/main] main/ imports from drivers/ and common/, and from sandbox/ only in main/host/app-host.ts';
const COMMON = '[boundaries/common] common/ imports no other layer and nothing Node-specific';
const COMMON_ZOD =
  '[boundaries/common] zod and the command schemas are imported by value only in common/contract/commands.ts and common/contract/index.ts';
const ELECTRON = '[boundaries/electron] electron is imported only in main/app/';
const TEST_CODE = '[boundaries/test-code] test/ is imported by tests only';
const WIRE = '[boundaries/gateway-wire] a gateway is reached through the port';

interface Violation {
  file: string;
  spec: string;
  kind?: 'value' | 'type';
  /** The start of the expected message: the rule's name and its allowed direction. */
  says: string;
  /** And what it says about this import in particular. */
  because?: string;
}

const VIOLATIONS: Violation[] = [
  // renderer/ → common/ only
  { file: 'renderer/src/screens/Probe.tsx', spec: '../../../main/host/host', says: RENDERER, because: 'main/' },
  { file: 'renderer/src/Probe.tsx', spec: '../../main/payments/views', kind: 'type', says: RENDERER },
  { file: 'renderer/src/lib/probe.ts', spec: '../../../drivers/types', kind: 'type', says: RENDERER },
  { file: 'renderer/src/lib/probe.ts', spec: '../../../sandbox/index', says: RENDERER, because: 'sandbox/' },
  { file: 'renderer/src/lib/probe.ts', spec: 'node:fs', says: RENDERER, because: 'Node built-ins' },
  { file: 'renderer/src/lib/probe.ts', spec: 'path', says: RENDERER, because: 'Node built-ins' },
  { file: 'renderer/src/lib/probe.ts', spec: 'fs/promises', says: RENDERER, because: 'Node built-ins' },
  { file: 'renderer/src/lib/probe.ts', spec: 'serialport', says: RENDERER, because: 'needs Node' },
  { file: 'renderer/src/lib/probe.ts', spec: 'electron', says: ELECTRON },
  { file: 'renderer/src/lib/probe.ts', spec: 'zod', says: RENDERER, because: 'zod stays out of the UI bundle' },
  { file: 'renderer/src/lib/probe.ts', spec: '../../../common/contract', says: RENDERER, because: 'import type' },
  {
    file: 'renderer/src/lib/probe.ts',
    spec: '../../../common/contract/commands',
    says: RENDERER,
    because: 'import type',
  },
  { file: 'renderer/src/store/probe.ts', spec: '../../../common/contract/index', says: RENDERER },
  { file: 'renderer/src/lib/probe.ts', spec: '../../../common/paths', says: RENDERER, because: 'common/paths.ts' },
  {
    file: 'renderer/src/lib/probe.ts',
    spec: '../../../common/npm-parent',
    says: RENDERER,
    because: 'common/npm-parent.ts',
  },
  { file: 'renderer/src/lib/probe.ts', spec: '../../../test/support/fake-clock', says: TEST_CODE },

  // drivers/ → common/ only
  { file: 'drivers/serial/probe.ts', spec: '../../main/readers/manager', says: DRIVERS, because: 'host (main/)' },
  { file: 'drivers/probe.ts', spec: '../renderer/src/store', kind: 'type', says: DRIVERS },
  { file: 'drivers/protocols/concert/probe.ts', spec: '../../../sandbox/index', says: DRIVERS },
  { file: 'drivers/usb/probe.ts', spec: 'electron', says: ELECTRON },
  { file: 'drivers/probe.ts', spec: '../test/support/memory-transport', says: TEST_CODE },

  // sandbox/ → common/ only
  { file: 'sandbox/plutopay/domain/probe.ts', spec: '../../../main/gateway/plutopay', says: SANDBOX },
  { file: 'sandbox/core/probe.ts', spec: '../../renderer/src/lib/format', says: SANDBOX },
  { file: 'sandbox/plutopay/domain/probe.ts', spec: '../../../drivers/types', kind: 'type', says: SANDBOX },
  { file: 'sandbox/probe.ts', spec: 'electron', says: ELECTRON },
  { file: 'sandbox/payplug/probe.ts', spec: '../../test/support/fake-clock', says: TEST_CODE },

  // main/ → drivers/ and common/; sandbox/ only in app-host.ts; never renderer/
  { file: 'main/host/host.ts', spec: '../../sandbox/index', says: MAIN, because: 'only main/host/app-host.ts' },
  { file: 'main/payments/probe.ts', spec: '../../sandbox/core/money', kind: 'type', says: MAIN },
  { file: 'main/app/probe.ts', spec: '../../sandbox/index', says: MAIN },
  { file: 'main/web/probe.ts', spec: '../../renderer/src/App', says: MAIN, because: 'contract' },
  { file: 'main/host/app-host.ts', spec: '../../renderer/src/App', says: MAIN },
  { file: 'main/web/probe.ts', spec: 'electron', says: ELECTRON },
  { file: 'main/host/app-host.ts', spec: 'electron', says: ELECTRON },
  { file: 'main/store/probe.ts', spec: '../../test/support/fake-clock', says: TEST_CODE },

  // a gateway's wire format stays in main/gateway/<name>/; only the registry creates one
  { file: 'main/payments/probe.ts', spec: '../gateway/plutopay/schemas', kind: 'type', says: WIRE },
  { file: 'main/payments/probe.ts', spec: '../gateway/payplug', says: WIRE, because: 'only main/gateway/registry.ts' },
  { file: 'main/host/probe.ts', spec: '../gateway/plural/client', says: WIRE },
  { file: 'main/gateway/probe.ts', spec: './plural/map', says: WIRE },
  { file: 'main/app/probe.ts', spec: '../gateway/plutopay/link', says: WIRE },
  { file: 'main/host/app-host.ts', spec: '../gateway/payplug/schemas', says: WIRE },
  { file: 'main/gateway/registry.ts', spec: './plural/client', says: WIRE, because: "folder's index" },
  { file: 'main/gateway/payplug/probe.ts', spec: '../plutopay/map', says: WIRE, because: "another's code" },
  { file: 'main/gateway/plural/probe.ts', spec: '../../gateway/payplug/schemas', says: WIRE },

  // common/ → nothing Node-specific, no other layer
  { file: 'common/probe.ts', spec: '../main/host/host', says: COMMON },
  { file: 'common/probe.ts', spec: '../drivers/types', kind: 'type', says: COMMON },
  { file: 'common/contract/probe.ts', spec: '../../renderer/src/lib/format', says: COMMON },
  { file: 'common/probe.ts', spec: '../sandbox/core/money', says: COMMON },
  { file: 'common/probe.ts', spec: 'node:path', says: COMMON, because: 'Node built-ins' },
  { file: 'common/probe.ts', spec: 'os', says: COMMON, because: 'Node built-ins' },
  { file: 'common/contract/commands.ts', spec: 'node:crypto', says: COMMON, because: 'Node built-ins' },
  { file: 'common/probe.ts', spec: 'better-sqlite3', says: COMMON, because: 'needs Node' },
  { file: 'common/probe.ts', spec: 'electron', says: ELECTRON },
  { file: 'common/probe.ts', spec: '../test/support/fake-clock', says: TEST_CODE },
  // …with one narrow exception: paths.ts may use node:os and node:path, and nothing else.
  { file: 'common/paths.ts', spec: 'node:fs', says: COMMON, because: 'node:os and node:path' },
  { file: 'common/paths.ts', spec: 'path', says: COMMON, because: 'node:os and node:path' },
  // …and zod only in the contract's schemas, so the renderer can import the rest by value.
  { file: 'common/contract/views.ts', spec: 'zod', says: COMMON_ZOD },
  { file: 'common/contract/views.ts', spec: './commands', says: COMMON_ZOD },
  { file: 'common/money.ts', spec: './contract', says: COMMON_ZOD },
  { file: 'common/money.ts', spec: './contract/commands', says: COMMON_ZOD },
];

describe('import boundaries (eslint.config.js)', () => {
  const cases = VIOLATIONS.map((violation) => ({ kind: 'value' as const, ...violation }));
  it.each(cases)('$file: $kind import of $spec is reported', async ({ file, spec, kind, says, because }) => {
    const reported = await lint(file, importOf(spec, kind));
    expect(reported).toHaveLength(1);
    expect(reported[0]!.ruleId).toBe(RULE);
    expect(reported[0]!.message).toContain(`'${spec}'`);
    expect(reported[0]!.message).toContain(says);
    if (because) expect(reported[0]!.message).toContain(because);
  });

  it('reports re-exports as well as imports', async () => {
    const reported = await lint('sandbox/probe.ts', "export * from '../main/host/host';\n");
    expect(reported.map((r) => r.message)).toEqual([expect.stringContaining(SANDBOX)]);
  });

  it.each([
    {
      folder: 'renderer/',
      file: 'renderer/src/screens/Probe.tsx',
      code: [
        "import { useState } from 'react';",
        "import { create } from 'zustand';",
        "import type { PaymentView, HostEvent } from '../../../common/contract';",
        "import { type CommandName } from '../../../common/contract';",
        "import type { CommandInput } from '../../../common/contract/commands';",
        "import { TRANSACTION_STATUSES } from '../../../common/contract/views';",
        "import { formatAmount } from '../../../common/money';",
        "import { CURRENCIES } from '../../../common/currencies';",
        "import { helper } from '../lib/helper';",
      ],
    },
    {
      folder: 'drivers/',
      file: 'drivers/serial/probe.ts',
      code: [
        "import { readFileSync } from 'node:fs';",
        "import { SerialPort } from 'serialport';",
        "import { systemClock } from '../../common/clock';",
        "import { Emitter } from '../../common/emitter';",
        "import type { Transport } from '../types';",
      ],
    },
    {
      folder: 'sandbox/',
      file: 'sandbox/plutopay/domain/probe.ts',
      code: [
        "import { createServer } from 'node:http';",
        "import Database from 'better-sqlite3';",
        "import { formatAmount } from '../../../common/money';",
        "import { TRANSACTION_STATUSES } from '../../../common/contract/views';",
        "import { formatted } from '../../core/money';",
      ],
    },
    {
      folder: 'main/',
      file: 'main/readers/probe.ts',
      code: [
        "import { join } from 'node:path';",
        "import { z } from 'zod';",
        "import { createDefaultRegistry } from '../../drivers/registry';",
        "import type { Reader } from '../../drivers/types';",
        "import { commandSchemas } from '../../common/contract';",
        "import { defaultDataDir } from '../../common/paths';",
      ],
    },
    {
      folder: 'main/gateway/registry.ts (creates the gateways)',
      file: 'main/gateway/registry.ts',
      code: [
        "import { createPlutoPayGateway } from './plutopay';",
        "import { createPluralGateway } from './plural/index';",
        "import type { PaymentGateway } from './port';",
      ],
    },
    {
      folder: 'main/gateway/<name>/ (its own wire format, the shared seam)',
      file: 'main/gateway/plural/probe.ts',
      code: [
        "import type { WireOrder } from './schemas';",
        "import { GatewayHttp } from '../http';",
        "import type { PaymentGateway } from '../port';",
        "import { isGatewayError } from '../errors';",
      ],
    },
    {
      folder: 'main/host/app-host.ts (embeds the sandbox)',
      file: 'main/host/app-host.ts',
      code: ["import { startSandbox } from '../../sandbox/index';", "import { createHost } from './host';"],
    },
    {
      folder: 'main/app/ (the Electron shell)',
      file: 'main/app/probe.ts',
      code: ["import { app, BrowserWindow } from 'electron';", "import { createAppHost } from '../host/app-host';"],
    },
    {
      folder: 'common/',
      file: 'common/probe.ts',
      code: [
        "import { currencyByCode } from './currencies';",
        "import type { CommandInput } from './contract/commands';",
        "import type { PaymentView } from './contract';",
        "import { TRANSACTION_STATUSES } from './contract/views';",
      ],
    },
    {
      folder: 'common/paths.ts (its Node exception)',
      file: 'common/paths.ts',
      code: ["import { homedir } from 'node:os';", "import { join } from 'node:path';"],
    },
    {
      folder: 'common/contract/commands.ts (the zod schemas)',
      file: 'common/contract/commands.ts',
      code: ["import { z } from 'zod';", "import { TRANSACTION_STATUSES } from './views';"],
    },
    {
      folder: 'test/ (imports anything)',
      file: 'test/main/probe.test.ts',
      code: [
        "import { app } from 'electron';",
        "import { createHost } from '../../main/host/host';",
        "import { startSandbox } from '../../sandbox/index';",
        "import { App } from '../../renderer/src/App';",
        "import { FakeClock } from '../support/fake-clock';",
      ],
    },
  ])('passes compliant imports in $folder', async ({ file, code }) => {
    expect(await lint(file, `${code.join('\n')}\n`)).toEqual([]);
  });

  it('passes on the current tree', async () => {
    const results = await eslint.lintFiles(['main', 'drivers', 'renderer', 'sandbox', 'common']);
    expect(results.length).toBeGreaterThan(100);
    const reported = results.flatMap((result) =>
      result.messages.map((m) => `${result.filePath.slice(ROOT.length + 1)}:${m.line} ${m.message}`),
    );
    expect(reported).toEqual([]);
    // Type-aware lint of every source file: seconds alone, three times that on a busy machine.
  }, 120_000);
});
