import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '../engine/tf';
import type { StandaloneNet } from './networks/standalone';

// The retrained model in the TF.js layers format: model.json (topology + weights manifest) and weights.bin,
// loadable with tf.loadLayersModel (a URL in the browser, `file://` with tfjs-node, or loadExportedModel
// here), plus nas-studio.json saying what the input must be (size, normalisation) and what the model is.

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'nas-studio.json';

/** What a user of the exported model needs to know beside the graph. */
export interface ExportMetadata {
  architecture: string;
  space: string;
  classes: number;
  inputShape: [number, number, number];
  /** Per-channel (x/255 − mean) / std, after centring the image in the input size with zero padding. */
  normalization: { mean: number[]; std: number[] };
  /** The model outputs logits (apply softmax for probabilities). */
  output: 'logits';
  testAccuracy: number | null;
}

type WeightData = ArrayBuffer | ArrayBuffer[];

function joinWeights(data: WeightData | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  return Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
}

/** An IOHandler that writes and reads model.json + weights.bin in a folder (the tfjs-node `file://` layout). */
export function folderIO(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts) {
      mkdirSync(dir, { recursive: true });
      const weights = joinWeights(artifacts.weightData as WeightData | undefined);
      const model = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      // Written beside, then renamed: a reader never sees a model.json whose weights are half written.
      writeFileSync(join(dir, `${WEIGHTS_FILE}.tmp`), weights);
      writeFileSync(join(dir, `${MODEL_FILE}.tmp`), JSON.stringify(model));
      renameSync(join(dir, `${WEIGHTS_FILE}.tmp`), join(dir, WEIGHTS_FILE));
      renameSync(join(dir, `${MODEL_FILE}.tmp`), join(dir, MODEL_FILE));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    },
    async load() {
      const model = JSON.parse(readFileSync(join(dir, MODEL_FILE), 'utf8')) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
      };
      const buffers = model.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
      const all = Buffer.concat(buffers);
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** Saves the network's tf.layers twin and its metadata into `dir` (created; an earlier export is replaced). */
export async function exportModel(net: StandaloneNet, dir: string, metadata: ExportMetadata): Promise<string> {
  const model = net.toLayersModel();
  try {
    rmSync(join(dir, MODEL_FILE), { force: true });
    await model.save(folderIO(dir));
    writeFileSync(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
  } catch (e) {
    throw new Error(`Could not export the model to ${dir}: ${(e as Error).message}. Choose a folder you can write to.`);
  } finally {
    model.dispose();
  }
  return dir;
}

/** tf.loadLayersModel on an exported folder. */
export function loadExportedModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(folderIO(dir));
}
