/**
 * The New-run pre-flight's size of each search space (src/shared/spaces/search-size.ts), against the figures
 * the papers give: NAS-Bench-201 holds 15,625 cells, the DARTS space about 10^18 architectures (Liu et al.,
 * §2.4 / appendix), and a chosen op subset shrinks them.
 */
import { describe, expect, it } from 'vitest';
import { describeSearchSize } from '../../../src/shared/spaces/search-size';

describe('describeSearchSize', () => {
  it('NAS-Bench-201: 15,625 cells with every op, 4^6 with four', () => {
    expect(describeSearchSize('nb201', {})).toEqual({ shape: '6 edges × 5 ops', size: '15,625' });
    expect(describeSearchSize('nb201', { ops: ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3'] }).size).toBe('4,096');
  });

  it('DARTS: about 10^18 with 4 nodes and the 8 ops; nodes come back for the plan', () => {
    const d = describeSearchSize('darts', {});
    expect(d.shape).toBe('14 edges × 8 ops');
    expect(d.size).toMatch(/^≈ 1\.\d × 10\^18$/);
    expect(d.nodes).toBe(4);
    expect(describeSearchSize('darts', { nodes: 2 }).shape).toBe('5 edges × 8 ops');
  });

  it('mobilenet counts per-image policies; SPD has 2-node cells of 6 ops', () => {
    expect(describeSearchSize('mobilenet', { blocks: 2 })).toEqual({ shape: '2 blocks × 5 ops, a path per image', size: '≈ 1.0 × 10^3 policies' });
    const spd = describeSearchSize('spd', {});
    expect(spd.shape).toBe('5 edges × 6 ops');
    expect(spd.nodes).toBe(2);
  });
});
