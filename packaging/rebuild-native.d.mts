// Types of rebuild-native.mjs (electron-builder loads the JavaScript as it is; the tests import these).

/** The part of electron-builder's BeforePackContext the hook reads. */
export interface PackContext {
  readonly electronPlatformName: string;
  /** electron-builder's Arch enum: 0 ia32, 1 x64, 2 armv7l, 3 arm64. */
  readonly arch: number;
  readonly packager: {
    readonly projectDir: string;
    readonly info: { readonly appDir: string; readonly framework: { readonly version: string } };
  };
}

/** The options passed to @electron/rebuild's rebuild(). */
export interface RebuildPlan {
  buildPath: string;
  projectRootPath: string;
  electronVersion: string;
  platform: string;
  arch: string;
  onlyModules: string[];
  force: boolean;
  buildFromSource: boolean;
  disablePreGypCopy: boolean;
  mode: 'sequential';
}

export type BindingKind = { kind: 'abi'; abi: number } | { kind: 'napi' } | { kind: 'unknown' };

export const ELECTRON_ABI_MODULES: Readonly<Record<string, string>>;
export const NODE_API_MODULES: readonly string[];

export function planRebuild(context: PackContext): RebuildPlan;
export function bindingKind(binary: Buffer): BindingKind;
export function verifyElectronBuild(buildPath: string, name: string): Promise<number>;
export function rebuildForElectron(
  context: PackContext,
  deps?: { rebuild?: (plan: RebuildPlan) => Promise<void>; log?: (line: string) => void },
): Promise<RebuildPlan>;
export function beforePack(context: PackContext): Promise<void>;
export default beforePack;
