import * as tf from '../engine/tf';
import { ArchMasks } from '../engine/arch-weights';
import type { ForwardContext } from '../engine/layers';
import { weightRow } from '../engine/mixed-op';
import { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';
import { eigenvalues, karcherResidual, logEig, sparsemax } from '../engine/spd';
import type { Supernet } from '../engine/supernet';
import { dartsEdges } from '../../../shared/spaces/darts';
import { SPD_STEPS, isSpdReductionCell, spdEdgeOps, type SpdCellType, type SpdSpaceConfig } from '../../../shared/spaces/spd';
import { batchNormSpd, biMap, chain, reEigLayer, SpdParams, type Manifold, type SpdLayer } from './spd-layers';
import { spdCandidate, spdMixedOp, spdNode, type SpdOpSettings, type SpdProbe } from './spd-ops';

// The SPDNetNAS search network (ALGORITHMS.md §1.4): stem BiMap → BN, cells alternating reduction (even
// positions) and normal, head LogEig → flatten → linear. Input x is [batch, 1, n, n] (one SPD matrix per
// sample); architecture weights are sparsemax(α) per cell type, α rows = the 5 edges, columns = 6 ops.

/** A forward context that may carry a probe: the health metrics of one eval pass. */
export interface SpdForwardContext extends ForwardContext {
  probe?: SpdProbe;
}

export interface SpdSupernet extends Supernet {
  /** The manifold of each trainable weight, by its ParamStore name (absent = Euclidean). */
  readonly manifolds: ReadonlyMap<string, Manifold>;
  /** Op names of every α row, per cell type (the two cell types' edges use different op lists). */
  readonly edgeOps: Record<string, string[][]>;
  /** Karcher residual (mean over mixed ops) and eigenvalue range of the activations, on one batch in eval mode. */
  health(x: tf.Tensor4D): { karcherResidual: number; eigMin: number; eigMax: number };
}

type Cell = (ctx: SpdForwardContext, s0: tf.Tensor4D, s1: tf.Tensor4D, weights: tf.Tensor2D) => tf.Tensor4D;

function observeEigenvalues(ctx: SpdForwardContext, x: tf.Tensor): void {
  if (!ctx.probe) return;
  const values = eigenvalues(x);
  for (const v of values) {
    ctx.probe.eigMin = Math.min(ctx.probe.eigMin, v);
    ctx.probe.eigMax = Math.max(ctx.probe.eigMax, v);
  }
}

function searchCell(p: SpdParams, name: string, type: SpdCellType, settings: SpdOpSettings, sizes: { prevPrev: number; prev: number }, channels: { prevPrev: number; prev: number }): { run: Cell; size: number } {
  const c = settings.channels;
  const n = sizes.prev;
  const reeig = reEigLayer(settings.reEigEps);
  const pre0: SpdLayer = chain(reeig, biMap(p, `${name}.pre0`, channels.prevPrev, c, sizes.prevPrev, n), batchNormSpd(p, `${name}.pre0.bn`, n, settings.karcherSteps));
  const pre1: SpdLayer = chain(reeig, biMap(p, `${name}.pre1`, channels.prev, c, n, n), batchNormSpd(p, `${name}.pre1.bn`, n, settings.karcherSteps));
  const reduction = type === 'reduce';
  const out = reduction ? Math.floor(n / 2) : n;
  const ops = spdEdgeOps(type);
  const edges = dartsEdges(SPD_STEPS).map((e) => {
    const size = reduction && e.source >= 2 ? out : n;
    return { ...e, candidates: ops[e.index].map((op) => spdCandidate(p, `${name}.e${e.index}.${op}`, op, size, settings)) };
  });
  const run: Cell = (ctx, s0, s1, weights) => {
    const states = [pre0(ctx, s0), pre1(ctx, s1)];
    const onMean = ctx.probe ? (xs: tf.Tensor, w: tf.Tensor1D, mean: tf.Tensor) => ctx.probe!.residuals.push(karcherResidual(xs, w, mean)) : undefined;
    for (let node = 0; node < SPD_STEPS; node++) {
      const incoming = edges.filter((e) => e.node === node);
      states.push(spdNode(incoming.map((e) => spdMixedOp(ctx, states[e.source], weightRow(weights, e.index), e.candidates, settings.karcherSteps, onMean)), settings.karcherSteps));
    }
    return tf.concat(states.slice(2), 1) as tf.Tensor4D;
  };
  return { run, size: out };
}

/** `inputShape`: [n, n, 1] for n×n input matrices. */
export function buildSpdSupernet(space: SpdSpaceConfig, inputShape: readonly [number, number, number], classes: number, rng: Rng): SpdSupernet {
  const n = inputShape[0];
  if (inputShape[1] !== n) throw new Error(`The SPD space needs square matrices; got ${inputShape[0]}×${inputShape[1]}.`);
  const size0 = space.matrixSize || n;
  if (size0 > n) throw new Error(`The SPD space's matrix size ${size0} is larger than the ${n}×${n} input matrices; choose at most ${n} (or 0 to keep ${n}).`);
  const store = new ParamStore(rng);
  const p = new SpdParams(store, rng);
  const settings: SpdOpSettings = { channels: space.channels, karcherSteps: space.karcherSteps, reEigEps: space.reEigEps };
  const stem = chain(biMap(p, 'stem', 1, space.channels, n, size0), batchNormSpd(p, 'stem.bn', size0, space.karcherSteps));
  const cells: Array<{ type: SpdCellType; run: Cell }> = [];
  let sizes = { prevPrev: size0, prev: size0 };
  let channels = { prevPrev: space.channels, prev: space.channels };
  for (let i = 0; i < space.cells; i++) {
    const type: SpdCellType = isSpdReductionCell(i) ? 'reduce' : 'normal';
    if (type === 'reduce' && sizes.prev < 4) {
      throw new Error(`Cell ${i} of the SPD space would reduce ${sizes.prev}×${sizes.prev} matrices, too small to halve; use fewer cells or a larger matrix size.`);
    }
    const cell = searchCell(p, `cell${i}`, type, settings, sizes, channels);
    cells.push({ type, run: cell.run });
    sizes = { prevPrev: sizes.prev, prev: cell.size };
    channels = { prevPrev: channels.prev, prev: SPD_STEPS * space.channels };
  }
  const head = store.dense('classifier', channels.prev * sizes.prev * sizes.prev, classes);
  const alphas = new Map<string, tf.Variable>();
  for (const type of ['normal', 'reduce'] as const) {
    if (cells.some((c) => c.type === type)) alphas.set(type, ParamStore.alpha(dartsEdges(SPD_STEPS).length, 6, rng, `alpha.${type}`));
  }
  const edgeOps = Object.fromEntries([...alphas.keys()].map((type) => [type, spdEdgeOps(type as SpdCellType)]));

  function forward(ctx: SpdForwardContext, x: tf.Tensor4D, weights?: ReadonlyMap<string, tf.Tensor2D>): tf.Tensor2D {
    const w = new Map<string, tf.Tensor2D>();
    for (const [key, a] of alphas) w.set(key, weights?.get(key) ?? sparsemax(a as unknown as tf.Tensor2D));
    let s0 = stem(ctx, x);
    observeEigenvalues(ctx, s0);
    let s1 = s0;
    for (const cell of cells) {
      const out = cell.run(ctx, s0, s1, w.get(cell.type)!);
      observeEigenvalues(ctx, out);
      s0 = s1;
      s1 = out;
    }
    const features = tf.reshape(logEig(s1), [x.shape[0], -1]);
    return tf.add(tf.matMul(features, head.kernel), head.bias) as tf.Tensor2D;
  }

  return {
    params: store,
    alphas,
    masks: new ArchMasks(),
    // The normal op list names the columns; per-row names (reduction edges differ) are in edgeOps.
    ops: edgeOps.normal?.[0] ?? edgeOps.reduce[4],
    manifolds: p.manifolds,
    edgeOps,
    forward,
    health(x) {
      const probe: SpdProbe = { residuals: [], eigMin: Infinity, eigMax: -Infinity };
      tf.tidy(() => {
        forward({ training: false, bnUpdates: null, probe }, x);
      });
      const karcher = probe.residuals.length ? probe.residuals.reduce((a, b) => a + b, 0) / probe.residuals.length : 0;
      return { karcherResidual: karcher, eigMin: probe.eigMin, eigMax: probe.eigMax };
    },
    dispose() {
      store.dispose();
      for (const a of alphas.values()) a.dispose();
    },
  };
}
