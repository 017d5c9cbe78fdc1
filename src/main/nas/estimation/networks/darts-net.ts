import { isReductionCell, type DartsGenotype, type GenotypeEntry } from '../../../../shared/spaces/darts';
import type { NetOps, Topology } from './net-ops';

// DARTS's evaluation network (NetworkCIFAR of the DARTS code, ALGORITHMS §1.1): 3×3 conv stem (3C) → BN → L
// cells, reductions at ⌊L/3⌋ and ⌊2L/3⌋ doubling C → GAP → linear, with affine BNs, plain pools (no BN after
// them), drop-path on every op that is not an identity, and the auxiliary head after cell ⌊2L/3⌋.

export interface DartsNetOptions {
  genotype: DartsGenotype;
  channels: number;
  layers: number;
  classes: number;
  auxiliary: boolean;
  stemMultiplier?: number;
}

function op<T>(o: NetOps<T>, name: string, kind: string, x: T, c: number, stride: number): T {
  switch (kind) {
    case 'max_pool_3x3':
      return o.maxPool3(x, stride);
    case 'avg_pool_3x3':
      return o.avgPool3(x, stride);
    case 'skip_connect':
      return stride === 1 ? x : o.factorizedReduce(name, x, c);
    case 'sep_conv_3x3':
    case 'sep_conv_5x5': {
      const k = kind === 'sep_conv_3x3' ? 3 : 5;
      return o.reluSepConvBn(`${name}.1`, o.reluSepConvBn(`${name}.0`, x, c, k, stride, 1), c, k, 1, 1);
    }
    case 'dil_conv_3x3':
      return o.reluSepConvBn(name, x, c, 3, stride, 2);
    case 'dil_conv_5x5':
      return o.reluSepConvBn(name, x, c, 5, stride, 2);
    default:
      throw new Error(`The DARTS evaluation network has no op '${kind}'.`);
  }
}

function cell<T>(o: NetOps<T>, name: string, s0: T, s1: T, entries: readonly GenotypeEntry[], concat: readonly number[], c: number, reduction: boolean, reductionPrev: boolean): T {
  const states = [reductionPrev ? o.factorizedReduce(`${name}.pre0`, s0, c) : o.reluConvBn(`${name}.pre0`, s0, c, 1, 1), o.reluConvBn(`${name}.pre1`, s1, c, 1, 1)];
  for (let node = 0; node < entries.length / 2; node++) {
    const terms = [0, 1].map((j) => {
      const [kind, input] = entries[2 * node + j];
      const stride = reduction && input < 2 ? 2 : 1;
      const h = op(o, `${name}.n${node}.${j}`, kind, states[input], c, stride);
      // Identity ops are never dropped (DARTS: `not isinstance(op, Identity)`).
      return kind === 'skip_connect' && stride === 1 ? h : o.dropPath(h);
    });
    states.push(o.add(terms));
  }
  return o.concat(concat.map((i) => states[i]));
}

export function dartsTopology(opts: DartsNetOptions): Topology {
  const stemC = (opts.stemMultiplier ?? 3) * opts.channels;
  return (o, x) => {
    const stem = o.convBn('stem', x, stemC, 3, 1);
    let [s0, s1] = [stem, stem];
    let c = opts.channels;
    let reductionPrev = false;
    let aux = null;
    for (let i = 0; i < opts.layers; i++) {
      const reduction = isReductionCell(i, opts.layers);
      if (reduction) c *= 2;
      const g = opts.genotype;
      const next = cell(o, `cell${i}`, s0, s1, reduction ? g.reduce : g.normal, reduction ? g.reduceConcat : g.normalConcat, c, reduction, reductionPrev);
      [s0, s1] = [s1, next];
      reductionPrev = reduction;
      if (i === Math.floor((2 * opts.layers) / 3) && opts.auxiliary && o.training) aux = o.auxiliaryHead('aux', s1, opts.classes);
    }
    return { logits: o.classifier('classifier', s1, opts.classes), aux };
  };
}
