import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '../../engine/tf';
import type { SpaceConfig } from '../../../../shared/config';
import type { ParsedArchitecture } from '../../../../shared/strategies/retrain';
import { ParamStore } from '../../engine/params';
import type { ForwardContext } from '../../engine/layers';
import type { Rng } from '../../engine/rng';
import { dartsTopology } from './darts-net';
import { LayersOps, assignWeights } from './layers-ops';
import { AUX_PREFIX, type Topology } from './net-ops';
import { nb201Topology } from './nb201-net';
import { TensorOps, type TensorForwardOptions } from './tensor-ops';

// A stand-alone network for one architecture: its parameters, its forward pass, its size and cost, and the
// same network as a tf.layers model for export.

export class StandaloneNet {
  readonly params: ParamStore;
  private readonly cache = new Map<string, unknown>();

  constructor(
    private readonly topology: Topology,
    readonly inputShape: [number, number, number],
    readonly classes: number,
    rng: Rng,
  ) {
    this.params = new ParamStore(rng);
    // One training-mode forward creates every parameter (the auxiliary head's included) in a fixed order.
    tf.tidy(() => {
      this.forward(tf.zeros([2, ...inputShape]) as tf.Tensor4D, { ctx: { training: true, bnUpdates: null } });
    });
  }

  forward(x: tf.Tensor4D, options: TensorForwardOptions): { logits: tf.Tensor2D; aux: tf.Tensor2D | null; macs: number } {
    const ops = new TensorOps(this.params, this.cache, options);
    const out = this.topology(ops, x as tf.Tensor);
    return { logits: out.logits as tf.Tensor2D, aux: out.aux as tf.Tensor2D | null, macs: ops.macs };
  }

  /** Logits in eval mode (BN running statistics, no drop-path, no auxiliary head). */
  predict(x: tf.Tensor4D): tf.Tensor2D {
    const ctx: ForwardContext = { training: false, bnUpdates: null };
    return this.forward(x, { ctx }).logits;
  }

  /** Trainable parameters of the network itself (the auxiliary head, used only in training, excluded). */
  countParams(): number {
    let n = 0;
    for (const [name, v] of this.params.trainable) if (!name.startsWith(AUX_PREFIX)) n += v.size;
    return n;
  }

  /** Multiply-accumulates of the convolutions and the classifier for one image. */
  countMacs(): number {
    return tf.tidy(() => this.forward(tf.zeros([1, ...this.inputShape]) as tf.Tensor4D, { ctx: { training: false, bnUpdates: null }, countMacs: true }).macs);
  }

  /** The same network built from tf.layers with this network's current weights (inference only). */
  toLayersModel(): tfl.LayersModel {
    const ops = new LayersOps();
    const input = tfl.input({ shape: this.inputShape, name: 'image' });
    const { logits } = this.topology(ops, input);
    const model = tfl.model({ inputs: input, outputs: logits, name: 'nas_studio_retrained' });
    assignWeights(ops, (name) => {
      const v = this.params.trainable.get(name) ?? this.params.buffers.get(name);
      if (!v) throw new Error(`Export: the network has no parameter '${name}'.`);
      return v;
    });
    return model;
  }

  dispose(): void {
    this.params.dispose();
    this.cache.clear();
  }
}

export interface StandaloneOptions {
  inputShape: [number, number, number];
  classes: number;
  /** DARTS space: build the auxiliary head. */
  auxiliary: boolean;
}

/** The stand-alone network of `architecture` at the size the space config gives (channels, cells). */
export function buildStandaloneNet(space: SpaceConfig, architecture: ParsedArchitecture, options: StandaloneOptions, rng: Rng): StandaloneNet {
  if (architecture.space !== space.name) throw new Error(`A ${architecture.space} architecture cannot be built in the ${space.name} space.`);
  const topology =
    architecture.space === 'nb201'
      ? nb201Topology({ ops: architecture.ops, channels: space.channels, cellsPerStage: space.cells, classes: options.classes })
      : dartsTopology({ genotype: architecture.genotype, channels: space.channels, layers: space.cells, classes: options.classes, auxiliary: options.auxiliary });
  return new StandaloneNet(topology, options.inputShape, options.classes, rng);
}
