import { parseSearchConfig, SPACES, type SearchConfig } from '../../shared/config';
import type { RunStatus } from '../../shared/events';
import type { MetricPoint } from './metric-repository';
import type { Store } from './store';
import { STRATEGIES, STRATEGY_DESCRIPTORS } from '../../shared/strategies/registry';

/** The first strategy that searches `space` (DARTS for the cell spaces, InstaNAS for its meta-graph, …). */
function searcherOf(space: (typeof SPACES)[number]): string {
  const name = STRATEGIES.find((n) => STRATEGY_DESCRIPTORS[n].family !== 'evaluation' && (STRATEGY_DESCRIPTORS[n].spaces as readonly string[]).includes(space));
  if (!name) throw new Error(`No strategy searches the ${space} space.`);
  return name;
}

export interface SeedHistoryOptions {
  runs: number;
  /** Metric points per run, spread over `metricNames` (each step writes every name). */
  pointsPerRun: number;
  metricNames?: readonly string[];
  /** PRNG seed: the same options give the same history. */
  seed?: number;
  /** createdAt of the newest run; runs go back one minute each. */
  now?: number;
  /** Runs per transaction. */
  chunk?: number;
}

export interface SeedHistoryResult {
  runIds: number[];
  points: number;
  ms: number;
}

const DATASETS = ['Fashion-MNIST', 'MNIST', 'CIFAR-10 subset', 'Demo digits', 'Lab scans 2024'];
const STATUSES: readonly RunStatus[] = ['completed', 'completed', 'completed', 'failed', 'cancelled', 'paused'];

/**
 * Fills the store with a synthetic history (for the history benchmark and list tests): `runs` runs of mixed
 * status, space and dataset, each with `pointsPerRun` metric points, written through the repositories in
 * chunked transactions. Deterministic for a given seed.
 */
export function seedHistory(store: Store, options: SeedHistoryOptions): SeedHistoryResult {
  const started = performance.now();
  const names = options.metricNames ?? ['train_loss', 'train_acc', 'val_loss', 'val_acc'];
  const random = mulberry32(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const chunk = Math.max(1, options.chunk ?? 100);
  const steps = Math.ceil(options.pointsPerRun / Math.max(1, names.length));
  const configs = new Map<string, SearchConfig>();
  const configFor = (space: (typeof SPACES)[number], dataset: string, seed: number): SearchConfig => {
    const key = `${space}|${dataset}`;
    let base = configs.get(key);
    if (!base) configs.set(key, (base = parseSearchConfig({ dataset, space: { name: space }, strategy: { name: searcherOf(space), epochs: 50 } })));
    return { ...base, seed };
  };

  const runIds: number[] = [];
  let points = 0;
  for (let first = 0; first < options.runs; first += chunk) {
    store.transaction(() => {
      for (let i = first; i < Math.min(options.runs, first + chunk); i++) {
        const space = SPACES[i % SPACES.length]!;
        const dataset = DATASETS[Math.floor(random() * DATASETS.length)]!;
        const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
        const createdAt = now - (options.runs - i) * 60_000;
        const id = store.runs.create(
          configFor(space, dataset, i),
          { id: null, name: dataset },
          { name: `${space} search ${i + 1}`, createdAt, status: 'queued' },
        );
        const startedAt = createdAt + 1000;
        store.runs.setStatus(id, 'running', { startedAt }, startedAt);
        const batch: MetricPoint[] = [];
        const ceiling = 0.6 + 0.35 * random();
        let n = 0;
        for (let step = 0; step < steps && n < options.pointsPerRun; step++) {
          const t = (step + 1) / steps;
          for (const name of names) {
            if (n++ >= options.pointsPerRun) break;
            const noise = (random() - 0.5) * 0.02;
            const value = name.includes('acc') ? ceiling * (1 - Math.exp(-4 * t)) + noise : 2.3 * Math.exp(-3 * t) + noise;
            batch.push({ name, step: step * 10, epoch: Math.floor(t * 50), value });
          }
        }
        points += store.metrics.appendBatch(id, batch);
        store.runs.updateProgress(id, status === 'completed' ? 1 : random());
        store.runs.setStatus(id, status, {}, startedAt + Math.floor(random() * 3_600_000));
        runIds.push(id);
      }
    });
  }
  return { runIds, points, ms: performance.now() - started };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
