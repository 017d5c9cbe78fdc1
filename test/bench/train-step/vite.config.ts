// vite build of entry.ts for plain Node (run.js passes this file as configFile). tfjs (and its CJS helpers,
// seedrandom and long) is bundled in, not external, through the same ESM aliases as the app build and vitest,
// so there is exactly one tfjs-core. The banner gives the bundled CJS code (the wasm backend's emscripten
// loader) the __dirname / __filename / require it expects, as electron-vite's shims do for the app.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { tfjsEsmAliases } from '../../../scripts/tfjs-esm-aliases';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  logLevel: 'warn',
  resolve: { alias: tfjsEsmAliases },
  ssr: { target: 'node', noExternal: true },
  build: {
    ssr: join(here, 'entry.ts'),
    outDir: resolve(here, '../../../out/bench'),
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    rollupOptions: {
      output: {
        format: 'es',
        entryFileNames: 'train-step-engine.mjs',
        banner: [
          "import { createRequire as __benchCreateRequire } from 'node:module';",
          'const require = __benchCreateRequire(import.meta.url);',
          'const __filename = import.meta.filename;',
          'const __dirname = import.meta.dirname;',
        ].join('\n'),
      },
    },
  },
});
