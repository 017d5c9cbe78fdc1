import * as tfl from '@tensorflow/tfjs-layers';
import type * as tf from '../../engine/tf';
import { BN_EPS } from '../../engine/layers';
import type { NetOps } from './net-ops';

type S = tfl.SymbolicTensor;

// NetOps as a tf.layers graph with the same arithmetic as tensor-ops.ts, made only of built-in layers so the
// saved model loads with a plain tf.loadLayersModel. PyTorch's symmetric padding becomes ZeroPadding2D + a
// 'valid' conv; a strided pool or dilated conv runs at stride 1 and is then subsampled by a 1×1 pool of
// stride 2, which picks exactly the windows the strided op computes (tfjs has no strided dilated conv, and its
// 'same' pooling pads a stride-2 window on one side only). Weights are copied in by parameter name.

export class LayersOps implements NetOps<S> {
  readonly training = false;
  /** Each layer with the parameter names of its weights, in the layer's weight order. */
  readonly assignments: Array<{ layer: tfl.layers.Layer; params: string[] }> = [];
  private serial = 0;

  private name(base: string): string {
    this.serial += 1;
    return `${base.replace(/[^A-Za-z0-9_]/g, '_')}_${this.serial}`;
  }

  private apply(layer: tfl.layers.Layer, x: S | S[], params: string[] = []): S {
    if (params.length) this.assignments.push({ layer, params });
    return layer.apply(x) as S;
  }

  shape(x: S): [number, number, number] {
    const [, h, w, c] = x.shape;
    return [h!, w!, c!];
  }

  private relu(x: S): S {
    return this.apply(tfl.layers.reLU({ name: this.name('relu') }), x);
  }

  private pad(x: S, p: number | [[number, number], [number, number]]): S {
    if (p === 0) return x;
    return this.apply(tfl.layers.zeroPadding2d({ padding: typeof p === 'number' ? [p, p] : p, name: this.name('pad') }), x);
  }

  private subsample(x: S, stride: number): S {
    if (stride === 1) return x;
    return this.apply(tfl.layers.maxPooling2d({ poolSize: 1, strides: stride, padding: 'valid', name: this.name('subsample') }), x);
  }

  private conv(name: string, x: S, param: string, cout: number, k: number, stride: number, pad: number): S {
    const layer = tfl.layers.conv2d({ filters: cout, kernelSize: k, strides: stride, padding: 'valid', useBias: false, name: this.name(name) });
    return this.apply(layer, this.pad(x, pad), [param]);
  }

  private bn(name: string, x: S): S {
    const layer = tfl.layers.batchNormalization({ axis: -1, epsilon: BN_EPS, name: this.name(name) });
    return this.apply(layer, x, [`${name}.gamma`, `${name}.beta`, `${name}.running_mean`, `${name}.running_var`]);
  }

  convBn(name: string, x: S, cout: number, k: number, stride: number): S {
    return this.bn(`${name}.bn`, this.conv(name, x, `${name}.conv`, cout, k, stride, (k - 1) / 2));
  }

  reluConvBn(name: string, x: S, cout: number, k: number, stride: number): S {
    return this.convBn(name, this.relu(x), cout, k, stride);
  }

  reluSepConvBn(name: string, x: S, cout: number, k: number, stride: number, dilation: number): S {
    const strided = dilation === 1 ? stride : 1;
    const layer = tfl.layers.separableConv2d({
      filters: cout,
      kernelSize: k,
      strides: strided,
      dilationRate: dilation,
      depthMultiplier: 1,
      padding: 'valid',
      useBias: false,
      name: this.name(name),
    });
    const y = this.apply(layer, this.pad(this.relu(x), (dilation * (k - 1)) / 2), [`${name}.dw`, `${name}.pw`]);
    return this.bn(`${name}.bn`, this.subsample(y, stride / strided));
  }

  factorizedReduce(name: string, x: S, cout: number): S {
    const r = this.relu(x);
    const a = this.conv(`${name}.a`, r, `${name}.conv1`, cout / 2, 1, 2, 0);
    const cropped = this.apply(tfl.layers.cropping2D({ cropping: [[1, 0], [1, 0]], name: this.name('shift') }), r);
    const b = this.conv(`${name}.b`, this.pad(cropped, [[0, 1], [0, 1]]), `${name}.conv2`, cout / 2, 1, 2, 0);
    return this.bn(`${name}.bn`, this.concat([a, b]));
  }

  maxPool3(x: S, stride: number): S {
    return this.subsample(this.apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: this.name('maxpool') }), x), stride);
  }

  avgPool3(x: S, stride: number): S {
    return this.subsample(this.apply(tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: this.name('avgpool') }), x), stride);
  }

  poolConvShortcut(name: string, x: S, cout: number): S {
    const pooled = this.apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: this.name('avgpool2') }), x);
    return this.conv(name, pooled, name, cout, 1, 1, 0);
  }

  bnRelu(name: string, x: S): S {
    return this.relu(this.bn(`${name}.bn`, x));
  }

  /** A fixed all-zero 1×1 convolution: zeros of the right shape from built-in layers alone. */
  zeros(name: string, x: S, stride: number): S {
    const c = x.shape[3]!;
    return this.apply(
      tfl.layers.conv2d({ filters: c, kernelSize: 1, strides: stride, useBias: false, kernelInitializer: 'zeros', trainable: false, name: this.name(`${name}.zeros`) }),
      x,
    );
  }

  add(xs: S[]): S {
    return xs.length === 1 ? xs[0] : this.apply(tfl.layers.add({ name: this.name('add') }), xs);
  }

  concat(xs: S[]): S {
    return xs.length === 1 ? xs[0] : this.apply(tfl.layers.concatenate({ axis: -1, name: this.name('concat') }), xs);
  }

  dropPath(x: S): S {
    return x;
  }

  classifier(name: string, x: S, classes: number): S {
    const pooled = this.apply(tfl.layers.globalAveragePooling2d({ name: this.name('gap') }), x);
    return this.apply(tfl.layers.dense({ units: classes, name: this.name(name) }), pooled, [`${name}.kernel`, `${name}.bias`]);
  }

  auxiliaryHead(): null {
    return null;
  }
}

/** Copies the trained values into the layers model, by parameter name. */
export function assignWeights(ops: LayersOps, lookup: (name: string) => tf.Tensor): void {
  for (const { layer, params } of ops.assignments) layer.setWeights(params.map(lookup));
}
