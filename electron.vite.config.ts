import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { readFileSync } from 'node:fs';
import { tfjsEsmAliases } from './scripts/tfjs-esm-aliases';

const version = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')).version as string;
// tfjs is bundled from its ESM entries (see scripts/tfjs-esm-aliases.ts); everything else stays external.
const TFJS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-layers'];

// One build, five Node entries: the Electron main process, the headless server, the CLI, the trainer
// process (forked per run) and its data-parallel worker threads. Dependencies stay external so native
// addons and tfjs's .wasm files load from node_modules.
export default defineConfig({
  main: {
    resolve: { alias: tfjsEsmAliases },
    define: { __APP_VERSION__: JSON.stringify(version) },
    build: {
      externalizeDeps: { exclude: TFJS },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          server: resolve(__dirname, 'src/main/server.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          trainer: resolve(__dirname, 'src/main/trainer/trainer.ts'),
          // worker threads of data-parallel training (nas/parallel), started by the trainer
          'parallel-replica': resolve(__dirname, 'src/main/nas/parallel/pool-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [vue()],
  },
});
