import * as tf from '../engine/tf';
import type { ForwardContext } from '../engine/layers';
import { ParamStore } from '../engine/params';
import type { Rng } from '../engine/rng';
import { logEig } from '../engine/spd';
import type { DartsGenotype, GenotypeEntry } from '../../../shared/spaces/darts';
import { SPD_STEPS, isSpdReductionCell, type SpdSpaceConfig } from '../../../shared/spaces/spd';
import { batchNormSpd, biMap, chain, reEigLayer, SpdParams, type Manifold, type SpdLayer } from '../spaces/spd-layers';
import { spdCandidate, spdNode } from '../spaces/spd-ops';

// Stand-alone SPD networks for the evaluation stage (ALGORITHMS §7.3): the SPDNet baseline (Huang & Van Gool
// 2017: a hand-designed BiMap → ReEig stack, LogEig, a linear classifier) and the network of a derived
// SPDNetNAS cell (the search network's layout with each edge's one chosen op instead of the mixed op). Both
// put their weights on the manifolds the Riemannian trainer (spdnet-train.ts) steps: Stiefel BiMaps, SPD
// batch-norm biases, Euclidean classifier.

export interface SpdNet {
  readonly label: string;
  readonly params: ParamStore;
  readonly manifolds: ReadonlyMap<string, Manifold>;
  forward(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor2D;
  countParams(): number;
  /**
   * Multiply-adds of the matrix products for one input matrix: every BiMap WᵀXW (n_in²·n_out + n_in·n_out² per
   * channel pair) and the classifier. The eigendecompositions (iterative Jacobi sweeps) are not counted.
   */
  countMacs(): number;
  dispose(): void;
}

function matrixProductMacs(store: ParamStore, manifolds: ReadonlyMap<string, Manifold>, head: tf.Variable): number {
  let macs = head.size;
  for (const [name, v] of store.trainable) {
    if (manifolds.get(name) !== 'stiefel') continue;
    // A BiMap weight is [c_out, c_in, n_in, n_out].
    const [cout, cin, nIn, nOut] = v.shape;
    macs += cout * cin * (nIn * nIn * nOut + nIn * nOut * nOut);
  }
  return macs;
}

/** The reference SPDNet for RADAR maps 20 → 16 → 8: each BiMap to about 4/5 and then 2/5 of the input size. */
export function spdnetSizes(n: number): number[] {
  return [n, Math.max(2, Math.round(n * 0.8)), Math.max(2, Math.round(n * 0.4))];
}

function classifier(store: ParamStore, features: number, classes: number, body: SpdLayer, label: string, manifolds: ReadonlyMap<string, Manifold>): SpdNet {
  const head = store.dense('classifier', features, classes);
  return {
    label,
    params: store,
    manifolds,
    forward(ctx, x) {
      const y = body(ctx, x);
      const flat = tf.reshape(logEig(y), [x.shape[0], -1]);
      return tf.add(tf.matMul(flat, head.kernel), head.bias) as tf.Tensor2D;
    },
    countParams: () => [...store.trainable.values()].reduce((a, v) => a + v.size, 0),
    countMacs: () => matrixProductMacs(store, manifolds, head.kernel),
    dispose: () => store.dispose(),
  };
}

/** SPDNet: BiMap → ReEig per hidden size, then LogEig → linear. `sizes` starts with the input size n. */
export function buildSpdnet(sizes: number[], classes: number, rng: Rng, reEigEps = 1e-4): SpdNet {
  const store = new ParamStore(rng);
  const p = new SpdParams(store, rng);
  const layers: SpdLayer[] = [];
  for (let i = 1; i < sizes.length; i++) {
    layers.push(biMap(p, `bimap${i}`, 1, 1, sizes[i - 1], sizes[i]));
    // The last BiMap feeds LogEig directly, as in the reference (ReEig between BiMaps only).
    if (i < sizes.length - 1) layers.push(reEigLayer(reEigEps));
  }
  const last = sizes[sizes.length - 1];
  return classifier(store, last * last, classes, chain(...layers), `SPDNet ${sizes.join('→')}`, p.manifolds);
}

/** The network of a derived SPD cell: stem BiMap → BN, the space's cells with the genotype's ops, LogEig head. */
export function buildSpdCellNet(space: SpdSpaceConfig, genotype: DartsGenotype, n: number, classes: number, rng: Rng): SpdNet {
  const store = new ParamStore(rng);
  const p = new SpdParams(store, rng);
  const c = space.channels;
  const size0 = space.matrixSize || n;
  if (size0 > n) throw new Error(`The SPD space's matrix size ${size0} is larger than the ${n}×${n} input matrices; choose at most ${n} (or 0 to keep ${n}).`);
  const settings = { channels: c, karcherSteps: space.karcherSteps, reEigEps: space.reEigEps };
  const stem = chain(biMap(p, 'stem', 1, c, n, size0), batchNormSpd(p, 'stem.bn', size0, space.karcherSteps));
  const cells: Array<(ctx: ForwardContext, s0: tf.Tensor4D, s1: tf.Tensor4D) => tf.Tensor4D> = [];
  let sizes = { prevPrev: size0, prev: size0 };
  let channels = { prevPrev: c, prev: c };
  for (let i = 0; i < space.cells; i++) {
    const reduction = isSpdReductionCell(i);
    const entries: GenotypeEntry[] = reduction ? genotype.reduce : genotype.normal;
    if (entries.length !== 2 * SPD_STEPS) throw new Error(`The architecture has no ${reduction ? 'reduction' : 'normal'} cell (${entries.length} of ${2 * SPD_STEPS} edges), which cell ${i} of this network needs.`);
    const n0 = sizes.prev;
    const out = reduction ? Math.floor(n0 / 2) : n0;
    const reeig = reEigLayer(space.reEigEps);
    const pre0 = chain(reeig, biMap(p, `cell${i}.pre0`, channels.prevPrev, c, sizes.prevPrev, n0), batchNormSpd(p, `cell${i}.pre0.bn`, n0, space.karcherSteps));
    const pre1 = chain(reeig, biMap(p, `cell${i}.pre1`, channels.prev, c, n0, n0), batchNormSpd(p, `cell${i}.pre1.bn`, n0, space.karcherSteps));
    // In a reduction cell the edges from the cell's inputs reduce; node 0 → node 1 works at the reduced size.
    const ops = entries.map(([op, source], k) => ({ source, node: Math.floor(k / 2), run: spdCandidate(p, `cell${i}.e${k}.${op}`, op, reduction && source >= 2 ? out : n0, settings) }));
    cells.push((ctx, s0, s1) => {
      const states = [pre0(ctx, s0), pre1(ctx, s1)];
      for (let node = 0; node < SPD_STEPS; node++) {
        states.push(spdNode(ops.filter((o) => o.node === node).map((o) => o.run(ctx, states[o.source])), space.karcherSteps));
      }
      return tf.concat(states.slice(2), 1) as tf.Tensor4D;
    });
    sizes = { prevPrev: sizes.prev, prev: out };
    channels = { prevPrev: channels.prev, prev: SPD_STEPS * c };
  }
  const body: SpdLayer = (ctx, x) => {
    let s0 = stem(ctx, x);
    let s1 = s0;
    for (const cell of cells) [s0, s1] = [s1, cell(ctx, s0, s1)];
    return s1;
  };
  return classifier(store, channels.prev * sizes.prev * sizes.prev, classes, body, 'SPDNetNAS cell', p.manifolds);
}
