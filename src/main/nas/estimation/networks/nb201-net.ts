import { NB201_EDGES, NB201_NODES, type Nb201Op } from '../../../../shared/spaces/nb201';
import type { NetOps, Topology } from './net-ops';

// NAS-Bench-201's stand-alone macro network (ALGORITHMS §1.2; the benchmark's TinyNetwork): 3×3 conv stem → BN
// → N cells (C) → residual block (2C, stride 2) → N cells (2C) → residual block (4C) → N cells (4C) → BN → ReLU
// → GAP → linear. Every cell is the given one; BNs are affine. `none` edges add nothing (zeros).

export interface Nb201NetOptions {
  ops: readonly Nb201Op[];
  channels: number;
  cellsPerStage: number;
  classes: number;
}

/** Nodes whose value reaches the output: an edge out of any other node computes nothing that is used. */
export function liveNodes(ops: readonly Nb201Op[]): boolean[] {
  const live = Array.from({ length: NB201_NODES }, (_, j) => j === NB201_NODES - 1);
  for (let j = NB201_NODES - 2; j >= 0; j--) live[j] = NB201_EDGES.some(([from, to], e) => from === j && ops[e] !== 'none' && live[to]);
  return live;
}

function cell<T>(o: NetOps<T>, name: string, x: T, ops: readonly Nb201Op[], c: number): T {
  const live = liveNodes(ops);
  const nodes: T[] = [x];
  for (let to = 1; to < NB201_NODES; to++) {
    const inputs: T[] = [];
    NB201_EDGES.forEach(([from, target], e) => {
      // Dead edges are left out, as the exported graph (built back from the output) leaves them out.
      if (target !== to || !live[to]) return;
      const edge = `${name}.e${from}${to}`;
      const src = nodes[from];
      switch (ops[e]) {
        case 'none':
          break;
        case 'skip_connect':
          inputs.push(src);
          break;
        case 'nor_conv_1x1':
          inputs.push(o.reluConvBn(edge, src, c, 1, 1));
          break;
        case 'nor_conv_3x3':
          inputs.push(o.reluConvBn(edge, src, c, 3, 1));
          break;
        case 'avg_pool_3x3':
          inputs.push(o.avgPool3(src, 1));
          break;
      }
    });
    if (!live[to]) nodes.push(x); // a placeholder: nothing reads a dead node
    else nodes.push(inputs.length ? o.add(inputs) : o.zeros(`${name}.node${to}`, x, 1));
  }
  return nodes[NB201_NODES - 1];
}

/** ReLU-conv3×3(s2)-BN → ReLU-conv3×3-BN, plus avg-pool(2) → conv1×1. */
function residualBlock<T>(o: NetOps<T>, name: string, x: T, cout: number): T {
  const main = o.reluConvBn(`${name}.b`, o.reluConvBn(`${name}.a`, x, cout, 3, 2), cout, 3, 1);
  return o.add([main, o.poolConvShortcut(`${name}.shortcut`, x, cout)]);
}

export function nb201Topology(opts: Nb201NetOptions): Topology {
  return (o, x) => {
    let h = o.convBn('stem', x, opts.channels, 3, 1);
    let c = opts.channels;
    for (let s = 0; s < 3; s++) {
      if (s > 0) {
        c *= 2;
        h = residualBlock(o, `stage${s}.reduce`, h, c);
      }
      for (let i = 0; i < opts.cellsPerStage; i++) h = cell(o, `stage${s}.cell${i}`, h, opts.ops, c);
    }
    return { logits: o.classifier('classifier', o.bnRelu('lastact', h), opts.classes), aux: null };
  };
}
