/**
 * The app's build (electron.vite.config.ts) with its output under .bench/out, so figure 5 measures
 * a fresh build of the current sources without touching out/, which other work (e2e) uses.
 */
import { resolve } from 'node:path';
import base from '../../electron.vite.config';
import { BENCH_OUT } from './build-paths';

type Section = { build?: Record<string, unknown> } & Record<string, unknown>;
const withOutDir = (section: unknown, outDir: string): Section => {
  const s = (section ?? {}) as Section;
  return { ...s, build: { ...(s.build ?? {}), outDir } };
};

const config = base as unknown as { main?: unknown; preload?: unknown; renderer?: unknown };

export default {
  ...config,
  main: withOutDir(config.main, resolve(BENCH_OUT, 'main')),
  preload: withOutDir(config.preload, resolve(BENCH_OUT, 'preload')),
  renderer: withOutDir(config.renderer, resolve(BENCH_OUT, 'renderer')),
};
