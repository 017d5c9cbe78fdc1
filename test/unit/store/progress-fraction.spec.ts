import { describe, expect, it } from 'vitest';
import { progressFraction } from '../../../src/main/store/store';

describe('progressFraction', () => {
  it('counts finished epochs plus the fraction of the current one', () => {
    expect(progressFraction({ epoch: 0, epochs: 4, step: 0, stepsPerEpoch: 100 })).toBe(0);
    expect(progressFraction({ epoch: 1, epochs: 4, step: 50, stepsPerEpoch: 100 })).toBe(0.375);
    expect(progressFraction({ epoch: 3, epochs: 4, step: 100, stepsPerEpoch: 100 })).toBe(1);
  });

  it('stays within 0..1 for out-of-range or degenerate input', () => {
    expect(progressFraction({ epoch: 9, epochs: 4, step: 500, stepsPerEpoch: 100 })).toBe(1);
    expect(progressFraction({ epoch: -1, epochs: 4, step: 0, stepsPerEpoch: 100 })).toBe(0);
    expect(progressFraction({ epoch: 2, epochs: 0, step: 0, stepsPerEpoch: 0 })).toBe(0);
    expect(progressFraction({ epoch: 2, epochs: 4, step: 5, stepsPerEpoch: 0 })).toBe(0.5);
  });
});
