import { describe, expect, it } from 'vitest';
import { isOutOfMemory, triageTrainingError } from '../../../../src/main/nas/engine/errors';

// The messages below are the ones tfjs-backend-wasm produced when the "big" supernet at batch 64 exhausted its
// heap (test/bench/train-step), and V8's own allocation failure.
describe('training error triage', () => {
  it('recognises the wasm backend’s out-of-memory failures and names the fix', () => {
    for (const message of [
      'XNN status for xnn_create_fully_connected_nc_f32 is not successful. Got status 6. Use -c dbg to see XNN logs.',
      'RuntimeError: memory access out of bounds',
      'RangeError: Array buffer allocation failed',
    ]) {
      expect(isOutOfMemory(new Error(message))).toBe(true);
      const t = triageTrainingError(new Error(message), { batchSize: 64, channels: 16, backend: 'wasm' });
      expect(t.message).toMatch(/^Out of memory: .*WebAssembly.* at batch 64 with C = 16/);
      expect(t.hint).toMatch(/batch size \(e\.g\. 32\) or the channel count C/);
    }
  });

  it('passes other errors through with their own hint', () => {
    const err = Object.assign(new Error('The training loss became NaN at epoch 3, step 40: the search diverged.'), { hint: 'Lower the weight learning rate (wLr).' });
    expect(isOutOfMemory(err)).toBe(false);
    expect(triageTrainingError(err, { batchSize: 64, channels: 16 })).toEqual({ message: err.message, hint: 'Lower the weight learning rate (wLr).' });
    expect(triageTrainingError(new Error('boom'), { batchSize: 8, channels: 4 })).toEqual({ message: 'boom', hint: null });
  });
});
