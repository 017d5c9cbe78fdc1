// Worker-thread entry of a gradient pool (built to out/main/parallel-replica.js). Each worker has its own tfjs
// engine and wasm backend (its own module instances, so its own wasm heap) and a copy of the supernet whose
// state the main thread mirrors before every command; it computes its shard of each `lossAndGrads` and joins
// the collectives. Commands are handled one at a time, in order.
import { parentPort } from 'node:worker_threads';
import * as tf from '../engine/tf';
import { initBackend } from '../engine/backend';
import { Rng } from '../engine/rng';
import { spaceImplementation } from '../spaces/registry';
import { ReplicaAbortedError, SharedReducer } from '../engine/parallel/shared-reducer';
import { NetState } from './net-state';
import { writeFault } from './fault-note';
import { reducedFloats, shardStep, type LocalGrads } from './shard-step';
import { singleThreadLossAndGrads } from '../strategies/one-shot';
import { singleThreadRetrainLossAndGrads } from '../estimation/retrain-step';
import { buildStandaloneNet, type StandaloneNet } from '../estimation/networks/standalone';
import type { Supernet } from '../engine/supernet';
import type { PoolRequest, PoolResponse, StateDelta } from './pool-protocol';

let state: NetState | null = null;
/** What this thread built: a retrain's stand-alone network, or a search's supernet. */
let standalone = false;
let shared: { reducer: SharedReducer; state: Float32Array; error: SharedArrayBuffer } | null = null;
let input: { x: Float32Array; y: Int32Array } | null = null;

function ready() {
  if (!state || !shared) throw new Error('This training thread was not initialised (init and share come first).');
  return { state, shared };
}

function applyDelta(delta: StateDelta): void {
  const { state: net, shared: s } = ready();
  for (const i of delta.changed) {
    if (!net.slots[i]) throw new Error(`The main thread sent state slot ${i}, but this thread's network has ${net.slots.length}.`);
    net.read(s.state, i);
  }
  if (delta.masks) net.setMasks(delta.masks);
}

function step(req: Extract<PoolRequest, { type: 'step' }>): void {
  const { state: net, shared: s } = ready();
  applyDelta(req);
  if (req.input) input = { x: new Float32Array(req.input.x), y: new Int32Array(req.input.y) };
  if (!input) throw new Error('No batch buffer was shared with this training thread.');
  for (const i of req.cmd.vars) if (!net.slots[i]) throw new Error(`The main thread asked for the gradient of state slot ${i}, but this thread's network has ${net.slots.length}.`);
  const [, h, w, c] = req.shape;
  const per = h * w * c;
  const { start, size } = req.shard;
  const x = tf.tensor4d(input.x.subarray(start * per, (start + size) * per), [size, h, w, c]);
  const y = tf.tensor1d(input.y.subarray(start, start + size), 'int32');
  const extra = req.step;
  const weights = extra.kind === 'search' && extra.weights ? new Map(Object.entries(extra.weights).map(([k, v]) => [k, tf.tensor2d(v.values, v.shape)])) : undefined;
  let local: LocalGrads;
  if (extra.kind === 'retrain') {
    if (!standalone) throw new Error('A retrain step reached a training thread that holds a search supernet.');
    const shard = { batch: req.cmd.batch, start };
    local = (vars, o) => singleThreadRetrainLossAndGrads(net.net as StandaloneNet, x, y, vars, { ...o, dropPath: extra.dropPath, auxiliaryWeight: extra.auxiliaryWeight, shard });
  } else {
    if (standalone) throw new Error('A search step reached a training thread that holds a retrain network.');
    local = (vars, o) => singleThreadLossAndGrads(net.net as Supernet, x, y, vars, { ...o, weights });
  }
  try {
    // The reduced result is rank 0's to use; this thread only contributes.
    shardStep(net, s.reducer, size, req.cmd, local);
  } finally {
    tf.dispose([x, y, ...(weights ? [...weights.values()] : [])]);
  }
}

/** This thread's checksum of its mirrored state, as 32 bytes gathered by every thread. */
function checksum(req: Extract<PoolRequest, { type: 'checksum' }>): void {
  const { state: net, shared: s } = ready();
  applyDelta(req);
  s.reducer.allGather(Buffer.from(net.checksum(), 'hex'));
}

async function handle(req: PoolRequest): Promise<unknown> {
  switch (req.type) {
    case 'init': {
      const info = await initBackend(req.spec.backend);
      // Any seed: the main thread overwrites every slot before the first step.
      const { space, inputShape, classes } = req.spec;
      const sa = req.spec.standalone;
      standalone = sa !== undefined;
      state = new NetState(
        sa ? buildStandaloneNet(space, sa.architecture, { inputShape, classes, auxiliary: sa.auxiliary }, new Rng(1)) : spaceImplementation(space).build(space, inputShape, classes, new Rng(1)),
      );
      return { layout: state.layout(), size: state.size, capacity: reducedFloats(state), device: info.device };
    }
    case 'share':
      shared = { reducer: new SharedReducer(req.reducer, req.rank, req.size, req.capacity), state: new Float32Array(req.state), error: req.error };
      return null;
    case 'step':
      step(req);
      return undefined;
    case 'checksum':
      checksum(req);
      return undefined;
    case 'dispose':
      state?.net.dispose();
      state = null;
      return null;
  }
}

const port = parentPort;
if (!port) throw new Error('parallel-replica must run in a worker thread.');
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: { id: number; req: PoolRequest }) => {
  queue = queue.then(async () => {
    try {
      const result = await handle(msg.req);
      if (result !== undefined) port.postMessage({ id: msg.id, ok: true, result } satisfies PoolResponse);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (shared && !(e instanceof ReplicaAbortedError)) {
        // The main thread waits in a collective: leave the error where it can read it, then release everyone.
        writeFault(shared.error, shared.reducer.rank, message);
        shared.reducer.abort();
      }
      port.postMessage({ id: msg.id, ok: false, error: message } satisfies PoolResponse);
    }
  });
});
