import { describe, expect, it } from 'vitest';
import { CollapseMonitor, meanRowEntropy } from '../../../../src/main/nas/strategies/collapse';

// The collapse indicator warns on signals that persist, not on the noise of one epoch.

const NB201_MIXED = ['nor_conv_3x3', 'skip_connect', 'avg_pool_3x3', 'nor_conv_1x1', 'nor_conv_3x3', 'none'];
const NB201_SKIPPY = ['skip_connect', 'skip_connect', 'skip_connect', 'nor_conv_1x1', 'none', 'skip_connect'];

describe('collapse indicator', () => {
  it('skip connections: warns on the 3rd epoch in a row with half the ops skips, once', () => {
    const m = new CollapseMonitor();
    const ops = [NB201_SKIPPY, NB201_MIXED, NB201_SKIPPY, NB201_SKIPPY, NB201_SKIPPY, NB201_SKIPPY];
    const warnings = ops.map((o, epoch) => m.observe(epoch, epoch, o, [], null));
    // Epoch 0 alone, then a break: the streak restarts at epoch 2 and reaches 3 at epoch 4.
    expect(warnings.map((w) => w !== null)).toEqual([false, false, false, false, true, false]);
    expect(warnings[4]!.message).toMatch(/4 of 6 chosen ops are skip connections, for 3 epochs in a row/);
    expect(warnings[4]!.skipShare).toBeCloseTo(4 / 6);
  });

  it('λ_max: one spike does not warn; a sustained rise of the 3-epoch average does', () => {
    const spike = new CollapseMonitor();
    const noisy = [0.2, 0.015, 1.18, 0.2, 0.1, 0.2, 0.15, 0.2];
    expect(noisy.map((l, e) => spike.observe(e, e, NB201_MIXED, [], l)).every((w) => w === null)).toBe(true);

    const rising = new CollapseMonitor();
    // Averages of 3: 1, 1, 1, 1, then (1 + 1 + 2)/3 = 1.33 at the 8th value: 1.33 / 1 > 1.3 against 4 back.
    const values = [1, 1, 1, 1, 1, 1, 1, 2];
    const w = values.map((l, e) => rising.observe(e, e, NB201_MIXED, [], l));
    expect(w.slice(0, 7).every((x) => x === null)).toBe(true);
    expect(w[7]!.message).toMatch(/average rose 1\.33× in 4 epochs/);
  });

  it('survives a checkpoint: the streak and the λ history are part of its state', () => {
    const a = new CollapseMonitor();
    a.observe(0, 0, NB201_SKIPPY, [], 1);
    a.observe(1, 1, NB201_SKIPPY, [], 1);
    const b = new CollapseMonitor();
    b.load(JSON.parse(JSON.stringify(a.save())));
    expect(b.observe(2, 2, NB201_SKIPPY, [], 1)?.message).toMatch(/for 3 epochs in a row/);
  });

  it('α entropy: 1 for uniform rows, 0 for one-hot rows', () => {
    expect(meanRowEntropy([[0.25, 0.25, 0.25, 0.25]])).toBeCloseTo(1);
    expect(meanRowEntropy([[1, 0, 0, 0]])).toBe(0);
  });
});
