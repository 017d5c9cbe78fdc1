import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SpdSpaceSchema, type SpdSpaceConfig } from '../shared/spaces/spd';
import type { DartsGenotype } from '../shared/spaces/darts';
import { parseSpdGenotype } from '../shared/strategies/retrain-spd';
import { CliError } from './cli-config';
import { initBackend } from './nas/engine/backend';
import { Rng, hashSeed } from './nas/engine/rng';
import { readSpdFolder } from './nas/data/spd-import';
import { writeSpdSetFiles, type SpdMatrixSet } from './nas/data/spd-import-set';
import { loadSpdSet, resolveSpdDataReference, type SpdDataReference } from './nas/data/spd-sets';
import { buildSpdCellNet, buildSpdnet, spdnetSizes, type SpdNet } from './nas/estimation/spdnet';
import { trainSpdNet, type SpdTrainResult } from './nas/estimation/spdnet-train';

// `nas-studio retrain --space spd …`: the evaluation stage of SPDNetNAS (ALGORITHMS §7.3). The derived cell's
// network and, with --baseline spdnet, the hand-designed SPDNet train from scratch on the same SPD set with
// the same Riemannian SGD, epochs and seed, and one table compares their test accuracies and sizes. The image
// retrain path (tfjs layers, augmentation, export) does not fit SPD networks, so this is its own path.

/** An SPD set for the command line: a built-in name, a packed folder, or a folder of class sub-folders. */
export async function loadSpdCliDataset(nameOrPath: string, source: 'matrices' | 'sequences' = 'matrices'): Promise<SpdMatrixSet> {
  const ref = resolveSpdDataReference(nameOrPath);
  if (ref) return loadSpdSet(ref);
  if (!existsSync(nameOrPath) || !statSync(nameOrPath).isDirectory()) {
    throw new CliError(`--dataset: '${nameOrPath}' is neither spd-synthetic nor a folder of SPD matrices (one sub-folder per class of .npy or .csv files).`);
  }
  return (await readSpdFolder(nameOrPath, source, nameOrPath)).set;
}

/**
 * The data reference of `nas-studio search --space spd --dataset …`: a built-in set or packed folder as is; a
 * person's folder of class sub-folders is read and checked in full (every matrix), then packed into a
 * temporary folder removed when the command exits.
 */
export async function spdCliDataReference(nameOrPath: string): Promise<SpdDataReference> {
  const ref = resolveSpdDataReference(nameOrPath);
  if (ref) return ref;
  const set = await loadSpdCliDataset(nameOrPath);
  const dir = mkdtempSync(join(tmpdir(), 'nas-studio-spd-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await writeSpdSetFiles(dir, set);
  return { kind: 'spd', name: basename(nameOrPath) || nameOrPath, packedDir: dir };
}

/**
 * The architecture to retrain: a genotype as JSON ({ normal, reduce }), or a file holding one or the JSON
 * line of `nas-studio search --space spd --json` (its genotype, and its space settings when none are given).
 */
export function parseSpdArchitecture(arch: string): { genotype: DartsGenotype; space?: Partial<SpdSpaceConfig> } {
  let text = arch.trim();
  if (!text.startsWith('{') && existsSync(text)) text = readFileSync(text, 'utf8').trim().split('\n').at(-1) ?? '';
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CliError(`--arch: for the spd space give the genotype as JSON ({"normal": [["Skip_normal", 0], …], "reduce": […]}) or a file holding it (e.g. the JSON line of nas-studio search --space spd --json).`);
  }
  const g = (json.genotype ?? json) as Record<string, unknown>;
  let genotype: DartsGenotype;
  try {
    genotype = parseSpdGenotype(g);
  } catch (e) {
    throw new CliError(`--arch: ${(e as Error).message}`);
  }
  const config = json.config as { space?: Partial<SpdSpaceConfig> } | undefined;
  return { genotype, ...(config?.space?.name === 'spd' ? { space: config.space } : {}) };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

export async function spdRetrain(opts: Record<string, unknown>): Promise<void> {
  const { genotype, space: searched } = parseSpdArchitecture(String(opts.arch ?? ''));
  const spaceInput = { ...(searched ?? {}), name: 'spd', ...(opts.channels !== undefined ? { channels: opts.channels } : {}), ...(opts.cells !== undefined ? { cells: opts.cells } : {}) };
  const parsedSpace = SpdSpaceSchema.safeParse(spaceInput);
  if (!parsedSpace.success) throw new CliError(`Invalid SPD space settings: ${parsedSpace.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const baseline = opts.baseline === undefined ? null : String(opts.baseline);
  if (baseline !== null && baseline !== 'spdnet') throw new CliError(`--baseline: the spd space's baseline is 'spdnet'; got '${baseline}'.`);
  const set = await loadSpdCliDataset(String(opts.dataset ?? ''));
  if (set.test.count === 0) throw new CliError(`--dataset: ${set.name} has no test matrices; a retrain reports test accuracy. Give it train/ and test/ folders, or at least 5 matrices per class.`);
  const backend = await initBackend(String(opts.backend ?? 'auto') as Parameters<typeof initBackend>[0]);
  const seed = Number(opts.seed ?? 0);
  const train = { epochs: Number(opts.epochs ?? 100), batchSize: Number(opts.batch ?? 30), lr: Number(opts.lr ?? 0.025), seed };
  const say = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
  say(`${set.name}: ${set.train.count} training and ${set.test.count} test matrices of ${set.size}×${set.size}, ${set.classes} classes; ${train.epochs} epochs, batch ${train.batchSize}, lr ${train.lr}, seed ${seed}, on ${backend.backend}`);
  const nets: Array<() => SpdNet> = [() => buildSpdCellNet(parsedSpace.data, genotype, set.size, set.classes, new Rng(hashSeed(seed, 1)))];
  if (baseline) nets.push(() => buildSpdnet(spdnetSizes(set.size), set.classes, new Rng(hashSeed(seed, 2)), parsedSpace.data.reEigEps));
  const results: SpdTrainResult[] = [];
  for (const make of nets) {
    const net = make();
    try {
      say(`Training ${net.label} (${net.countParams().toLocaleString('en')} parameters)…`);
      results.push(await trainSpdNet(net, set, train, (r) => say(`  epoch ${r.epoch + 1}/${train.epochs}: loss ${r.trainLoss.toFixed(4)}, train ${pct(r.trainAccuracy)}, test ${pct(r.testAccuracy)}`)));
    } finally {
      net.dispose();
    }
  }
  if (opts.json) {
    const models = results.map((r) => ({ label: r.label, testAccuracy: r.testAccuracy, trainAccuracy: r.epochs.at(-1)?.trainAccuracy ?? null, params: r.params, seconds: r.seconds, curve: r.epochs }));
    process.stdout.write(`${JSON.stringify({ space: 'spd', accuracyUnit: 'fraction', dataset: set.name, genotype, spaceConfig: parsedSpace.data, ...train, backend: backend.backend, testAccuracy: results[0].testAccuracy, models })}\n`);
    return;
  }
  const rows = results.map((r) => [r.label, pct(r.testAccuracy), r.params.toLocaleString('en'), `${r.seconds.toFixed(1)} s`]);
  const header = ['model', 'test accuracy', 'parameters', 'time'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  for (const r of [header, ...rows]) process.stdout.write(`${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ')}\n`);
}
