import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSearchConfig, upgradeStoredConfig, type SearchConfig } from '../../../src/shared/config';

/** A fresh folder per test; `dispose` removes it. */
export function tempDataDir(): { dir: string; dbPath: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nas-store-'));
  return { dir, dbPath: join(dir, 'data', 'nas-studio.db'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A run config from flat fields (`space: 'darts', channels: 8, epochs: 3` side by side), nested into today's
 * `{ space: {…}, strategy: {…} }` shape by the schema's own upgrade of flat configs.
 */
export function searchConfig(overrides: Record<string, unknown> = {}): SearchConfig {
  return parseSearchConfig(upgradeStoredConfig({ space: 'nb201', strategy: 'darts', dataset: 'Fashion-MNIST', epochs: 3, ...overrides }));
}
