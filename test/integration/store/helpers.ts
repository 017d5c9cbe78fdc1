import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSearchConfig, type SearchConfig, type SearchConfigInput } from '../../../src/shared/config';

/** A fresh folder per test; `dispose` removes it. */
export function tempDataDir(): { dir: string; dbPath: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nas-store-'));
  return { dir, dbPath: join(dir, 'data', 'nas-studio.db'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function searchConfig(overrides: Partial<SearchConfigInput> = {}): SearchConfig {
  return parseSearchConfig({ dataset: 'Fashion-MNIST', epochs: 3, ...overrides });
}
