import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
export default defineConfig({
  root: resolve(import.meta.dirname, 'src/renderer'),
  base: './',
  plugins: [vue()],
  build: { outDir: '/tmp/renderer-build', emptyOutDir: true, rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } } },
});
