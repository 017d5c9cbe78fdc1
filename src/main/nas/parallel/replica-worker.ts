// Worker-thread entry of a data-parallel replica (built to out/main/parallel-replica.js). Each worker has its
// own tfjs engine and wasm backend (a worker has its own module instances, so its own wasm heap), loaded
// exactly as the trainer loads it (initBackend). Requests are handled one at a time, in order.
import { parentPort } from 'node:worker_threads';
import * as tf from '../engine/tf';
import { initBackend } from '../engine/backend';
import type { ReplicaRequest, ReplicaResponse } from './protocol';
import { Replica } from './replica';
import { ReplicaAbortedError, SharedReducer } from '../engine/parallel/shared-reducer';

let replica: Replica | null = null;
let reducer: SharedReducer | null = null;

function need(): Replica {
  if (!replica) throw new Error('The replica was not initialised (init must come first).');
  return replica;
}

async function handle(req: ReplicaRequest): Promise<unknown> {
  switch (req.type) {
    case 'init': {
      const info = await initBackend(req.spec.backend);
      replica = new Replica(req.spec);
      return { device: info.device, capacity: replica.exchangeCapacity(), checksum: replica.checksum() };
    }
    case 'attach':
      reducer = new SharedReducer(req.sab, req.rank, req.size, req.capacity);
      need().attach(reducer);
      return null;
    case 'train':
      return need().train(req.group, req.shard, req.lr);
    case 'gradients':
      return need().gradients(req.group, req.shard);
    case 'checksum':
      return need().checksum();
    case 'state':
      return need().state();
    case 'load':
      need().load(req.state);
      return null;
    case 'memory': {
      const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
      return { numTensors: tf.memory().numTensors, wasmHeapBytes: backend.wasm ? backend.wasm.HEAPU8.length : null };
    }
    case 'dispose':
      replica?.dispose();
      replica = null;
      return null;
  }
}

const port = parentPort;
if (!port) throw new Error('parallel-replica must run in a worker thread.');
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: { id: number; req: ReplicaRequest }) => {
  queue = queue.then(async () => {
    let reply: ReplicaResponse;
    try {
      reply = { id: msg.id, ok: true, result: await handle(msg.req) };
    } catch (e) {
      const aborted = e instanceof ReplicaAbortedError;
      // Release the other replicas, which may be waiting for this one in a collective step.
      if (!aborted) reducer?.abort();
      reply = { id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e), aborted };
    }
    port.postMessage(reply);
  });
});
