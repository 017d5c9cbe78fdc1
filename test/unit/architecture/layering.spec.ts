import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layer rules of ARCHITECTURE.md §3 and STYLE.md §1, checked on every import in src/:
// renderer → shared; main → shared; preload → shared; nas/ → shared + tfjs (and Dawn's webgpu under it) only; inside nas/, engine imports
// none of its siblings, and spaces/strategies/estimation/data never reach into the app layers.

const root = resolve(__dirname, '..', '..', '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|vue)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)];
  return specs.map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The src-relative path an import points at, or the package name for a bare import. */
function target(file: string, spec: string): { internal: string } | { pkg: string } {
  if (spec.startsWith('.')) return { internal: relative(src, resolve(dirname(file), spec)) };
  return { pkg: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] };
}

const rules: Array<{ from: RegExp; internal: RegExp; packages: RegExp; why: string }> = [
  { from: /^shared\//, internal: /^shared\//, packages: /^zod$/, why: 'shared/ is pure TypeScript: no Node, DOM, Electron or tfjs' },
  { from: /^renderer\//, internal: /^(renderer|shared)\//, packages: /^(vue|pinia|vue-router|echarts|vue-echarts|@dagrejs\/dagre|@tanstack\/vue-virtual|zod)$/, why: 'the renderer talks to main only through the contract in shared/' },
  { from: /^preload\//, internal: /^shared\//, packages: /^electron$/, why: 'preload is the contextBridge and nothing else' },
  // `webgpu` is Dawn's Node binding: the GPU runtime under tfjs's WebGPU backend (engine/webgpu-dawn.ts).
  { from: /^main\/nas\/engine\//, internal: /^(main\/nas\/engine|shared)\//, packages: /^(@tensorflow\/|node:|webgpu$)/, why: 'engine/ holds tensor primitives and imports none of its siblings' },
  { from: /^main\/nas\//, internal: /^(main\/nas|shared)\//, packages: /^(@tensorflow\/|node:|webgpu$)/, why: 'nas/ is independent of Electron, SQLite and the app layers' },
  { from: /^main\/store\//, internal: /^(main\/store|shared)\//, packages: /^(better-sqlite3|node:)$|^node:/, why: 'the store knows SQLite and the contract, not the NAS core or the services' },
];

describe('layering', () => {
  const all = files(src);
  it('finds the source files', () => {
    expect(all.length).toBeGreaterThan(40);
  });
  for (const rule of rules) {
    it(`${rule.from.source}: ${rule.why}`, () => {
      const violations: string[] = [];
      for (const file of all) {
        const rel = relative(src, file);
        if (!rule.from.test(rel)) continue;
        for (const spec of imports(file)) {
          const t = target(file, spec);
          const ok = 'internal' in t ? rule.internal.test(`${t.internal}/`) || rule.internal.test(t.internal) : rule.packages.test(t.pkg);
          if (!ok) violations.push(`${rel} imports '${spec}'`);
        }
      }
      expect(violations).toEqual([]);
    });
  }
  it('nothing imports the renderer except the renderer', () => {
    const bad = all
      .filter((f) => !relative(src, f).startsWith('renderer/'))
      .flatMap((f) => imports(f).filter((s) => s.startsWith('.') && relative(src, resolve(dirname(f), s)).startsWith('renderer')).map((s) => `${relative(src, f)} → ${s}`));
    expect(bad).toEqual([]);
  });
});
