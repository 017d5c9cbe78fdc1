// The train-step bench's vite build (tfjs bundled in through the app's ESM aliases, Node banner), for entry.ts.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vite';
import base from '../train-step/vite.config';

const here = fileURLToPath(new URL('.', import.meta.url));

export default mergeConfig(base, { build: { ssr: join(here, 'entry.ts'), rollupOptions: { output: { entryFileNames: 'spd-engine.mjs' } } } });
