import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Component tests opt into jsdom with a `// @vitest-environment jsdom` docblock.
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Real servers, ptys and browsers: keep parallelism modest on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
