import os from 'node:os';
import { buildSupernet, loadTrainingSet, type SearchJob } from '../nas/job';
import { WASM_HEAP_BYTES, type MemoryFacts } from '../nas/engine/errors';
import { estimateActivationBytes } from '../nas/engine/recompute';
import * as tf from '../nas/engine/tf';

/** The V8 heap the trainer process is given (local-process-backend: --max-old-space-size=4096). */
const JS_HEAP_BYTES = 4096 * 2 ** 20;

/**
 * After an out-of-memory failure: measures the failed supernet's activations per image for the memory model
 * (errors.ts adviseMemory). The backend that failed is unusable (the wasm heap aborted), so the probe runs on
 * the plain cpu backend, whose tensors have the same sizes. Null when even that cannot be measured.
 */
export async function measureMemoryFacts(job: SearchJob, failedBackend: string): Promise<MemoryFacts | null> {
  try {
    const limitBytes = failedBackend === 'wasm' ? WASM_HEAP_BYTES : failedBackend === 'tensorflow' ? os.totalmem() : JS_HEAP_BYTES;
    if (!job.data || job.data.kind === 'spd') return null; // a dry run trains nothing; the memory model is for image supernets
    await tf.setBackend('cpu');
    const train = loadTrainingSet(job.data, { ...job.config, trainLimit: 4 * 100 });
    const inputShape: [number, number, number] = job.config.augment ? [32, 32, train.channels] : [train.height, train.width, train.channels];
    const net = buildSupernet(job.config, inputShape, train.classes);
    try {
      return { activationBytesPerImage: estimateActivationBytes(net, inputShape, 1), limitBytes };
    } finally {
      net.dispose();
    }
  } catch {
    return null;
  }
}
