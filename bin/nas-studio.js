#!/usr/bin/env node
// The built CLI lives in out/main/cli.js (run `npm run build` once after installing).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('nas-studio: the app is not built yet. Run `npm run build` in the NAS Studio folder first.\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
