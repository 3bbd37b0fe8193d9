import { resolve } from 'node:path';

/** Where figure 5 builds the app (not out/, which other work uses). */
export const BENCH_OUT = resolve('.bench/out');
