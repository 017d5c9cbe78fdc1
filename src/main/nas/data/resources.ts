// Locating files under the app's resources/ folder, from source (vitest, tsx), from the built out/main/*.js,
// and from a packaged Electron app (process.resourcesPath).
import { existsSync } from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of this module, in ESM or a CommonJS bundle. */
function moduleDir(): string | null {
  try {
    if (typeof __dirname === 'string') return __dirname;
  } catch {
    /* not CommonJS */
  }
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return null;
  }
}

/** Folders that may hold the resources directly (the override and a packaged app's resourcesPath). */
function directRoots(): string[] {
  const roots: string[] = [];
  const env = process.env.NAS_STUDIO_RESOURCES;
  if (env) roots.push(resolve(env));
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (typeof resourcesPath === 'string') roots.push(resourcesPath);
  return roots;
}

/** Folders to walk up from, looking for a resources/ folder: this module's folder, then the working directory. */
function walkRoots(): string[] {
  const here = moduleDir();
  return here ? [here, process.cwd()] : [process.cwd()];
}

/**
 * Finds a resource file or folder: `<root>/<relative>` or `<root>/resources/<relative>` for the
 * NAS_STUDIO_RESOURCES folder and Electron's resourcesPath, then `resources/<relative>` in this module's folder
 * or any folder above it (works from src/main/nas/data under vitest and from out/main after a build), then
 * likewise above the working directory. Returns null when nothing is found.
 */
export function findResource(relative: string): string | null {
  for (const root of directRoots()) {
    for (const candidate of [join(root, relative), join(root, 'resources', relative)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  for (const root of walkRoots()) {
    let dir = resolve(root);
    const top = parse(dir).root;
    for (;;) {
      const candidate = join(dir, 'resources', relative);
      if (existsSync(candidate)) return candidate;
      if (dir === top) break;
      dir = dirname(dir);
    }
  }
  return null;
}

/** Where findResource looked, for error messages. */
export function describeResourceSearch(relative: string): string {
  return [...directRoots().map((r) => `${join(r, relative)}`), ...walkRoots().map((r) => `resources/${relative} above ${r}`)].join('; ');
}

/** The built-in demo dataset folder (Fashion-MNIST subset, gzip IDX files). */
export function defaultDemoDatasetDir(): string {
  const p = findResource('demo-fashion-mnist');
  if (!p) {
    throw new Error(`The built-in demo dataset was not found (looked for ${describeResourceSearch('demo-fashion-mnist')}). Reinstall the app.`);
  }
  return p;
}
