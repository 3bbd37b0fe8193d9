import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// One build for both shells: the Electron main process, the plain-Node web-mode host, the
// sandboxed preload and the renderer. Dependencies stay external (native modules must not be bundled).
export default defineConfig({
  main: {
    build: {
      // zod and ws are pure JavaScript spread over many modules: loading them file by file took
      // ~100 ms (zod) and ~40 ms (ws) of every cold start (figure 5 of `npm run bench`, issue #6).
      // Bundled, they load as part of one chunk (zod tree-shaken to what the schemas use). ws's
      // optional native helpers (bufferutil, utf-8-validate) are still looked up at run time and
      // skipped when absent, as before. Native modules (better-sqlite3, serialport, usb) stay external.
      externalizeDeps: { exclude: ['zod', 'ws'] },
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('main/app/main.ts'),
          launch: resolve('main/app/launch.ts'),
          web: resolve('main/web/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    // electron-vite leaves the renderer unminified by default; ship it minified. `vite build` already
    // replaces process.env.NODE_ENV with "production", so React's production build is bundled.
    build: {
      outDir: resolve('out/renderer'),
      minify: true,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
