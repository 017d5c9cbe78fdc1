// The vocabulary the stand-alone networks are written in. A network's topology is written once, against this
// interface, and run by two implementations: tensor-ops.ts computes with tensors (training, evaluation,
// FLOPs) and layers-ops.ts builds the same graph from tf.layers, so the trained weights export as a TF.js
// layers model that gives the same predictions. Names identify parameters in both, so weights carry over.

export interface NetOps<T> {
  /** Training mode: batch statistics in BN, drop-path, the auxiliary head. */
  readonly training: boolean;
  /** [height, width, channels] of a feature map. */
  shape(x: T): [number, number, number];
  /** conv k×k → BN (stems). */
  convBn(name: string, x: T, cout: number, k: number, stride: number): T;
  /** ReLU → conv k×k → BN. */
  reluConvBn(name: string, x: T, cout: number, k: number, stride: number): T;
  /** ReLU → depthwise k×k (dilation d, stride s) → pointwise 1×1 → BN: dil_conv and each half of sep_conv. */
  reluSepConvBn(name: string, x: T, cout: number, k: number, stride: number, dilation: number): T;
  /** ReLU → two stride-2 1×1 convs (on x and x shifted by one pixel), concatenated → BN. */
  factorizedReduce(name: string, x: T, cout: number): T;
  /** 3×3 max pool, pad 1. */
  maxPool3(x: T, stride: number): T;
  /** 3×3 average pool, pad 1, padded cells not counted. */
  avgPool3(x: T, stride: number): T;
  /** NAS-Bench-201 residual shortcut: 2×2 average pool (stride 2) → 1×1 conv, no BN. */
  poolConvShortcut(name: string, x: T, cout: number): T;
  /** BN → ReLU (NAS-Bench-201's last activation). */
  bnRelu(name: string, x: T): T;
  /** Zeros of x's shape subsampled by `stride` (a node whose every input is `none`). */
  zeros(name: string, x: T, stride: number): T;
  add(xs: T[]): T;
  concat(xs: T[]): T;
  /** Drops the whole op output per sample with the current drop-path probability (training only). */
  dropPath(x: T): T;
  /** Global average pool → linear: the logits. */
  classifier(name: string, x: T, classes: number): T;
  /** DARTS's auxiliary classifier (training only; null when the implementation has none). */
  auxiliaryHead(name: string, x: T, classes: number): T | null;
}

/** What a network topology returns: the logits, and the auxiliary logits in training when it has a head. */
export interface NetOutputs<T> {
  logits: T;
  aux: T | null;
}

export type Topology = <T>(ops: NetOps<T>, x: T) => NetOutputs<T>;

/** Names of parameters that belong to the auxiliary head (excluded from the parameter count and export). */
export const AUX_PREFIX = 'aux.';
