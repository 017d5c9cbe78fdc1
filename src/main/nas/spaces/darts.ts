import { ArchMasks, archWeights } from '../engine/arch-weights';
import * as tf from '../engine/tf';
import { DARTS_OPS, dartsEdges, isReductionCell } from '../../../shared/spaces/darts';
import {
  avgPool3x3,
  batchNorm,
  classifierHead,
  convBn,
  dilConv,
  factorizedReduce,
  identity,
  maxPool3x3,
  reluConvBn,
  sepConv,
  type ForwardContext,
  type Layer,
} from '../engine/layers';
import { mixedOp, sumAll, weightRow, type Candidate } from '../engine/mixed-op';
import { orderedOpSubset } from '../../../shared/spaces/op-subset';
import { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';
import type { ForwardSegment, Supernet } from '../engine/supernet';

// DARTS CNN cell space (ALGORITHMS.md §1.1), search configuration: BN without affine, pools followed by BN,
// α_normal and α_reduce shared by all cells of their type.

export interface DartsSupernetOptions {
  channels: number;
  layers: number;
  steps?: number;
  inputShape: readonly [number, number, number];
  classes: number;
  ops?: readonly string[];
  stemMultiplier?: number;
}

export function resolveDartsOps(ops: readonly string[] | undefined): string[] {
  return orderedOpSubset('DARTS', DARTS_OPS, ops);
}

export function dartsCandidate(p: ParamStore, name: string, op: string, c: number, stride: number): Candidate {
  const affine = false;
  switch (op) {
    case 'none':
      return null;
    case 'max_pool_3x3': {
      const pool = maxPool3x3(stride);
      const bn = p.batchNorm(`${name}.bn`, c, false);
      return (ctx, x) => batchNorm(ctx, pool(ctx, x), bn);
    }
    case 'avg_pool_3x3': {
      const pool = avgPool3x3(stride);
      const bn = p.batchNorm(`${name}.bn`, c, false);
      return (ctx, x) => batchNorm(ctx, pool(ctx, x), bn);
    }
    case 'skip_connect':
      return stride === 1 ? identity() : factorizedReduce(p, name, c, c, affine);
    case 'sep_conv_3x3':
      return sepConv(p, name, c, c, 3, stride, affine);
    case 'sep_conv_5x5':
      return sepConv(p, name, c, c, 5, stride, affine);
    case 'dil_conv_3x3':
      return dilConv(p, name, c, c, 3, stride, 2, affine);
    case 'dil_conv_5x5':
      return dilConv(p, name, c, c, 5, stride, 2, affine);
    default:
      throw new Error(`Unknown DARTS op '${op}'.`);
  }
}

/** `decided`: the edges SGAS has fixed or pruned in this cell type (ArchMasks.selection), if any. */
type Cell = (ctx: ForwardContext, s0: tf.Tensor4D, s1: tf.Tensor4D, weights: tf.Tensor2D, decided?: ReadonlyArray<number | null>) => tf.Tensor4D;

function searchCell(
  p: ParamStore,
  name: string,
  ops: readonly string[],
  steps: number,
  cPrevPrev: number,
  cPrev: number,
  c: number,
  reduction: boolean,
  reductionPrev: boolean,
): Cell {
  const pre0: Layer = reductionPrev
    ? factorizedReduce(p, `${name}.pre0`, cPrevPrev, c, false)
    : reluConvBn(p, `${name}.pre0`, cPrevPrev, c, 1, 1, false);
  const pre1 = reluConvBn(p, `${name}.pre1`, cPrev, c, 1, 1, false);
  const edges = dartsEdges(steps).map((e) => {
    const stride = reduction && e.source < 2 ? 2 : 1;
    return { ...e, stride, candidates: ops.map((op) => dartsCandidate(p, `${name}.e${e.index}.${op}`, op, c, stride)) };
  });
  return (ctx, s0, s1, weights, decided) => {
    const states = [pre0(ctx, s0), pre1(ctx, s1)];
    for (let node = 0; node < steps; node++) {
      const incoming = edges.filter((e) => e.node === node);
      states.push(sumAll(incoming.map((e) => mixedOp(ctx, states[e.source], weightRow(weights, e.index), e.candidates, e.stride, decided?.[e.index]))));
    }
    return tf.concat(states.slice(2), 3);
  };
}

export function buildDartsSupernet(options: DartsSupernetOptions, rng: Rng): Supernet {
  const ops = resolveDartsOps(options.ops);
  const steps = options.steps ?? 4;
  const multiplier = steps;
  const stemMultiplier = options.stemMultiplier ?? 3;
  const params = new ParamStore(rng);
  let c = options.channels;
  const stem = convBn(params, 'stem', options.inputShape[2], stemMultiplier * c, 3, 1, true);
  let cPrevPrev = stemMultiplier * c;
  let cPrev = stemMultiplier * c;
  let reductionPrev = false;
  const cells: Array<{ reduction: boolean; run: Cell }> = [];
  for (let i = 0; i < options.layers; i++) {
    const reduction = isReductionCell(i, options.layers);
    if (reduction) c *= 2;
    cells.push({
      reduction,
      run: searchCell(params, `cell${i}`, ops, steps, cPrevPrev, cPrev, c, reduction, reductionPrev),
    });
    reductionPrev = reduction;
    cPrevPrev = cPrev;
    cPrev = multiplier * c;
  }
  const head = classifierHead(params, 'classifier', cPrev, options.classes);
  const edgeCount = dartsEdges(steps).length;
  // One α per cell type the network has (L ≤ 2 has only reduction cells), so no α is reported that nothing uses.
  const alphas = new Map<string, tf.Variable>();
  const masks = new ArchMasks();
  if (cells.some((cell) => !cell.reduction)) alphas.set('normal', ParamStore.alpha(edgeCount, ops.length, rng, 'alpha.normal'));
  if (cells.some((cell) => cell.reduction)) alphas.set('reduce', ParamStore.alpha(edgeCount, ops.length, rng, 'alpha.reduce'));

  // The forward pass as segments (recompute.ts): the state is the pair (s0, s1) of the last two cell outputs;
  // each cell maps it to (s1, cell(s0, s1)), passing s1 through as the same tensor object.
  const segments: ForwardSegment[] = [
    {
      name: 'stem',
      run: (ctx, [x]) => {
        const s = stem(ctx, x as tf.Tensor4D);
        return [s, s];
      },
    },
    ...cells.map(
      (cell, i): ForwardSegment => ({
        name: `cell${i}`,
        run: (ctx, [s0, s1], weights) => {
          const key = cell.reduction ? 'reduce' : 'normal';
          return [s1, cell.run(ctx, s0 as tf.Tensor4D, s1 as tf.Tensor4D, weights.get(key)!, masks.selection(key))];
        },
      }),
    ),
    { name: 'head', run: (_ctx, [, s1]) => [head(s1 as tf.Tensor4D)] },
  ];

  return {
    params,
    alphas,
    masks,
    ops,
    forward(ctx, x, weights) {
      const w = new Map<string, tf.Tensor2D>();
      for (const [key, a] of alphas) w.set(key, weights?.get(key) ?? archWeights(a, masks.get(key)));
      let state: tf.Tensor[] = [x];
      for (const seg of segments) state = seg.run(ctx, state, w);
      return state[0] as tf.Tensor2D;
    },
    segments: () => segments,
    dispose() {
      params.dispose();
      for (const a of alphas.values()) a.dispose();
      masks.clear();
    },
  };
}
