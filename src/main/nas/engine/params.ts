import * as tf from './tf';
import type { Rng } from './rng';

export interface BnParams {
  channels: number;
  /** γ and β: variables when affine, otherwise constant ones/zeros (tfjs's fused kernel's gradient needs a scale). */
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

/**
 * Owns every variable of a model: trainable weights w (in creation order, which fixes the optimiser's and
 * the checkpoint's layout) and non-trainable buffers (BatchNorm running statistics). Initialisation draws
 * from the model's seeded RNG, so the same seed builds bit-identical models on any backend.
 */
export class ParamStore {
  readonly trainable = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();
  private readonly constants: tf.Tensor[] = [];

  constructor(private readonly rng: Rng) {}

  private add(map: Map<string, tf.Variable>, name: string, values: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.trainable.has(name) || this.buffers.has(name)) throw new Error(`Duplicate parameter name '${name}'.`);
    const v = tf.variable(values, trainable, `${name}#${(ParamStore.serial += 1)}`);
    values.dispose();
    map.set(name, v);
    return v;
  }
  private static serial = 0;

  private uniform(shape: number[], bound: number): tf.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (this.rng.next() * 2 - 1) * bound;
    return tf.tensor(data, shape, 'float32');
  }

  /** PyTorch's default (kaiming-uniform with a = √5): U(±1/√fan_in). Layout [kh, kw, cin, cout]. */
  conv(name: string, kh: number, kw: number, cin: number, cout: number): tf.Variable {
    return this.add(this.trainable, name, this.uniform([kh, kw, cin, cout], 1 / Math.sqrt(kh * kw * cin)), true);
  }

  /** Depthwise filter, layout [kh, kw, C, 1]; fan_in = kh·kw as in PyTorch's grouped conv. */
  depthwise(name: string, kh: number, kw: number, channels: number): tf.Variable {
    return this.add(this.trainable, name, this.uniform([kh, kw, channels, 1], 1 / Math.sqrt(kh * kw)), true);
  }

  dense(name: string, inputs: number, outputs: number): { kernel: tf.Variable; bias: tf.Variable } {
    const bound = 1 / Math.sqrt(inputs);
    return {
      kernel: this.add(this.trainable, `${name}.kernel`, this.uniform([inputs, outputs], bound), true),
      bias: this.add(this.trainable, `${name}.bias`, this.uniform([outputs], bound), true),
    };
  }

  batchNorm(name: string, channels: number, affine: boolean): BnParams {
    return {
      channels,
      gamma: (affine ? this.add(this.trainable, `${name}.gamma`, tf.ones([channels]), true) : this.constant(tf.ones([channels]))) as tf.Tensor1D,
      beta: (affine ? this.add(this.trainable, `${name}.beta`, tf.zeros([channels]), true) : this.constant(tf.zeros([channels]))) as tf.Tensor1D,
      runningMean: this.add(this.buffers, `${name}.running_mean`, tf.zeros([channels]), false),
      runningVar: this.add(this.buffers, `${name}.running_var`, tf.ones([channels]), false),
    };
  }

  private constant(t: tf.Tensor): tf.Tensor {
    this.constants.push(tf.keep(t));
    return t;
  }

  /** Architecture parameters are not weights: they live outside the store, created by the space. */
  static alpha(rows: number, cols: number, rng: Rng, name: string): tf.Variable {
    // 1e-3·N(0,1) as in DARTS; Box–Muller on the seeded stream.
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) {
      const u = Math.max(rng.next(), 1e-12);
      const v = rng.next();
      data[i] = 1e-3 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return tf.variable(tf.tensor2d(data, [rows, cols]), true, `${name}#${(ParamStore.serial += 1)}`);
  }

  trainableList(): tf.Variable[] {
    return [...this.trainable.values()];
  }

  dispose(): void {
    for (const v of this.trainable.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    for (const c of this.constants) c.dispose();
    this.trainable.clear();
    this.buffers.clear();
  }
}
