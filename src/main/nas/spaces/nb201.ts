import { ArchMasks, archWeights } from '../engine/arch-weights';
import * as tf from '../engine/tf';
import { NB201_EDGES, NB201_NODES, NB201_OPS } from '../../../shared/spaces/nb201';
import { avgPool3x3, batchNorm, classifierHead, convBn, identity, reluConvBn, type ForwardContext, type Layer } from '../engine/layers';
import { mixedOp, sumAll, weightRow, type Candidate } from '../engine/mixed-op';
import { orderedOpSubset } from '../../../shared/spaces/op-subset';
import { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';
import type { ForwardSegment, Supernet } from '../engine/supernet';

// NAS-Bench-201 supernet (ALGORITHMS.md §1.2): stem → N cells (C) → residual reduction → N cells (2C) →
// residual reduction → N cells (4C) → BN → ReLU → GAP → linear. One α (6 edges × ops) shared by all cells.

export interface Nb201SupernetOptions {
  channels: number;
  cellsPerStage: number;
  /** [H, W, C] of one input image. */
  inputShape: readonly [number, number, number];
  classes: number;
  /** Subset of NB201_OPS, in that order; default all five. */
  ops?: readonly string[];
  /** Number of stages (3 in the benchmark); fewer makes tiny test networks. */
  stages?: number;
}

export function resolveNb201Ops(ops: readonly string[] | undefined): string[] {
  return orderedOpSubset('NAS-Bench-201', NB201_OPS, ops);
}

export function nb201Candidate(p: ParamStore, name: string, op: string, c: number): Candidate {
  switch (op) {
    case 'none':
      return null;
    case 'skip_connect':
      return identity();
    case 'nor_conv_1x1':
      return reluConvBn(p, name, c, c, 1, 1, false);
    case 'nor_conv_3x3':
      return reluConvBn(p, name, c, c, 3, 1, false);
    case 'avg_pool_3x3':
      return avgPool3x3(1);
    default:
      throw new Error(`Unknown NAS-Bench-201 op '${op}'.`);
  }
}

/** ReLU-conv3×3(s2)-BN → ReLU-conv3×3-BN, plus avg-pool(2) → conv1×1 shortcut. */
function residualReduction(p: ParamStore, name: string, cin: number, cout: number): Layer {
  const a = reluConvBn(p, `${name}.a`, cin, cout, 3, 2, true);
  const b = reluConvBn(p, `${name}.b`, cout, cout, 3, 1, true);
  const shortcut = p.conv(`${name}.shortcut`, 1, 1, cin, cout);
  return (ctx, x) => {
    const main = b(ctx, a(ctx, x));
    const sc = tf.conv2d(tf.avgPool(x, 2, 2, 'valid'), shortcut as tf.Tensor4D, 1, 0);
    return tf.add(main, sc);
  };
}

/** `decided`: the edges SGAS has fixed in the cell (ArchMasks.selection), if any. */
type Cell = (ctx: ForwardContext, x: tf.Tensor4D, weights: tf.Tensor2D, decided?: ReadonlyArray<number | null>) => tf.Tensor4D;

function searchCell(p: ParamStore, name: string, ops: readonly string[], c: number): Cell {
  const edges = NB201_EDGES.map(([from, to]) => ops.map((op) => nb201Candidate(p, `${name}.e${from}${to}.${op}`, op, c)));
  return (ctx, x, weights, decided) => {
    const nodes: tf.Tensor4D[] = [x];
    let e = 0;
    for (let to = 1; to < NB201_NODES; to++) {
      const inputs: tf.Tensor4D[] = [];
      for (let from = 0; from < to; from++, e++) inputs.push(mixedOp(ctx, nodes[from], weightRow(weights, e), edges[e], 1, decided?.[e]));
      nodes.push(sumAll(inputs));
    }
    return nodes[NB201_NODES - 1];
  };
}

export function buildNb201Supernet(options: Nb201SupernetOptions, rng: Rng): Supernet {
  const ops = resolveNb201Ops(options.ops);
  const stages = options.stages ?? 3;
  const params = new ParamStore(rng);
  const [, , inC] = options.inputShape;
  const stem = convBn(params, 'stem', inC, options.channels, 3, 1, true);
  const blocks: Array<{ kind: 'cell'; run: Cell } | { kind: 'layer'; run: Layer }> = [];
  let c = options.channels;
  for (let s = 0; s < stages; s++) {
    if (s > 0) {
      blocks.push({ kind: 'layer', run: residualReduction(params, `stage${s}.reduce`, c, c * 2) });
      c *= 2;
    }
    for (let i = 0; i < options.cellsPerStage; i++) {
      blocks.push({ kind: 'cell', run: searchCell(params, `stage${s}.cell${i}`, ops, c) });
    }
  }
  const lastBn = params.batchNorm('lastact.bn', c, true);
  const head = classifierHead(params, 'classifier', c, options.classes);
  const alpha = ParamStore.alpha(NB201_EDGES.length, ops.length, rng, 'alpha.cell');
  const alphas = new Map([['cell', alpha]]);
  const masks = new ArchMasks();

  // The forward pass as segments (recompute.ts): stem, each cell / reduction block, then the head.
  const segments: ForwardSegment[] = [
    { name: 'stem', run: (ctx, [x]) => [stem(ctx, x as tf.Tensor4D)] },
    ...blocks.map((block, i): ForwardSegment => ({
      name: `block${i}.${block.kind}`,
      run:
        block.kind === 'cell'
          ? (ctx, [h], weights) => [block.run(ctx, h as tf.Tensor4D, weights.get('cell')!, masks.selection('cell'))]
          : (ctx, [h]) => [block.run(ctx, h as tf.Tensor4D)],
    })),
    { name: 'head', run: (ctx, [h]) => [head(tf.relu(batchNorm(ctx, h as tf.Tensor4D, lastBn)))] },
  ];

  return {
    params,
    alphas,
    masks,
    ops,
    forward(ctx, x, weights) {
      const w = new Map([['cell', weights?.get('cell') ?? archWeights(alpha, masks.get('cell'))]]);
      let state: tf.Tensor[] = [x];
      for (const seg of segments) state = seg.run(ctx, state, w);
      return state[0] as tf.Tensor2D;
    },
    segments: () => segments,
    dispose() {
      params.dispose();
      alpha.dispose();
      masks.clear();
    },
  };
}
