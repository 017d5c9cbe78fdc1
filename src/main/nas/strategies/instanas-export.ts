import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InstanasLatency } from '../../../shared/instanas';
import type { MobilenetLayout, MobilenetSpace } from '../../../shared/spaces/mobilenet';
import { loadCheckpoint } from '../engine/checkpoint';

// Exporting an InstaNAS variant (one of the checkpoints kept along the search): its meta-graph and controller
// weights in the TF.js weights format (a manifest + weights.bin, readable with tf.io.decodeWeights), and a JSON
// that says how to run it: the meta-graph's layout, the policy rule and the latency table it was searched
// against. No tfjs needed: the run folder's files are copied into the TF.js layout.

/** Written in the run folder's instanas/ when the search starts. */
export const META_GRAPH_FILE = 'meta-graph.json';
export const EXPORT_MODEL_FILE = 'instanas.json';
export const EXPORT_WEIGHTS_FILE = 'weights.bin';

export const POLICY_RULE =
  'Per image: p = controller(x); op k of block t runs when p[t·5 + k] ≥ 0.5. A block outputs the mean of its running ops, plus its input once when it keeps the shape (stride 1, in = out); when none runs, the first block of a stage runs op 4 (basic block) and any other block passes its input through.';

export interface InstanasModelDescription {
  space: MobilenetSpace;
  inputShape: [number, number, number];
  classes: number;
  normalization: { mean: number[]; std: number[] };
  preprocessing: string;
  layout: MobilenetLayout;
  ops: string[];
  controller: string;
  policyRule: string;
  latency: InstanasLatency | null;
}

export interface InstanasExport {
  dir: string;
  model: string;
  weights: string;
  /** Float32 values written. */
  values: number;
}

/**
 * Exports the variant whose checkpoint is `variantCheckpoint` (relative to `runDir`, as the result's variants
 * name it) into `outDir`: instanas.json (the description, a TF.js weightsManifest, the variant) and weights.bin.
 * Weight names are 'g/…' (meta-graph) and 'c/…' (controller), each 'w/<param>' or 'buf/<BN statistic>'.
 */
export function exportInstanasVariant(runDir: string, variantCheckpoint: string, outDir: string, variant: Record<string, unknown> = {}): InstanasExport {
  const descriptionPath = join(runDir, 'instanas', META_GRAPH_FILE);
  if (!existsSync(descriptionPath)) throw new Error(`${runDir} holds no InstaNAS search (no instanas/${META_GRAPH_FILE}): export a variant of a completed InstaNAS run.`);
  const source = resolve(runDir, variantCheckpoint);
  if (!existsSync(source)) throw new Error(`The variant checkpoint ${variantCheckpoint} is missing from ${runDir}: was the run folder moved or cleaned?`);
  const description = JSON.parse(readFileSync(descriptionPath, 'utf8')) as InstanasModelDescription;
  const ckpt = loadCheckpoint(source);
  const weights = [...ckpt.tensors].map(([name, t]) => ({ name, shape: t.shape, dtype: 'float32' as const }));
  const data = Buffer.concat([...ckpt.tensors.values()].map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  const model = { format: 'nas-studio-instanas', version: 1, variant, ...description, weightsManifest: [{ paths: [EXPORT_WEIGHTS_FILE], weights }] };
  try {
    mkdirSync(outDir, { recursive: true });
    // Written beside, then renamed: a reader never sees a description whose weights are half written.
    writeFileSync(join(outDir, `${EXPORT_WEIGHTS_FILE}.tmp`), data);
    writeFileSync(join(outDir, `${EXPORT_MODEL_FILE}.tmp`), `${JSON.stringify(model, null, 2)}\n`);
    renameSync(join(outDir, `${EXPORT_WEIGHTS_FILE}.tmp`), join(outDir, EXPORT_WEIGHTS_FILE));
    renameSync(join(outDir, `${EXPORT_MODEL_FILE}.tmp`), join(outDir, EXPORT_MODEL_FILE));
  } catch (e) {
    throw new Error(`Could not export the InstaNAS variant to ${outDir}: ${(e as Error).message}. Choose a folder you can write to.`);
  }
  return { dir: outDir, model: join(outDir, EXPORT_MODEL_FILE), weights: join(outDir, EXPORT_WEIGHTS_FILE), values: data.length / 4 };
}
