import * as tf from './tf';

// Optimisers with PyTorch's update rules (the reference code's), so hyperparameters from the papers mean
// the same thing here. Weight decay is L2 added to the gradient (torch.optim.SGD / Adam, not AdamW).
// State tensors are exposed by name for checkpoints; scalar state is plain JSON.

export type NamedGrads = Record<string, tf.Tensor>;

export interface Optimizer {
  /** Applies one update for the variables whose gradients are given; gradients are not disposed. */
  step(grads: NamedGrads, lr: number): void;
  /** Moment tensors by a stable name, for checkpoints. */
  stateTensors(): Map<string, tf.Variable>;
  stateJson(): Record<string, number>;
  loadStateJson(s: Record<string, number>): void;
  dispose(): void;
}

export class Sgd implements Optimizer {
  private readonly momentumBuffers = new Map<string, tf.Variable>();

  constructor(
    private readonly variables: ReadonlyMap<string, tf.Variable>,
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {
    for (const [name, v] of variables) this.momentumBuffers.set(name, tf.variable(tf.zerosLike(v), false));
  }

  /** Momentum buffer of a weight (DARTS's second-order virtual step reads it). */
  buffer(name: string): tf.Variable | undefined {
    return this.momentumBuffers.get(name);
  }

  step(grads: NamedGrads, lr: number): void {
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const v = this.variables.get(name);
        const buf = this.momentumBuffers.get(name);
        if (!v || !buf) throw new Error(`SGD: no variable named '${name}'.`);
        const d = this.weightDecay ? g.add(v.mul(this.weightDecay)) : g;
        const nextBuf = buf.mul(this.momentum).add(d);
        buf.assign(nextBuf);
        v.assign(v.sub(nextBuf.mul(lr)));
      }
    });
  }

  stateTensors(): Map<string, tf.Variable> {
    return new Map([...this.momentumBuffers].map(([k, v]) => [`sgd.momentum/${k}`, v]));
  }
  stateJson(): Record<string, number> {
    return {};
  }
  loadStateJson(): void {}
  dispose(): void {
    for (const b of this.momentumBuffers.values()) b.dispose();
  }
}

export class Adam implements Optimizer {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  constructor(
    private readonly variables: ReadonlyMap<string, tf.Variable>,
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly weightDecay: number,
    private readonly eps = 1e-8,
  ) {
    for (const [name, p] of variables) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  step(grads: NamedGrads, lr: number): void {
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      for (const [name, g0] of Object.entries(grads)) {
        const p = this.variables.get(name);
        const m = this.m.get(name);
        const v = this.v.get(name);
        if (!p || !m || !v) throw new Error(`Adam: no variable named '${name}'.`);
        const g = this.weightDecay ? g0.add(p.mul(this.weightDecay)) : g0;
        m.assign(m.mul(this.beta1).add(g.mul(1 - this.beta1)));
        v.assign(v.mul(this.beta2).add(g.square().mul(1 - this.beta2)));
        const denom = v.div(bc2).sqrt().add(this.eps);
        p.assign(p.sub(m.div(denom).mul(lr / bc1)));
      }
    });
  }

  stateTensors(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [k, t] of this.m) out.set(`adam.m/${k}`, t);
    for (const [k, t] of this.v) out.set(`adam.v/${k}`, t);
    return out;
  }
  stateJson(): Record<string, number> {
    return { t: this.t };
  }
  loadStateJson(s: Record<string, number>): void {
    this.t = s.t ?? 0;
  }
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Scales gradients in place (returns new tensors) so their global L2 norm is at most maxNorm, like
 * torch.nn.utils.clip_grad_norm_. Returns the norm before clipping. */
export function clipByGlobalNorm(grads: NamedGrads, maxNorm: number): { grads: NamedGrads; norm: number } {
  const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  const coef = maxNorm / (norm + 1e-6);
  if (!(coef < 1)) return { grads, norm };
  const clipped: NamedGrads = {};
  for (const [k, g] of Object.entries(grads)) {
    clipped[k] = tf.mul(g, coef);
    g.dispose();
  }
  return { grads: clipped, norm };
}

/** Cosine annealing from lr to lrMin over `total` epochs (torch CosineAnnealingLR, evaluated per epoch). */
export function cosineLr(epoch: number, total: number, lr: number, lrMin: number): number {
  return lrMin + ((lr - lrMin) * (1 + Math.cos((Math.PI * Math.min(epoch, total)) / total))) / 2;
}
