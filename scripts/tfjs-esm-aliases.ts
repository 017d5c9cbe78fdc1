// tfjs packages resolve to their CJS bundles under Node, but those bundles register neither gradients nor
// chained tensor methods; the deep ESM imports that do would then load a second copy of tfjs-core whose
// engine fights the first. Point every tfjs package at its ESM entry so there is exactly one copy, in the
// tests (vitest) and in the app's bundle (electron-vite) alike.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@tensorflow');
export const tfjsEsmAliases = ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-backend-webgpu', 'tfjs-layers'].map((name) => ({
  find: new RegExp(`^@tensorflow/${name}$`),
  replacement: join(root, name, 'dist', 'index.js'),
}));
