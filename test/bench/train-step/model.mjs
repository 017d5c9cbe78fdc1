// NAS-Bench-201-style supernet in plain tfjs ops (mirrors torch_bench.py op for op).
// "small": stem conv3x3(C=16) → BN → 1 cell → GAP → dense 10.
// "big":   stem → [2 cells @16] → ResBlock 16→32 → [2 cells @32] → ResBlock 32→64 → [2 cells @64] → GAP → dense.
// Cell: 4 nodes, 6 edges, ops none/skip/nor_conv_1x1/nor_conv_3x3/avg_pool_3x3 mixed by softmax(α) (α shared
// by all cells, as in NB201). nor_conv = ReLU → conv (no bias) → BN (batch statistics, affine).
import * as tf from '@tensorflow/tfjs-core';

let seed = 1;
function normal(shape, std) {
  return tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed++));
}
function convW(k, cin, cout) {
  return normal([k, k, cin, cout], Math.sqrt(2 / (k * k * cin)));
}
function bnP(c) {
  return { gamma: tf.variable(tf.ones([c])), beta: tf.variable(tf.zeros([c])) };
}
function bn(x, p) {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, p.beta, p.gamma, 1e-5);
}
function norConv(x, p, stride = 1) {
  return bn(tf.conv2d(tf.relu(x), p.w, stride, 'same'), p.bn);
}

const EDGES = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];

function makeCell(c) {
  return EDGES.map(() => ({
    c1: { w: convW(1, c, c), bn: bnP(c) },
    c3: { w: convW(3, c, c), bn: bnP(c) },
  }));
}

/** One mixed op: Σ_k w_k · op_k(x), 'none' contributes zero and is skipped. */
function mixedOp(x, p, w /* [5] tensor: none, skip, c1, c3, pool */) {
  const ws = tf.unstack(w);
  return tf.addN([
    tf.mul(ws[1], x),
    tf.mul(ws[2], norConv(x, p.c1)),
    tf.mul(ws[3], norConv(x, p.c3)),
    tf.mul(ws[4], tf.avgPool(x, 3, 1, 'same')),
  ]);
}

/** Same mixed op, but only x is kept for backprop: the branch outputs are recomputed in the gradient. */
function mixedOpRecompute(x, p, w) {
  const f = tf.customGrad((xx, ww, a, b, c, d, e, g, save) => {
    const value = tf.tidy(() => mixedOp(xx, p, ww));
    save([xx, ww]); // only the op's input (and its 5 weights) stay alive for backprop
    return {
      value,
      gradFunc: (dy, [xs, wsv]) => {
        const grads = tf.grads((x1, w1, v0, v1, v2, v3, v4, v5) =>
          mixedOp(x1, { c1: { w: v0, bn: { gamma: v1, beta: v2 } }, c3: { w: v3, bn: { gamma: v4, beta: v5 } } }, w1),
        );
        return grads([xs, wsv, a, b, c, d, e, g], dy);
      },
    };
  });
  return f(x, w, p.c1.w, p.c1.bn.gamma, p.c1.bn.beta, p.c3.w, p.c3.bn.gamma, p.c3.bn.beta);
}

function cellForward(x, cell, alphaSoft, recompute) {
  const nodes = [x];
  const op = recompute ? mixedOpRecompute : mixedOp;
  for (let j = 1; j < 4; j++) {
    const terms = [];
    EDGES.forEach(([from, to], e) => {
      if (to === j) terms.push(op(nodes[from], cell[e], alphaSoft[e]));
    });
    nodes.push(terms.length === 1 ? terms[0] : tf.addN(terms));
  }
  return nodes[3];
}

function makeRes(cin, cout) {
  return {
    a: { w: convW(3, cin, cout), bn: bnP(cout) },
    b: { w: convW(3, cout, cout), bn: bnP(cout) },
    sc: convW(1, cin, cout),
  };
}
function resForward(x, p) {
  const a = norConv(x, p.a, 2);
  const b = norConv(a, p.b, 1);
  const sc = tf.conv2d(tf.avgPool(x, 2, 2, 'valid'), p.sc, 1, 'same');
  return tf.add(sc, b);
}

export function buildModel(kind) {
  seed = 1;
  const C = 16;
  const m = { kind, stem: { w: convW(3, 1, C), bn: bnP(C) }, alpha: normal([6, 5], 1e-3), stages: [] };
  const widths = kind === 'small' ? [C] : [C, 2 * C, 4 * C];
  const cellsPerStage = kind === 'small' ? 1 : 2;
  widths.forEach((c, s) => {
    const stage = { res: s > 0 ? makeRes(widths[s - 1], c) : null, cells: [] };
    for (let i = 0; i < cellsPerStage; i++) stage.cells.push(makeCell(c));
    m.stages.push(stage);
  });
  const last = widths[widths.length - 1];
  m.dense = { w: normal([last, 10], Math.sqrt(1 / last)), b: tf.variable(tf.zeros([10])) };
  m.vars = tf.engine().state.registeredVariables ? Object.values(tf.engine().state.registeredVariables).filter((v) => v.trainable) : [];
  return m;
}

export function countParams(m) {
  return m.vars.reduce((a, v) => a + v.size, 0);
}

export function forward(m, x, { recompute = false } = {}) {
  let h = bn(tf.conv2d(x, m.stem.w, 1, 'same'), m.stem.bn);
  const soft = tf.unstack(tf.softmax(m.alpha, -1));
  for (const stage of m.stages) {
    if (stage.res) h = resForward(h, stage.res);
    for (const cell of stage.cells) h = cellForward(h, cell, soft, recompute);
  }
  const pooled = tf.mean(h, [1, 2]);
  return tf.add(tf.matMul(pooled, m.dense.w), m.dense.b);
}

export function lossFn(m, x, y, opts) {
  return tf.losses.softmaxCrossEntropy(y, forward(m, x, opts));
}
