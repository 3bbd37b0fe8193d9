import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Component tests opt into jsdom with a `// @vitest-environment jsdom` docblock.
    environment: 'node',
    // A guard against hangs, not a speed check (benchmarks measure speed): on 2 cores under load some
    // tests run three times slower than alone (the whole tree's lint took 19.9 s once against 20 s).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real servers, ptys and browsers: keep parallelism modest on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
